"""The person identifier is kept only as its keyed hash (HMAC with the pepper from the environment)."""

import hashlib
import hmac

import pytest

from participation import create_app
from participation.accounts.identity import person_hash
from participation.config import ConfigurationError
from tests.conftest import make_test_config


def test_the_hash_is_an_hmac_keyed_by_the_pepper(app, tmp_path):
    configured = create_app({**make_test_config(tmp_path), "IDENTITY_PEPPER": "후추-pepper"})
    with configured.app_context():
        assert person_hash("CI-0001") == hmac.new("후추-pepper".encode(), b"CI-0001", hashlib.sha256).hexdigest()
        assert person_hash("CI-0001") == person_hash("CI-0001")
        assert person_hash("CI-0001") != person_hash("CI-0002")
        assert "CI-0001" not in person_hash("CI-0001")
        with pytest.raises(ValueError):
            person_hash("")


def test_another_pepper_gives_another_hash(app, tmp_path):
    hashes = []
    for pepper in ("one pepper", "another pepper"):
        with create_app({**make_test_config(tmp_path), "IDENTITY_PEPPER": pepper}).app_context():
            hashes.append(person_hash("CI-0001"))
    assert hashes[0] != hashes[1]


def test_a_developer_machine_generates_its_pepper_outside_the_database(app, tmp_path):
    with create_app(make_test_config(tmp_path)).app_context():
        first = person_hash("CI-0001")
    assert (tmp_path / "identity_pepper").stat().st_mode & 0o777 == 0o600
    with create_app(make_test_config(tmp_path)).app_context():
        assert person_hash("CI-0001") == first


def test_production_refuses_a_provider_without_a_pepper(app, tmp_path):
    production = {**make_test_config(tmp_path), "ENVIRONMENT": "production", "TRUSTED_HOSTS": ["localhost"],
                  "PROXY_HOPS": 0, "IDENTITY_ISSUER": "https://id.example.kr"}
    with pytest.raises(ConfigurationError, match="IDENTITY_PEPPER"):
        create_app(production)
    without_provider = create_app({**production, "IDENTITY_ISSUER": None})
    with without_provider.app_context(), pytest.raises(ConfigurationError, match="IDENTITY_PEPPER"):
        person_hash("CI-0001")
