"""Wording shared by messages and documents: a count with its noun in the right number."""


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """`1 case`, `0 cases`, `2 cases`; give an irregular plural: plural(n, "entry", "entries")."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"
