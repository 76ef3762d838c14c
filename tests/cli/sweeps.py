"""Helpers of the tests of what a sweep tells people: a clock on the tests' Monday, and what one
sweep reminded."""

from __future__ import annotations

from typing import Any

from tests.conftest import Cli


def at(clock: str, day: int = 23) -> str:
    """`HH:MM` on 2026-11-`day` (the 23rd is the tests' Monday), UTC."""
    return f"2026-11-{day}T{clock}:00Z"


def reminded(cli: Cli, clock: str, day: int = 23, *more: str) -> list[dict[str, Any]]:
    """`sweep --json`'s `reminded` at that moment."""
    return list(cli.json("sweep", "--now", at(clock, day), *more)["reminded"])
