"""Receipt codes of secret ballots (polls, participatory budgets): a code is shown once to its voter, and only
its SHA-256 is kept, on the public bulletin, so that the voter can check that the ballot was counted and the
receipt never proves what was chosen."""

import hashlib
import re
import secrets

# 20 characters of an alphabet without look-alikes, shown in groups of four.
RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_receipt() -> str:
    # One byte of the CSPRNG per character: 256 is a multiple of the alphabet's 32 letters, so every letter is
    # equally likely (100 bits), as with secrets.choice, which asked the OS for randomness 20 times.
    code = "".join(RECEIPT_ALPHABET[byte % len(RECEIPT_ALPHABET)] for byte in secrets.token_bytes(20))
    return "-".join(code[start:start + 4] for start in range(0, 20, 4))


def receipt_hash(receipt: str) -> str:
    return hashlib.sha256(receipt.encode()).hexdigest()


def hash_of_typed(text: str | None) -> str:
    """The receipt hash that what a voter typed stands for: the hash itself (64 hex digits), or a receipt code in
    any case, with or without its dashes and spaces."""
    lowered = (text or "").strip().lower()
    if len(lowered) == 64 and all(char in "0123456789abcdef" for char in lowered):
        return lowered
    code = re.sub(r"[^A-Z0-9]", "", lowered.upper())
    return receipt_hash("-".join(code[start:start + 4] for start in range(0, len(code), 4)))
