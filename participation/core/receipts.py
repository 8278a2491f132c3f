"""Receipt codes of secret ballots (polls, participatory budgets): a code is shown once to its voter, and only
its SHA-256 is kept, on the public bulletin, so that the voter can check that the ballot was counted and the
receipt never proves what was chosen."""

import hashlib
import secrets

# 20 characters of an alphabet without look-alikes, shown in groups of four.
RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_receipt() -> str:
    code = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(20))
    return "-".join(code[start:start + 4] for start in range(0, 20, 4))


def receipt_hash(receipt: str) -> str:
    return hashlib.sha256(receipt.encode()).hexdigest()
