"""Static files: content-hashed URLs, cached for a year; without the current hash, revalidated."""

import hashlib
import re

from participation import config


def test_pages_link_static_files_by_content_hash_and_those_are_cached_for_a_year(client):
    page = client.get("/").get_data(as_text=True)
    href = re.search(r'href="(/static/css/site\.css\?v=([0-9a-f]+))"', page)
    assert href, "서울시 시민참여 home page links its stylesheet with a version"
    content = (config.REPOSITORY_ROOT / "static" / "css" / "site.css").read_bytes()
    assert href.group(2) == hashlib.sha256(content).hexdigest()[:12]

    cached = client.get(href.group(1))
    assert cached.status_code == 200
    assert cached.cache_control.max_age == 365 * 24 * 3600
    assert cached.cache_control.public and cached.cache_control.immutable


def test_an_old_or_missing_version_is_not_cached_for_long(client):
    for url in ("/static/css/site.css", "/static/css/site.css?v=000000000000"):
        response = client.get(url)
        assert response.status_code == 200
        assert not response.cache_control.max_age
    assert client.get("/static/css/nothing.css").status_code == 404
