"""The baseline: a bare Flask endpoint returning a small JSON, served exactly like the app."""

from flask import Flask

app = Flask(__name__)


@app.get("/ping")
def ping():
    return {"ok": True, "service": "baseline"}
