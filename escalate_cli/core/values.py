"""`Record` and `Value`: the repr (and the == and hash) of dataclasses, written once for all.

`@dataclass` compiles every method it writes, class by class (about 0.1 ms each on Python 3.11),
and every command creates dozens of classes as it imports what it runs. A class declared
`@dataclass(repr=False)` on `Record` shows as the generated repr would show it; one declared
`@dataclass(frozen=True, repr=False, eq=False)` on `Value` also compares and hashes as
`@dataclass(frozen=True)` would: `engine.wake.matrix_key` reads the whole matrix's repr, the
tests compare matrices, and `Hours` (among others) may be a dict key.
"""

from __future__ import annotations

import dataclasses
from reprlib import recursive_repr


class Record:
    """Base of a dataclass declared with `repr=False`: its repr is the generated one, fields
    with `repr=False` left out."""

    @recursive_repr()
    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in _names(type(self))[0])
        return f"{type(self).__qualname__}({shown})"


class Value(Record):
    """Base of a frozen dataclass declared with `repr=False, eq=False`: repr, == and hash by its
    fields, as the ones `@dataclass(frozen=True)` generates (a field's `repr`, `compare` and
    `hash` flags honoured)."""

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        compared = _names(type(self))[1]
        return _values(self, compared) == _values(other, compared)

    def __hash__(self) -> int:
        return hash(_values(self, _names(type(self))[2]))


def _values(value: object, names: tuple[str, ...]) -> tuple[object, ...]:
    # A tuple, as the generated methods build: its == takes an item as equal to itself first.
    return tuple(getattr(value, name) for name in names)


_Names = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]
_NAMES: dict[type, _Names] = {}


def _names(cls: type) -> _Names:
    """The fields `cls` shows in its repr, compares, and hashes."""
    names = _NAMES.get(cls)
    if names is None:
        fields = dataclasses.fields(cls)
        names = _NAMES[cls] = (
            tuple(field.name for field in fields if field.repr),
            tuple(field.name for field in fields if field.compare),
            tuple(
                field.name
                for field in fields
                if (field.compare if field.hash is None else field.hash)
            ),
        )
    return names
