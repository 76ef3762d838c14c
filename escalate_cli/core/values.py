"""`Record`, `Frozen` and `Value`: the repr, immutability, == and hash of dataclasses, written
once for all.

`@dataclass` compiles every method it writes, class by class (about 0.1 ms each on Python 3.11),
and every command creates dozens of classes as it imports what it runs. A class declared
`@record` (or `@dataclass(repr=False)`) on `Record` shows as the generated repr would show it,
and `@record` works it out as a dataclass, and compiles its `__init__`, only when something
first asks for its fields or makes one. One declared `@frozen` on `Frozen` is
`@dataclass(frozen=True, eq=False)` with only its `__init__` compiled, and is worked out as
lazily: its fields cannot be assigned or deleted once `__init__` has set them. One declared
`@frozen` on `Value` also compares and hashes as `@dataclass(frozen=True)` would:
`Matrix.digest` reads the whole matrix's repr, the tests compare matrices, and `Hours`, among
others, may be a dict key.
"""

from __future__ import annotations

import dataclasses
from reprlib import recursive_repr
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")


class Record:
    """Base of a dataclass declared with `repr=False`: its repr is the generated one, fields
    with `repr=False` left out."""

    @recursive_repr()
    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in _names(type(self))[0])
        return f"{type(self).__qualname__}({shown})"


@dataclass_transform(eq_default=False)
def record(cls: type[T]) -> type[T]:
    """`@dataclass(eq=False)` for a class on Record, its `__init__` compiled when the first one
    is made (most commands make one or two of the records a module declares)."""
    if not issubclass(cls, Record):  # its repr would be object's
        raise TypeError(f"@record class {cls.__qualname__} must derive from Record")
    return _dataclass_on_first_use(cls)


@dataclass_transform(eq_default=False, frozen_default=True)
def frozen(cls: type[T]) -> type[T]:
    """`@dataclass(frozen=True, eq=False)` for a class on Frozen (or Value), as type checkers see
    it too; at run time a plain dataclass, frozen by Frozen's `__setattr__` and `__delattr__`
    instead of two methods compiled for it."""
    if not issubclass(cls, Frozen):  # it would be mutable, whatever type checkers think
        raise TypeError(f"@frozen class {cls.__qualname__} must derive from Frozen or Value")
    return _dataclass_on_first_use(cls)


def _dataclass_on_first_use(cls: type[T]) -> type[T]:
    cls.__dataclass_fields__ = _FieldsOnFirstUse(cls)  # type: ignore[attr-defined]
    cls.__init__ = _InitOnFirstUse(cls)  # type: ignore[assignment,method-assign]
    return cls


class _FieldsOnFirstUse:
    """The `__dataclass_fields__` of one @frozen or @record class until something asks for
    them (`dataclasses.fields`, a repr, ==, a hash, an assignment, the first `__init__`): then
    `@dataclass(repr=False, eq=False, init=False)` works the class out, as the decorator would
    have at import, and its fields take this one's place. A command imports dozens of these
    classes and looks into few: the matrix is unpickled, which asks for none, and working
    them all out cost `list` ~2 ms (37 classes, measured)."""

    def __init__(self, cls: type) -> None:
        self.cls = cls  # a subclass that is no dataclass of its own inherits these fields

    def __get__(self, instance: object, owner: type) -> Any:
        cls = self.cls
        if cls.__dict__.get("__dataclass_fields__") is self:
            # `@dataclass` sees the class as the decorator did at import, without the
            # `__init__` it does not write (asking for that one would ask for these fields).
            init = cls.__dict__["__init__"]
            del cls.__init__  # type: ignore[misc]
            try:
                dataclasses.dataclass(repr=False, eq=False, init=False)(cls)
            finally:
                cls.__init__ = init  # type: ignore[misc]
        return cls.__dict__["__dataclass_fields__"]


class _InitOnFirstUse:
    """The `__init__` of one @frozen or @record class: the very one `@dataclass` writes,
    compiled the first time the class is made or its `__init__` looked at. A command imports
    dozens of these classes and makes few: the matrix is unpickled, which calls no `__init__`,
    and compiling them all cost `list` ~3.5 ms."""

    def __init__(self, cls: type) -> None:
        self.cls = cls

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        cls = self.cls
        # `@dataclass` cannot process the class again (its defaults are class attributes now,
        # or gone); on a bare subclass named as the class, it writes the `__init__` it would
        # have written for the class, from the fields the subclass inherits.
        named = {
            "__module__": cls.__module__,
            "__qualname__": cls.__qualname__,
            "__doc__": cls.__doc__,
        }
        stand_in = type(cls.__name__, (cls,), named)
        init = vars(dataclasses.dataclass(repr=False, eq=False)(stand_in))["__init__"]
        cls.__init__ = init  # type: ignore[misc]
        return init.__get__(instance, owner)


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
