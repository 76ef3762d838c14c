"""Tests for core.values: the classes built on Value show, compare, hash and refuse changes as
`@dataclass(frozen=True)` would have them do, those on Frozen refuse changes, and those on Record
show as `@dataclass` would."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from escalate_cli.cli._app import Settings
from escalate_cli.core.cases.filters import CaseFilter
from escalate_cli.core.engine.routing import Due, Schedule
from escalate_cli.core.matrix.loader import load_matrix
from escalate_cli.core.store.store_base import Listing
from escalate_cli.core.time.hours import Hours
from escalate_cli.core.values import Frozen, Record, Value, frozen, record

ROOT = Path(__file__).resolve().parent.parent.parent
MATRICES = sorted((ROOT / "matrices").glob("*.yaml"))
T = datetime(2026, 11, 23, 12, tzinfo=UTC)


def values_in(item: Any) -> Iterator[Value]:
    """Every Value in a matrix, the matrix first."""
    if isinstance(item, Value):
        yield item
        for field in dataclasses.fields(item):  # type: ignore[arg-type]
            yield from values_in(getattr(item, field.name))
    elif isinstance(item, dict):
        for held in item.values():
            yield from values_in(held)
    elif isinstance(item, tuple):
        for held in item:
            yield from values_in(held)


def generated_twin(value: Record) -> Any:
    """The same fields in a class of the same name that `@dataclass(frozen=True)` wrote."""
    cls = type(value)
    fields = [
        (f.name, f.type, dataclasses.field(repr=f.repr, hash=f.hash, compare=f.compare))
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
    ]
    twin_class = dataclasses.make_dataclass(cls.__name__, fields, frozen=True)
    twin_class.__qualname__ = cls.__qualname__
    twin: Any = object.__new__(twin_class)
    twin.__dict__.update(value.__dict__)
    return twin


@pytest.mark.parametrize("path", MATRICES, ids=[path.name for path in MATRICES])
def test_every_value_shows_and_hashes_as_a_generated_dataclass(path: Path) -> None:
    found = list(values_in(load_matrix(path)))
    kinds = {type(value).__name__ for value in found}
    assert {"Matrix", "Level", "Contact", "Severity", "Hooks", "NotifyOn"} <= kinds
    for value in found:
        twin = generated_twin(value)
        assert repr(value) == repr(twin)
        try:
            expected: Any = hash(twin)
        except TypeError as error:  # a field holds a dict, as Matrix's do
            expected = str(error)
        try:
            assert hash(value) == expected
        except TypeError as error:
            assert str(error) == expected


def test_values_compare_by_their_compared_fields_alone() -> None:
    matrix = load_matrix(MATRICES[0])
    again = load_matrix(MATRICES[0])
    assert matrix == again and matrix is not again
    level = matrix.levels[0]
    assert dataclasses.replace(level, name="Someone else") != level
    assert level != generated_twin(level)  # another class, even with the same fields
    assert level.__eq__("L1") is NotImplemented
    # Hours keeps its compiled minutes out of ==, hash and repr, as its fields say.
    hours, same = Hours("Mon-Fri 08:00-18:00"), Hours("Mon-Fri 08:00-18:00")
    object.__setattr__(same, "changes", ())
    assert hours == same and hash(hours) == hash(same)
    assert repr(hours) == "Hours(spec='Mon-Fri 08:00-18:00')"
    assert {hours: 1}[same] == 1


def refusal(action: Any, item: object) -> str:
    with pytest.raises(dataclasses.FrozenInstanceError) as refused:
        action(item)
    return str(refused.value)


@pytest.mark.parametrize("path", MATRICES[:1], ids=[path.name for path in MATRICES[:1]])
def test_frozen_classes_refuse_changes_as_frozen_dataclasses_do(path: Path) -> None:
    matrix = load_matrix(path)
    for value in [matrix, matrix.levels[0], matrix.hooks, Hours("Mon 09:00-17:00"), CaseFilter()]:
        twin = generated_twin(value)
        for action in (
            lambda item: setattr(item, "name", "changed"),  # a field, or not, by class
            lambda item: setattr(item, "not_a_field", 1),
            lambda item: delattr(item, dataclasses.fields(item)[0].name),
        ):
            assert refusal(action, value) == refusal(action, twin)
    assert matrix.contacts_by_id  # a cached_property still keeps what it works out
    assert "contacts_by_id" in vars(matrix)
    wanted = CaseFilter()
    assert wanted._by_status_only and "_by_status_only" in vars(wanted)


def test_records_show_as_generated_dataclasses() -> None:
    records = [
        Schedule(T, [], [], warnings=[("ack", T, T)]),
        CaseFilter(tags=("vip",), breached=True),
        Listing([], {}),
        Settings(json=True),
    ]
    for each in records:
        assert repr(each) == repr(generated_twin(each))
    assert repr(Due()) == "Due(move=None, notify=[], breaches=[], repeat=None, warnings=[])"
    assert Due() == Due() and Due() != Due(warnings=[("ack", T, T)])  # == stays generated


def test_frozen_and_record_take_only_classes_on_their_bases() -> None:
    class Loose:
        name: str

    with pytest.raises(TypeError, match="must derive from Frozen"):
        frozen(Loose)
    with pytest.raises(TypeError, match="must derive from Record"):
        record(Loose)


def declared_records() -> list[type]:
    """Every dataclass escalate declares on Record: @record, @frozen, and `@dataclass` ones (the
    stand-ins that wrote an `__init__` left out)."""
    for module in (
        "escalate_cli.core.cases.steps",
        "escalate_cli.core.engine.availability",
        "escalate_cli.core.session",
    ):
        importlib.import_module(module)  # they declare some, and nothing above imports them
    found: list[type] = []
    waiting: list[type] = [Record]
    while waiting:
        for sub in waiting.pop().__subclasses__():
            waiting.append(sub)
            declared = getattr(sys.modules[sub.__module__], sub.__name__, None) is sub
            if declared and dataclasses.is_dataclass(sub):
                found.append(sub)
    return found


def made_with(cls: type, args: tuple[int, ...]) -> str:
    """What making `cls` of `args` says: its TypeError, or that it was made."""
    try:
        cls(*args)
    except TypeError as error:
        return str(error)
    return "made"


def test_records_are_made_as_generated_dataclasses_are() -> None:
    # A @frozen or @record class's `__init__` is written on first use (values._InitOnFirstUse):
    # the same signature, defaults and messages as the one `@dataclass` writes at once.
    classes = declared_records()
    names = {cls.__name__ for cls in classes}
    assert {"Matrix", "Level", "Hours", "CaseFilter", "Schedule", "Reached", "Away"} <= names
    assert {"Changed", "Listed", "Initialized", "Listing", "SweepCases"} <= names
    for cls in classes:
        fields = [
            (f.name, f.type, dataclasses.field(default=f.default, init=f.init))
            if f.default_factory is dataclasses.MISSING
            else (f.name, f.type, dataclasses.field(default_factory=f.default_factory))
            for f in dataclasses.fields(cls)
        ]
        twin = dataclasses.make_dataclass(cls.__name__, fields, frozen=True)
        twin.__qualname__ = cls.__qualname__
        assert inspect.signature(cls) == inspect.signature(twin), cls
        for args in [(), tuple(range(len(fields) + 1))]:
            assert made_with(cls, args) == made_with(twin, args)
    hours = Hours("Mon 09:00-17:00")
    assert hours == Hours(spec="Mon 09:00-17:00") and hours.changes
    assert Schedule(T, [], []).warnings == []


def worked_out(cls: type) -> bool:
    """Whether `cls` holds fields `@dataclass` worked out (not the stand-in asking for them)."""
    return isinstance(vars(cls)["__dataclass_fields__"], dict)


def field_shapes(cls: type) -> list[tuple[object, ...]]:
    return [
        (f.name, f.default, f.default_factory, f.repr, f.compare, f.hash, f.init)
        for f in dataclasses.fields(cls)
    ]


def test_a_declared_class_is_worked_out_when_first_asked_as_the_decorator_would() -> None:
    @frozen
    class Base(Value):
        name: str
        tags: list[str] = dataclasses.field(default_factory=list, repr=False)

    @frozen
    class Child(Base):
        size: int = 3

    class Plain(Child):
        pass

    @dataclasses.dataclass(frozen=True)
    class EagerBase:
        name: str
        tags: list[str] = dataclasses.field(default_factory=list, repr=False)

    @dataclasses.dataclass(frozen=True)
    class EagerChild(EagerBase):
        size: int = 3

    assert not worked_out(Base) and not worked_out(Child)
    assert field_shapes(Plain) == field_shapes(EagerChild)  # a plain subclass inherits them
    assert worked_out(Base) and worked_out(Child) and Child.size == 3
    assert field_shapes(Base) == field_shapes(EagerBase)
    made = Child("a")
    assert repr(made) == f"{Child.__qualname__}(name='a', size=3)" and made.tags == []
    assert made == Child("a", []) and made != Child("a", ["x"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.size = 4  # type: ignore[misc]


def test_a_declared_class_is_made_before_anything_asked_for_its_fields() -> None:
    @record
    class Note(Record):
        text: str
        seen: int = 0

    assert not worked_out(Note)
    assert repr(Note("hi")) == f"{Note.__qualname__}(text='hi', seen=0)" and worked_out(Note)


def test_an_undocumented_class_gets_the_docstring_the_decorator_gives() -> None:
    @record
    class Bare(Record):
        text: str

    class EagerBare(Record):
        text: str

    dataclasses.dataclass(repr=False, eq=False, init=False)(EagerBare)
    # Writing one asks `__init__` for its signature, which must not ask for the fields again.
    assert [field.name for field in dataclasses.fields(Bare)] == ["text"]  # type: ignore[arg-type]
    assert Bare.__doc__ == EagerBare.__doc__.replace("EagerBare", "Bare")  # type: ignore[union-attr]


def test_a_bad_declaration_is_refused_when_the_first_one_is_made() -> None:
    @frozen
    class Broken(Frozen):
        first: int = 1
        second: int  # type: ignore[misc]

    for _ in range(2):  # and every time after: nothing half written is kept
        with pytest.raises(TypeError, match="non-default argument 'second' follows default"):
            Broken(1, 2)


def test_unpickling_a_matrix_works_out_none_of_its_classes(tmp_path: Path) -> None:
    # The promise the laziness is for: a command that reads the cached matrix and its wake
    # key (`list`, `show`) pays for no class it does not look into.
    check = (
        "import sys; from escalate_cli.core.matrix import matrix_cache, model;"
        "from escalate_cli.core.engine.wake import matrix_key;"
        "matrix_key(matrix_cache.load(sys.argv[1], {'ESCALATE_CACHE_DIR': sys.argv[2]}));"
        "print(sorted(name for name, cls in vars(model).items() if isinstance(cls, type)"
        " and isinstance(vars(cls).get('__dataclass_fields__'), dict)))"
    )
    argv = [sys.executable, "-c", check, str(MATRICES[0]), str(tmp_path / "cache")]
    subprocess.run(argv, check=True, capture_output=True)  # validates, and caches
    shown = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    assert shown.strip() == "[]"
