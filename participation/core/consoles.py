"""What the moderation and staff consoles list. Each channel registers its own entries when its
views are imported, so a new channel shows up without touching the consoles."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ConsoleEntry:
    """One line on a console: a label, a count of things waiting and where to work on them."""

    name: str
    label: object
    count: Callable[[], int]
    endpoint: str


MODERATION: list[ConsoleEntry] = []
STAFF: list[ConsoleEntry] = []


def register(console: list[ConsoleEntry], entry: ConsoleEntry) -> None:
    if all(existing.name != entry.name for existing in console):
        console.append(entry)
