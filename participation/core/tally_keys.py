"""The tally key directory (집계 키): one X25519 key pair per secret ballot box, its private half in a file.

Ballots are sealed to a box's public key when they are cast (core/ballot_box.py); only the holder of the
private key can open them. That key never enters the database, a dump of it or its WAL: it lives in one file
per box in the directory `TALLY_KEY_DIR` (`PARTICIPATION_TALLY_KEY_DIR`), which only the tally worker is
given. In development it defaults to `<instance>/tally-keys`; in production it must be set on the worker
machines (and on no web machine). The directory is created with mode 0700 and each key file with 0600.

A key file is a line of JSON: `{"format": "participation-tally-key/1", "kind": "poll", "box_id": 5,
"public_key": "<hex>", "private_key": "<hex>"}`. `flask --app wsgi tally-keys export poll 5 FILE` copies it for
offline backup, `... import poll 5 FILE` puts a backup back (it must match the public key the box has in the
database). A box whose key file is missing, unreadable or not its own cannot be opened: `load` raises
`TallyKeyMissing` / `TallyKeyMismatch`, and the tally says so instead of counting anything.

Only worker jobs, the command line and the demo seed (which runs where the worker runs) call this module; web
processes seal with the public key from the database and never read the directory.
"""

import json
import os
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from nacl.public import PrivateKey

from participation.core.errors import Conflict

FORMAT = "participation-tally-key/1"


class TallyKeyError(Conflict):
    """The box's private key cannot be used: nothing is opened or counted until an operator fixes it."""

    code = "tally_key_missing"
    problem = "key_missing"


class TallyKeyMissing(TallyKeyError):
    default_message = _l("집계 키가 없어 투표함을 열 수 없습니다. 백업해 둔 키를 되돌려 놓아야 집계할 수 있습니다.")


class TallyKeyMismatch(TallyKeyError):
    code = "tally_key_mismatch"
    problem = "key_mismatch"
    default_message = _l("집계 키 디렉터리의 키가 이 투표함의 키가 아닙니다. "
                         "이 투표함의 키를 되돌려 놓아야 집계할 수 있습니다.")


def key_directory() -> Path:
    """The configured key directory (created 0700 if absent)."""
    configured = current_app.config.get("TALLY_KEY_DIR")
    if not configured:
        raise TallyKeyMissing(_l("집계 키 디렉터리가 설정되지 않았습니다 (PARTICIPATION_TALLY_KEY_DIR)."))
    directory = Path(configured)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


def key_path(kind: str, box_id: int) -> Path:
    return key_directory() / f"{kind}-{int(box_id)}.key"


def create(kind: str, box_id: int) -> bytes:
    """The box's public key, making its key pair first if the directory has none (idempotent; two callers at
    once end with one key: the file is linked into place only if no other is there)."""
    path = key_path(kind, box_id)
    if not path.exists():
        private = PrivateKey.generate()
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}")
        write_private(temporary, key_record(kind, box_id, private))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process made it first: theirs stands
        finally:
            temporary.unlink()
        sync_directory(path.parent)
    return bytes(read(path, kind, box_id).public_key)


def load(kind: str, box_id: int, public_key: bytes | None) -> PrivateKey:
    """The box's private key, checked against the public key the box has in the database."""
    path = key_path(kind, box_id)
    if not path.exists():
        raise TallyKeyMissing()
    private = read(path, kind, box_id)
    if public_key is None or bytes(private.public_key) != bytes(public_key):
        raise TallyKeyMismatch()
    return private


def export(kind: str, box_id: int, public_key: bytes | None, destination: Path) -> None:
    """Copy the box's key file to `destination` (mode 0600) for offline backup."""
    private = load(kind, box_id, public_key)
    write_private(destination, key_record(kind, box_id, private))


def restore(kind: str, box_id: int, public_key: bytes | None, source: Path) -> None:
    """Put a backed-up key file back into the directory, if it is this box's key."""
    private = read(source, kind, box_id)
    if public_key is None or bytes(private.public_key) != bytes(public_key):
        raise TallyKeyMismatch()
    path = key_path(kind, box_id)
    if path.exists():
        load(kind, box_id, public_key)  # the same key is there already, or this raises
        return
    write_private(path, key_record(kind, box_id, private))
    sync_directory(path.parent)


def key_record(kind: str, box_id: int, private: PrivateKey) -> str:
    return json.dumps({"format": FORMAT, "kind": kind, "box_id": int(box_id),
                       "public_key": bytes(private.public_key).hex(), "private_key": bytes(private).hex()}) + "\n"


def read(path: Path, kind: str, box_id: int) -> PrivateKey:
    try:
        record = json.loads(path.read_text())
        if (record.get("format"), record.get("kind"), record.get("box_id")) != (FORMAT, kind, int(box_id)):
            raise TallyKeyMismatch()
        private = PrivateKey(bytes.fromhex(record["private_key"]))
    except TallyKeyMismatch:
        raise
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise TallyKeyMismatch(_l("집계 키 파일을 읽을 수 없습니다: %(name)s", name=path.name)) from None
    if bytes(private.public_key).hex() != record.get("public_key"):
        raise TallyKeyMismatch(_l("집계 키 파일이 손상되었습니다: %(name)s", name=path.name))
    return private


def write_private(path: Path, text: str) -> None:
    """Write a new file that only this user can read (never replacing one)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())


def sync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
