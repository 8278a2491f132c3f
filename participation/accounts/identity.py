"""Identity verification (본인인증) over OpenID Connect: one verified person, one account.

The flow is the authorization-code flow with PKCE (S256), a state and a nonce, Authlib as the client:
`start` sends the browser to the provider, `finish` takes it back, exchanges the code, and checks the id token's
signature (the provider's published keys), issuer, audience, expiry and nonce before anything is written. The
flow's secrets live in the signed session cookie and are used once: a replayed or forged callback finds nothing.

The provider's stable person identifier (the first of the mapped claims it gives, `ci` then `sub` by default)
never reaches the database, nor any log: only its keyed hash, `person_hash(identifier)`, an HMAC-SHA256 keyed
with PARTICIPATION_IDENTITY_PEPPER, which lives in the environment (a developer machine generates one into the
instance folder). Without the pepper the hashes cannot be linked to a person; with another pepper they would
not match: keep it with the other secrets, and never change it without having everyone verify again.
"""

import hashlib
import hmac
import re
import secrets
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from flask import current_app, session, url_for
from flask_babel import lazy_gettext as _l
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import select

from participation.accounts import profile, services
from participation.accounts.models import User, VerifiedIdentity
from participation.config import ON_A_DEVELOPER_MACHINE, ConfigurationError, is_development
from participation.core.audit import audit
from participation.core.database import insert_once
from participation.core.errors import Conflict, DomainError, Forbidden, ValidationError
from participation.core.seoul import DISTRICTS
from participation.core.time import utcnow
from participation.extensions import db

SCOPE = "openid profile"
# Seconds a started verification may take before its callback is refused; seconds to wait for the provider.
FLOW_MAX_AGE = 600
TIMEOUT = 5
# Seconds of clock difference allowed between the provider and this server when checking expiry.
LEEWAY = 60
SIGNING_ALGORITHMS = ("RS256", "PS256", "ES256")
FLOW = "identity_flow"


class IdentityFailed(DomainError):
    """The verification did not go through: a clear message, and nothing changed."""

    status = 400
    code = "identity_failed"
    default_message = _l("본인인증을 마치지 못했습니다. 처음부터 다시 해 주세요.")


class ProviderUnavailable(DomainError):
    status = 503
    code = "identity_unavailable"
    default_message = _l("본인인증 제공자에 연결할 수 없습니다. 잠시 뒤에 다시 해 주세요.")


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


def available() -> bool:
    """Whether a provider is configured: without one, identity-required acts say that verification is unavailable."""
    config = current_app.config
    return bool(config.get("IDENTITY_ISSUER") and config.get("IDENTITY_CLIENT_ID"))


def issuer() -> str:
    return str(current_app.config["IDENTITY_ISSUER"]).rstrip("/")


def _client(redirect_uri: str) -> OAuth2Session:
    config = current_app.config
    return OAuth2Session(config["IDENTITY_CLIENT_ID"], config.get("IDENTITY_CLIENT_SECRET"), scope=SCOPE,
                         redirect_uri=redirect_uri, code_challenge_method="S256")


def _get_json(url: str) -> dict:
    try:
        response = requests.get(url, timeout=TIMEOUT)
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError):
        raise ProviderUnavailable() from None
    if not isinstance(data, dict):
        raise ProviderUnavailable()
    return data


def provider_metadata() -> dict:
    """The provider's OpenID configuration; its issuer must be the configured one (OpenID Discovery 4.3)."""
    if not available():
        raise ProviderUnavailable(_l("본인인증을 지금은 이용할 수 없습니다 (본인인증 제공자가 설정되지 않았습니다)."),
                                  code="identity_unavailable")
    metadata = _get_json(issuer() + "/.well-known/openid-configuration")
    needed = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
    if metadata.get("issuer") != issuer() or not all(isinstance(metadata.get(name), str) for name in needed):
        raise ProviderUnavailable()
    return metadata


def authorization_origin() -> str | None:
    """The origin of the provider's authorization endpoint, where the identity page's form ends up (through a 303):
    the page's Content-Security-Policy must allow it in form-action, or browsers block the redirect. None while
    no provider answers (then `start` says so)."""
    try:
        parts = urlsplit(provider_metadata()["authorization_endpoint"])
    except ProviderUnavailable:
        return None
    origin = f"{parts.scheme}://{parts.netloc}"
    return origin if re.fullmatch(r"https?://[A-Za-z0-9.:\[\]-]+", origin) else None


def start(user: User, redirect_uri: str) -> str:
    """Begin a verification for the signed-in account: the provider's authorization URL to send the browser to."""
    metadata = provider_metadata()
    state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
    url, _state = _client(redirect_uri).create_authorization_url(
        metadata["authorization_endpoint"], state=state, nonce=nonce, code_verifier=verifier)
    session[FLOW] = {"state": state, "nonce": nonce, "verifier": verifier, "user": user.id, "at": int(time.time())}
    return url


def finish(user: User, arguments, redirect_uri: str, still_counting=None) -> VerifiedIdentity:
    """The provider sent the browser back: check everything, then link the person to the account (flushed)."""
    claims = verified_claims(user, arguments, redirect_uri)
    return link(user, claims, still_counting)


def verified_claims(user: User, arguments, redirect_uri: str) -> dict:
    """The id token's claims once the state, the code exchange and every check on the token passed."""
    flow = session.pop(FLOW, None)
    state = arguments.get("state") or ""
    pending = isinstance(flow, dict) and flow.get("user") == user.id \
        and time.time() - flow.get("at", 0) <= FLOW_MAX_AGE
    if pending and arguments.get("error") and (not state or hmac.compare_digest(str(flow["state"]), state)):
        # Nothing is taken from an error answer (some providers leave its state out): the verification ends.
        raise IdentityFailed(_l("본인인증 제공자가 인증을 마치지 않았습니다 (%(error)s).",
                                error=_safe_code(arguments.get("error"))), code="identity_provider_error")
    if not pending or not hmac.compare_digest(str(flow.get("state", "")), state):
        raise IdentityFailed(_l("본인인증 요청이 올바르지 않거나 이미 쓰였거나 너무 오래되었습니다. 처음부터 다시 해 "
                                "주세요."), code="identity_state_invalid")
    metadata = provider_metadata()
    try:
        token = _client(redirect_uri).fetch_token(
            metadata["token_endpoint"], code=arguments.get("code") or "", code_verifier=flow["verifier"],
            timeout=TIMEOUT)
    except requests.RequestException:
        raise ProviderUnavailable() from None
    except (OAuthError, ValueError) as error:
        raise IdentityFailed(_l("본인인증 제공자가 인증 코드를 받아들이지 않았습니다 (%(error)s). 처음부터 다시 "
                                "해 주세요.", error=_safe_code(getattr(error, "error", "invalid"))),
                             code="identity_code_refused") from None
    return check_id_token(token, metadata, flow["nonce"])


def check_id_token(token: dict, metadata: dict, nonce: str) -> dict:
    """The id token's claims after its signature (the provider's keys), issuer, audience, expiry, issue time and
    nonce were checked; IdentityFailed otherwise."""
    refused = IdentityFailed(_l("본인인증 제공자가 보낸 신원 확인 토큰이 올바르지 않습니다. 처음부터 다시 해 "
                                "주세요."), code="identity_token_invalid")
    if not isinstance(token.get("id_token"), str):
        raise refused
    client_id = current_app.config["IDENTITY_CLIENT_ID"]
    algorithms = [name for name in metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
                  if name in SIGNING_ALGORITHMS]
    try:
        keys = KeySet.import_key_set(_get_json(metadata["jwks_uri"]))
        decoded = jwt.decode(token["id_token"], keys, algorithms=algorithms)
        claims = CodeIDToken(decoded.claims, decoded.header,
                             {"iss": {"essential": True, "value": issuer()},
                              "aud": {"essential": True, "value": client_id},
                              "nonce": {"essential": True, "value": nonce}},
                             {"nonce": nonce, "client_id": client_id, "access_token": token.get("access_token")})
        claims.validate(leeway=LEEWAY)
    except (JoseError, ValueError, TypeError, KeyError):
        raise refused from None
    return dict(claims)


def _safe_code(value) -> str:
    """An error code from the provider, shown only if it looks like one (never free text into a page)."""
    value = str(value or "")
    return value if re.fullmatch(r"[a-z_]{1,40}", value) else "error"


def mapped(claims: dict) -> tuple[str, int | None, str | None]:
    """(person identifier, birth year, district) from the claims, by PARTICIPATION_IDENTITY_CLAIMS."""
    mapping = current_app.config["IDENTITY_CLAIMS"]
    person_claims = mapping.get("person") or ["ci", "sub"]
    person_claims = [person_claims] if isinstance(person_claims, str) else person_claims
    identifier = next((str(claims[name]) for name in person_claims
                       if isinstance(claims.get(name), str | int) and str(claims[name])), None)
    if identifier is None:
        raise IdentityFailed(_l("본인인증 제공자가 본인 식별 정보를 보내지 않았습니다."), code="identity_token_invalid")
    birth = str(claims.get(mapping.get("birth_date", "birthdate")) or "")
    year = int(birth[:4]) if re.match(r"^\d{4}(-\d\d-\d\d)?$", birth) and birth[:4] != "0000" else None
    district = claims.get(mapping.get("district", "district"))
    district = district.split()[-1] if isinstance(district, str) and district.strip() else None
    return identifier, year, district if district in DISTRICTS else None


def link(user: User, claims: dict, still_counting=None) -> VerifiedIdentity:
    """Tie the verified person to the account (one person, one account); the verified birth year and district
    replace the typed ones. `still_counting` (participation.privacy.still_counting) refuses a person whose deleted
    account still counts in an item (accounts.services.refuse_return). Flushes."""
    identifier, birth_year, district = mapped(claims)
    hashed = person_hash(identifier)
    if still_counting is not None:
        services.refuse_return(still_counting, person_hash=hashed)
    holder = db.session.scalar(select(VerifiedIdentity).where(VerifiedIdentity.person_hash == hashed))
    if holder is not None and holder.user_id != user.id:
        raise Conflict(_l("이 본인인증 정보는 이미 다른 계정에 연결되어 있습니다. 한 사람은 계정 하나로만 참여할 수 "
                          "있습니다. 원래 계정으로 로그인해 주세요."), code="identity_taken")
    row = db.session.get(VerifiedIdentity, user.id)
    if row is not None and row.person_hash != hashed:
        raise Conflict(_l("이 계정은 이미 다른 사람으로 본인인증되었습니다."), code="identity_mismatch")
    if row is None:
        row = insert_once(VerifiedIdentity, ("person_hash",), user_id=user.id, person_hash=hashed,
                          issuer=issuer(), birth_year=birth_year, district=district)
        if row is None:  # another account took this person meanwhile
            raise Conflict(_l("이 본인인증 정보는 이미 다른 계정에 연결되어 있습니다. 한 사람은 계정 하나로만 참여할 "
                              "수 있습니다. 원래 계정으로 로그인해 주세요."), code="identity_taken")
    else:
        row.birth_year, row.district, row.verified_at = birth_year, district, utcnow()
    db.session.expire(user, ["identity"])
    profile.change(user, district or user.district, birth_year or user.birth_year, verified=True)
    audit(user, "user", user.id, "identity_verified")
    return row


# The verification an item requires of the people who act on it (signing, voting, answering), copied onto the
# item when it opens (like its thresholds).
EMAIL, IDENTITY = "email", "identity"
LEVELS = (EMAIL, IDENTITY)


def check_level(value) -> str:
    if value not in LEVELS:
        raise ValidationError({"verification": _l("email 또는 identity 중 하나여야 합니다.")})
    return value


def require_level(actor, level: str) -> None:
    """An act on an item that requires `identity` needs an account linked to a verified person: 403
    identity_required naming where to verify, or identity_unavailable while no provider is configured."""
    if level != IDENTITY or actor.verification == IDENTITY:
        return
    if not available():
        raise Forbidden(_l("본인인증이 필요한 참여이지만, 지금은 본인인증을 이용할 수 없습니다 (본인인증 제공자가 "
                           "설정되지 않았습니다)."), code="identity_unavailable")
    raise Forbidden(_l("본인인증이 필요한 참여입니다. 본인인증을 마친 뒤에 참여해 주세요: %(url)s",
                       url=url_for("identity.page", _external=True)), code="identity_required")
