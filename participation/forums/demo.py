"""This channel's part of the Korean demo."""


def seed(people) -> None:
    """Add demo items; `people` maps a role name to demo accounts."""
