"""escalate: run customer escalations from the command line.

The Python API: `from escalate_cli import Session` (see docs/python-api.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Changed", "Session", "Swept", "__version__"]

if TYPE_CHECKING:
    from escalate_cli.core.session import Changed, Session, Swept


def __getattr__(name: str) -> Any:
    """`Session` and its results are imported on first use: the CLI never pays for them."""
    if name in ("Session", "Changed", "Swept"):
        from escalate_cli.core import session

        return getattr(session, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
