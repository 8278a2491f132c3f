"""Identity verification (본인인증) over OpenID Connect: one verified person, one account.

The provider's stable person identifier (the `ci` claim where the provider gives it, else `sub`) never reaches
the database: only its keyed hash, `person_hash(identifier)`, an HMAC-SHA256 keyed with
PARTICIPATION_IDENTITY_PEPPER, which lives in the environment (a developer machine generates one into the
instance folder). Without the pepper the hashes cannot be recomputed from a stolen database, nor linked to a
person; with a different pepper they would not match: keep it with the other secrets and never rotate it
without re-verifying everyone.
"""

import hashlib
import hmac
import secrets
from pathlib import Path

from flask import current_app

from participation.config import ON_A_DEVELOPER_MACHINE, ConfigurationError, is_development


def person_hash(identifier: str) -> str:
    """The keyed hash (hex HMAC-SHA256) of a provider's person identifier: what is stored instead of it."""
    if not isinstance(identifier, str) or not identifier:
        raise ValueError("a person identifier is a non-empty string")
    return hmac.new(pepper(), identifier.encode(), hashlib.sha256).hexdigest()


def pepper() -> bytes:
    """PARTICIPATION_IDENTITY_PEPPER; on a developer machine generated once into the instance folder."""
    value = current_app.config.get("IDENTITY_PEPPER")
    if value:
        return str(value).encode()
    if not is_development(current_app):
        raise ConfigurationError(
            "IDENTITY_PEPPER is not set. In production set PARTICIPATION_IDENTITY_PEPPER to a long random value "
            "kept outside the database (python -c 'import secrets; print(secrets.token_hex(32))'); never change "
            "it afterwards. " + ON_A_DEVELOPER_MACHINE)
    path = Path(current_app.instance_path) / "identity_pepper"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip().encode()
