"""What the home page shows: each channel's newest open items, when the channel provides them."""

import importlib

HOME_CHANNELS = ("petitions", "proposals", "polls", "forums", "surveys", "budgets")


def home_sections() -> list[dict]:
    """Each channel may define `queries.home_items(limit)` returning (title, url, detail) tuples."""
    sections = []
    for name in HOME_CHANNELS:
        try:
            queries = importlib.import_module(f"participation.{name}.queries")
        except ModuleNotFoundError:
            continue
        if hasattr(queries, "home_items"):
            sections.append({"channel": name, "items": queries.home_items(5)})
    return sections
