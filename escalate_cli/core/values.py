"""`Record`, `Frozen` and `Value`: the repr, immutability, == and hash of dataclasses, written
once for all.

`@dataclass` compiles every method it writes, class by class (about 0.1 ms each on Python 3.11),
and every command creates dozens of classes as it imports what it runs. A class declared
`@dataclass(repr=False)` on `Record` shows as the generated repr would show it. One declared
`@frozen` on `Frozen` is `@dataclass(frozen=True, eq=False)` with only its `__init__` compiled:
its fields cannot be assigned or deleted once `__init__` has set them. One declared `@frozen`
on `Value` also compares and hashes as `@dataclass(frozen=True)` would: `engine.wake.matrix_key`
reads the whole matrix's repr, the tests compare matrices, and `Hours`, among others, may be a
dict key.
"""

from __future__ import annotations

import dataclasses
from reprlib import recursive_repr
from typing import TypeVar, dataclass_transform

T = TypeVar("T")


class Record:
    """Base of a dataclass declared with `repr=False`: its repr is the generated one, fields
    with `repr=False` left out."""

    @recursive_repr()
    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in _names(type(self))[0])
        return f"{type(self).__qualname__}({shown})"


@dataclass_transform(eq_default=False, frozen_default=True)
def frozen(cls: type[T]) -> type[T]:
    """`@dataclass(frozen=True, eq=False)` for a class on Frozen (or Value), as type checkers see
    it too; at run time a plain dataclass, frozen by Frozen's `__setattr__` and `__delattr__`
    instead of two methods compiled for it."""
    if not issubclass(cls, Frozen):  # it would be mutable, whatever type checkers think
        raise TypeError(f"@frozen class {cls.__qualname__} must derive from Frozen or Value")
    return dataclasses.dataclass(repr=False, eq=False)(cls)


class Frozen(Record):
    """Base of a class declared `@frozen`: `__init__` sets each field once, and nothing can set
    or delete one after (FrozenInstanceError, as a frozen dataclass says)."""

    def __setattr__(self, name: str, value: object) -> None:
        if name in self.__dict__ or name not in self.__dataclass_fields__:  # type: ignore[attr-defined]
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")


class Value(Frozen):
    """Base of a class declared `@frozen` that is a value: repr, == and hash by its fields, as
    the ones `@dataclass(frozen=True)` generates (a field's `repr`, `compare` and `hash` flags
    honoured)."""

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
