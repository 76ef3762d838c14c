"""Property tests for core.matrix: junk in, only ever a MatrixError out."""

from __future__ import annotations

import copy
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalate_cli.core.errors import MatrixError
from escalate_cli.core.matrix.loader import load_matrix_text
from escalate_cli.core.matrix.model import Matrix
from tests.core.matrix_helpers import ROOT

MATRIX_WORDS = [
    "version",
    "name",
    "case_prefix",
    "timezone",
    "contacts",
    "rotations",
    "levels",
    "paths",
    "severities",
    "default_severity",
    "skip_unavailable",
    "triggers",
    "id",
    "members",
    "shift",
    "start",
    "hours",
    "away",
    "from",
    "until",
    "delegate",
    "after",
    "ack",
    "min_time",
    "resolve",
    "notify",
    "also_notify",
    "external",
    "agreement",
    "when",
    "then",
    "level",
    "reopened",
    "keywords",
    "breached",
    "jump",
    "path",
    "severity",
    "escalate",
    "rotation:r",
    "L1",
    "a",
    "tiers",
    "tier",
    "default",
    "sev1",
]
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-3, 10**20)
    | st.floats(allow_nan=True)
    | st.text(max_size=12)
    | st.sampled_from([*MATRIX_WORDS, "1h", "0s", "Mon-Fri 09:00-17:00", "2026-01-05", "UTC"])
)
keys = st.sampled_from(MATRIX_WORDS) | st.text(max_size=6) | st.integers(0, 3)
junk = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=30,
)
YAML_BITS = [*":-[]{}#&*!|>'\"%@`,? \n\t\\", "levels:", "  - ", "id: L1", "\n  ", "<<: *a"]
junk_yaml = st.lists(st.sampled_from(YAML_BITS) | st.text(max_size=3), max_size=40).map("".join)

JUNK_SETTINGS = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def dump(data: Any) -> str:
    return yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), allow_unicode=True)


def only_matrix_errors(text: str) -> None:
    try:
        result = load_matrix_text(text, "junk.yaml")
    except MatrixError as error:
        assert error.problems
        assert all(p.file == "junk.yaml" for p in error.problems)
        assert all(p.line is None or p.line >= 1 for p in error.problems)
    else:
        assert isinstance(result, Matrix)


@JUNK_SETTINGS
@given(st.text(max_size=200) | junk_yaml)
def test_junk_text_only_ever_raises_matrix_error(text: str) -> None:
    only_matrix_errors(text)


@JUNK_SETTINGS
@given(junk | st.dictionaries(keys, junk, max_size=8))
def test_junk_structures_only_ever_raise_matrix_error(data: Any) -> None:
    only_matrix_errors(dump(data))


def _paths_into(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths_into(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths_into(item, (*prefix, index))
    return found


def spliced(original: Any, changes: list[tuple[tuple[Any, ...], Any]]) -> Any:
    """A copy of `original` with the value at each key path replaced."""
    data = copy.deepcopy(original)
    for path, replacement in changes:
        parent = data
        try:
            for part in path[:-1]:
                parent = parent[part]
            parent[path[-1]] = replacement
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change already replaced this part of the tree
    return data


SUPPORT = yaml.safe_load((ROOT / "matrices" / "support.yaml").read_text("utf-8"))
SUPPORT_PATHS = _paths_into(SUPPORT)[1:]


@JUNK_SETTINGS
@given(st.lists(st.tuples(st.sampled_from(SUPPORT_PATHS), junk), min_size=1, max_size=3))
def test_a_real_matrix_with_junk_spliced_in_only_raises_matrix_error(
    changes: list[tuple[tuple[Any, ...], Any]],
) -> None:
    only_matrix_errors(dump(spliced(SUPPORT, changes)))


# A level's `ack` and `after`: a duration, or a mapping from severity id (or `default`) to one.
timer_keys = st.sampled_from(["sev1", "sev2", "sev4", "sev9", "default", "", "SEV1"]) | keys
level_timers = (
    scalars
    | junk
    | st.dictionaries(timer_keys, scalars | junk, max_size=5)
    | st.dictionaries(timer_keys, st.sampled_from(["5m", "1h", "2x", "0s", "99999w"]), max_size=5)
)


@JUNK_SETTINGS
@given(st.integers(0, len(SUPPORT["levels"]) - 1), st.sampled_from(["ack", "after"]), level_timers)
def test_junk_level_timers_only_raise_matrix_error(index: int, key: str, value: Any) -> None:
    text = dump(spliced(SUPPORT, [(("levels", index, key), value)]))
    only_matrix_errors(text)
    try:
        matrix = load_matrix_text(text, "junk.yaml")
    except MatrixError:
        return
    level = matrix.levels[index]
    for severity in [*matrix.severities_by_id, None, "sev9"]:
        for span in (level.ack_for(severity), level.after_for(severity)):
            assert span is None or span.total_seconds() > 0


@JUNK_SETTINGS
@given(st.lists(st.text(max_size=8) | st.sampled_from(["vip", "VIP", "gold", " "]), max_size=4))
def test_junk_tiers_only_raise_matrix_error(tiers: list[str]) -> None:
    only_matrix_errors(dump({**SUPPORT, "tiers": tiers}))
