"""Static files: URLs carry a hash of the file's content (`/static/css/site.css?v=3f2a…`), and a request
with the current hash may be cached by browsers and proxies for a year. A changed file gets a new URL, so
nobody keeps an old stylesheet; a request without `v` is revalidated with its ETag as Flask does."""

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Flask, request

YEAR = 365 * 24 * 3600


@lru_cache(maxsize=256)
def _content_hash(path: Path, modified_ns: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def version(folder: str, filename: str) -> str | None:
    path = Path(folder) / filename
    try:
        return _content_hash(path, path.stat().st_mtime_ns)
    except OSError:
        return None


def register(app: Flask) -> None:
    @app.url_defaults
    def versioned_static_url(endpoint, values):
        if endpoint == "static" and "v" not in values:
            stamp = version(app.static_folder, values.get("filename", ""))
            if stamp:
                values["v"] = stamp

    @app.after_request
    def cache_versioned_static(response):
        if (request.endpoint == "static" and response.status_code == 200
                and request.args.get("v") == version(app.static_folder, request.view_args.get("filename", ""))):
            response.cache_control.public = True
            response.cache_control.max_age = YEAR
            response.cache_control.immutable = True
        return response
