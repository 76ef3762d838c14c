"""Tests for core.matrix: loading, the file itself, YAML problems and many problems at once."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from escalate_cli.core.errors import ExitCode, MatrixError
from escalate_cli.core.matrix import loader as matrix_module
from escalate_cli.core.matrix.loader import load_matrix, load_matrix_text, validate_file
from escalate_cli.core.matrix.model import Matrix
from escalate_cli.core.matrix.model import Path as MatrixPath
from tests.core.matrix_helpers import BASE, DURATION_HELP, FIXTURES, ROOT, problems, with_base

# Loading a valid matrix ---------------------------------------------------------------------------


def test_minimal_matrix_loads_with_defaults() -> None:
    matrix = load_matrix_text(BASE, "m.yaml")
    assert isinstance(matrix, Matrix)
    assert [level.id for level in matrix.levels] == ["L1", "L2"]
    assert matrix.levels[1].contacts == ("sam", "tia")
    assert matrix.levels[1].after is not None and matrix.levels[1].after.total_seconds() == 14400
    assert matrix.case_prefix == "ESC"
    assert list(matrix.all_paths) == ["default"]


def test_short_and_long_paths_load_alike() -> None:
    matrix = load_matrix_text(
        with_base(
            """\
            paths:
              default: [L1, L2]
              quick:
                levels: [L2]
                also_notify: [dana]
                agreement: required
            """
        ),
        "m.yaml",
    )
    assert matrix.paths["default"] == MatrixPath(levels=("L1", "L2"))
    assert matrix.paths["quick"].agreement == "required"
    assert matrix.paths["quick"].also_notify == ("dana",)


def test_a_bare_rotation_id_and_rotation_prefix_are_both_level_contacts() -> None:
    matrix = load_matrix_text(
        with_base(
            """\
              - id: L3
                contacts: [oncall, rotation:oncall]
            rotations:
              - id: oncall
                members: [dana, sam]
                shift: 1w
                start: 2026-01-05T09:00
            """
        ),
        "m.yaml",
    )
    assert matrix.levels[2].contacts == ("oncall", "rotation:oncall")


def test_load_matrix_reads_a_path_like(tmp_path: Path) -> None:
    path = tmp_path / "escalation.yaml"
    path.write_text(BASE, encoding="utf-8")
    assert load_matrix(path).levels[0].id == "L1"
    assert load_matrix(str(path)).levels[0].id == "L1"
    assert validate_file(path) == []


def test_a_byte_order_mark_is_not_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + BASE.encode())
    assert load_matrix(path).levels[0].id == "L1"


# The file itself -------------------------------------------------------------------------------


def test_a_missing_file_is_an_invalid_matrix_naming_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(MatrixError) as caught:
        load_matrix(missing)
    assert str(caught.value) == f"{missing}: file not found"
    assert caught.value.exit_code == ExitCode.INVALID_MATRIX
    assert [str(p) for p in validate_file(missing)] == [f"{missing}: file not found"]


def test_a_directory_is_not_a_matrix(tmp_path: Path) -> None:
    assert [str(p) for p in validate_file(tmp_path)] == [
        f"{tmp_path}: is a directory, not a matrix file"
    ]


def test_an_unreadable_file_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    (tmp_path / "locked.yaml").write_text("version: 1\n")
    # Tests may run as root, who can read anything: make open() refuse instead of chmod.
    with monkeypatch.context() as patched:
        patched.setattr(os, "open", refuse)
        problems = [str(p) for p in validate_file("locked.yaml")]
    assert problems == ["locked.yaml: cannot read the file: permission denied"]


def test_a_file_that_is_not_utf8_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"name: caf\xe9\n")
    assert [str(p) for p in validate_file(path)] == [f"{path}: not UTF-8 text (byte 9)"]


@pytest.mark.parametrize(
    "text",
    ["", "\n\n", "# only a comment\n", "---\n", "--- # nothing\n...\n"],
    ids=["empty", "blank", "comment", "document-start", "document-end"],
)
def test_an_empty_file_is_an_invalid_matrix(text: str) -> None:
    assert problems(text) == ["m.yaml: the file is empty (a matrix needs at least `levels`)"]


@pytest.mark.parametrize(
    ("text", "line"),
    [("- a\n- b\n", 1), ("just a string\n", 1), ("# header\n\n42\n", 3), ("null\n", 1)],
)
def test_a_top_level_that_is_not_a_mapping(text: str, line: int) -> None:
    assert problems(text) == [
        f"m.yaml:{line}: expected a mapping of keys (version, contacts, levels, ...)"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "version: 1\nlevels: [L1\nname: x\n",
            "m.yaml:3: invalid YAML: expected ',' or ']', but got ':' (column 5)",
        ),
        (
            "version: 1\nname: a: b\n",
            "m.yaml:2: invalid YAML: mapping values are not allowed here (column 8)",
        ),
        (
            "version: 1\n---\nversion: 1\n",
            "m.yaml:2: invalid YAML: expected a single document in the stream, "
            "but found another document (column 1)",
        ),
        (
            "levels: *nowhere\n",
            "m.yaml:1: invalid YAML: found undefined alias 'nowhere' (column 9)",
        ),
        ("name: !!python/name:os.system x\n", "m.yaml:1: invalid YAML: could not determine"),
        ("version: 1\nname: 0b_\n", 'm.yaml:2: invalid YAML: bad number "0b_" (column 7)'),
        ("version: 1\nname: 0x_\n", 'm.yaml:2: invalid YAML: bad number "0x_" (column 7)'),
        (
            "contacts:\n  - id: a\n    away: [{from: 2026-02-30}]\n",
            'm.yaml:3: invalid YAML: bad date "2026-02-30" (column 19)',
        ),
        ("name: a\x01b\n", "m.yaml:1: invalid YAML: unacceptable character #x0001"),
        ("a: &x [*x]\n", "m.yaml:1: invalid YAML: an alias refers to itself"),
    ],
    ids=[
        "unclosed-list",
        "colon",
        "two-documents",
        "undefined-alias",
        "python-tag",
        "bad-binary",
        "bad-int",
        "bad-date",
        "control-character",
        "alias-loop",
    ],
)
def test_invalid_yaml_names_the_file_and_line(text: str, expected: str) -> None:
    reported = problems(text)
    assert len(reported) == 1
    assert reported[0].startswith(expected)


def test_an_alias_bomb_is_refused_without_expanding_it() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 8)]
    assert problems("\n".join(lines) + "\n") == [
        "m.yaml: too many values once aliases are expanded (over 50000)"
    ]


DEPTH = sys.getrecursionlimit()


@pytest.mark.parametrize(
    "text",
    # Each level costs the Python loader at least one frame: this many cannot fit.
    [
        "levels: " + "[" * DEPTH + "]" * DEPTH + "\n",
        "levels:\n" + "- " * DEPTH + "x\n",
    ],
    ids=["flow", "block"],
)
def test_deep_nesting_is_an_error_not_a_crash(text: str) -> None:
    # libyaml would recurse in C until the process dies; the Python loader stops cleanly.
    assert problems(text) == ["m.yaml: invalid YAML: nested too deeply"]


def test_the_python_loader_reads_what_libyaml_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (ROOT / "matrices" / "support.yaml").read_text("utf-8")
    fast = load_matrix_text(text, "support.yaml")
    monkeypatch.delattr(yaml, "CSafeLoader", raising=False)
    assert load_matrix_text(text, "support.yaml") == fast
    broken = text.replace("after: 4h", "after: 4x", 1).replace(
        "  - id: eli\n", "  - id: eli\n  x\n"
    )
    monkeypatch.undo()
    with_c = [str(p) for p in matrix_module._check_text(broken, "s.yaml")[1]]
    monkeypatch.delattr(yaml, "CSafeLoader", raising=False)
    assert [str(p) for p in matrix_module._check_text(broken, "s.yaml")[1]] == with_c


def test_anchors_and_aliases_are_allowed() -> None:
    matrix = load_matrix_text(
        with_base(
            """\
            paths:
              default: &ladder [L1, L2]
              other: *ladder
            """
        ),
        "m.yaml",
    )
    assert matrix.paths["other"].levels == ("L1", "L2")


# Duplicate keys --------------------------------------------------------------------------------


def test_duplicate_keys_are_reported_at_the_second_one() -> None:
    text = """\
        version: 1
        name: one
        levels:
          - id: L1
            contacts: [a]
            after: 1h
            after: 2h
        contacts:
          - id: a
        name: two
        """
    assert problems(text) == [
        'm.yaml:7: levels[0].after: duplicate key "after" (first on line 6)',
        'm.yaml:10: name: duplicate key "name" (first on line 2)',
    ]


def test_a_path_defined_twice_is_a_duplicate_key() -> None:
    text = with_base(
        """\
        paths:
          default: [L1, L2]
          default: [L1]
        """
    )
    assert problems(text) == [
        'm.yaml:14: paths.default: duplicate key "default" (first on line 13)'
    ]


def test_merge_keys_are_not_duplicates() -> None:
    text = with_base(
        """\
        severities:
          - &sla {id: sev1, ack: 15m, resolve: 4h}
          - <<: *sla
            id: sev2
        """
    )
    matrix = load_matrix_text(text, "m.yaml")
    assert [s.id for s in matrix.severities] == ["sev1", "sev2"]
    assert matrix.severities[1].ack == matrix.severities[0].ack


# Many problems at once -----------------------------------------------------------------------


def test_every_problem_is_reported_at_once_sorted_by_line() -> None:
    reported = [str(p) for p in validate_file(FIXTURES / "bad-many.yaml")]
    name = str(FIXTURES / "bad-many.yaml")
    assert reported == [f"{name}:{line}" for line in EXPECTED_BAD_MANY]


EXPECTED_BAD_MANY = [
    "2: version: unsupported version 3 (this escalate reads version 1)",
    '4: case_prefix: bad case prefix "E-S-C" (use letters and digits, starting with a letter: ESC)',
    '5: timezone: unknown timezone "Europe/Londn" (use an IANA name such as Europe/London or UTC)',
    '9: contacts[0].emial: unknown key "emial" (did you mean "email"?)',
    '13: contacts[0].away[0].delegate: unknown contact "eli" (known: dana, sam, frontline)',
    '15: contacts[1].hours: bad hours "Mon-Fri 9-5": cannot read "Mon-Fri 9-5" '
    "(use HH:MM-HH:MM, e.g. Mon-Fri 09:00-18:00)",
    '17: contacts[3].id: duplicate id "sam" (already used by contacts[1])',
    "21: rotations[0].members: a rotation needs at least one member",
    f'22: rotations[0].shift: bad duration "weekly" {DURATION_HELP}',
    f'28: levels[0].after: bad duration "2x" {DURATION_HELP}',
    '29: levels[1]: missing required key "contacts"',
    '32: levels[2].contacts[0]: unknown contact "sma" '
    "(known: dana, sam, frontline, rotation:oncall)",
    '35: paths.default[2]: level "L2" is below "L3" '
    "(list a path's levels bottom to top, in the order of levels)",
    "36: paths.billing: empty path: list at least one level",
    '38: paths.security.levels[1]: unknown level "SEC" (known: L1, L2, L3)',
    '39: paths.security.agreement: expected "required" or "none"',
    '43: severities[0].start: unknown level "L9" (known: L1, L2, L3)',
    '44: severities[1].id: duplicate id "sev1" (already used by severities[0])',
    '45: default_severity: unknown severity "sev3" (known: sev1)',
    '49: triggers[0].when.type: unknown path "legl" (known: default, billing, security)',
    '50: triggers[0].then.path: unknown path "legal" (known: default, billing, security)',
    "52: triggers[1].when.reopened: expected a positive whole number of reopens",
    '56: skip_unavailable: duplicate key "skip_unavailable" (first on line 55)',
]


def test_the_error_message_counts_the_rest() -> None:
    with pytest.raises(MatrixError) as caught:
        load_matrix(FIXTURES / "bad-many.yaml")
    count = len(EXPECTED_BAD_MANY) - 1
    assert str(caught.value).endswith(f"(and {count} more: run escalate matrix validate)")
    assert str(caught.value).startswith(f"{FIXTURES / 'bad-many.yaml'}:2: version:")


def test_invalid_yaml_fixture_names_file_and_line() -> None:
    name = FIXTURES / "bad-yaml.yaml"
    assert [str(p) for p in validate_file(name)] == [
        f"{name}:8: invalid YAML: found character '\\t' that cannot start any token (column 1)"
    ]


def test_validate_file_is_empty_for_a_valid_matrix(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(BASE, encoding="utf-8")
    assert validate_file(path) == []
    assert validate_file(os.fspath(path)) == []
