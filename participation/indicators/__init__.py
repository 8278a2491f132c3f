"""The plan's 40 indicators."""
