"""Message catalogues. Korean is the source language (msgids are Korean); each part of the code base
keeps its English catalogue in translations/<part>/en/. `make extract-messages` refreshes them.

    python -m participation.i18n extract <part>     re-extract a part and merge into its catalogue
    python -m participation.i18n missing [<part>]   list msgids without an English translation
"""

import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CORE_SOURCES = ["participation/core", "participation/main", "participation/admin", "participation/moderation",
                "participation/transparency",
                "participation/staff", "participation/api", "participation/__init__.py", "participation/cli.py",
                "templates/base.html", "templates/errors", "templates/main",
                "templates/admin", "templates/moderation", "templates/transparency", "templates/staff",
                "templates/macros"]


def sources(part: str) -> list[str]:
    paths = CORE_SOURCES if part == "core" else [f"participation/{part}", f"templates/{part}"]
    return [path for path in paths if (ROOT / path).exists()]


def extract(part: str, output: Path) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "--quiet", "extract",
                    "-F", str(ROOT / "babel.cfg"), "--no-location", "--sort-output", "-k", "_l",
                    "-o", str(output), *sources(part)],
                   cwd=ROOT, check=True)


def update(part: str) -> None:
    directory = ROOT / "translations" / part
    template = directory / "messages.pot"
    directory.mkdir(parents=True, exist_ok=True)
    extract(part, template)
    catalogue = directory / "en" / "LC_MESSAGES" / "messages.po"
    # A new part's catalogue is made with `init`, which knows no --ignore-pot-creation-date.
    command = ["update", "--ignore-pot-creation-date"] if catalogue.exists() else ["init"]
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "--quiet", command[0], "-i", str(template),
                    "-d", str(directory), "-l", "en", "--no-wrap", *command[1:]], cwd=ROOT, check=True)


def missing(part: str) -> list[str]:
    """msgids in the code that the English catalogue does not translate."""
    with tempfile.TemporaryDirectory() as scratch:
        template = Path(scratch) / "messages.pot"
        extract(part, template)
        with template.open("rb") as handle:
            wanted = {message.id for message in read_po(handle) if message.id}
    catalogue = ROOT / "translations" / part / "en" / "LC_MESSAGES" / "messages.po"
    translated = set()
    if catalogue.exists():
        with catalogue.open("rb") as handle:
            translated = {message.id for message in read_po(handle)
                          if message.id and message.string and not message.fuzzy
                          and (all(message.string) if isinstance(message.string, tuple) else True)}
    return sorted(str(m) if isinstance(m, str) else str(m[0]) for m in wanted - translated)


def parts() -> list[str]:
    return sorted(path.name for path in (ROOT / "translations").iterdir() if path.is_dir())


if __name__ == "__main__":
    command, *names = sys.argv[1:] or ["missing"]
    if command == "extract":
        for name in names:
            update(name)
    elif command == "missing":
        for name in names or parts():
            for msgid in missing(name):
                print(f"{name}: {msgid}")
