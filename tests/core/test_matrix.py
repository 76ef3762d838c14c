"""Tests for core.matrix: every problem found, each with file, line, key path and plain words."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalate_cli.core import matrix as matrix_module
from escalate_cli.core.errors import ExitCode, MatrixError
from escalate_cli.core.matrix import load_matrix, load_matrix_text, validate_file
from escalate_cli.core.model import Matrix
from escalate_cli.core.model import Path as MatrixPath

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DURATION_HELP = "(use 90s, 15m, 4h, 2d, 1w, 1h30m)"

# Line numbers in the tests below count from here: `contacts:` is line 2, L2's `after` line 11.
BASE = """\
version: 1
contacts:
  - id: dana
  - id: sam
  - id: tia
levels:
  - id: L1
    contacts: [dana]
  - id: L2
    contacts: [sam, tia]
    after: 4h
"""


def problems(text: str) -> list[str]:
    """The problems `load_matrix_text` reports for `text`, as the CLI prints them."""
    with pytest.raises(MatrixError) as caught:
        load_matrix_text(textwrap.dedent(text), "m.yaml")
    assert caught.value.problems, "a MatrixError always carries its problems"
    return [str(problem) for problem in caught.value.problems]


def with_base(extra: str) -> str:
    return BASE + textwrap.dedent(extra)


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

    # Tests may run as root, who can read anything: make open() refuse instead of chmod.
    monkeypatch.setattr(matrix_module, "open", refuse, raising=False)
    assert [str(p) for p in validate_file("locked.yaml")] == [
        "locked.yaml: cannot read the file: permission denied"
    ]


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
    text = (Path(__file__).resolve().parents[2] / "matrices" / "support.yaml").read_text("utf-8")
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


# Unknown and missing keys ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("bogus: 1\n", 'm.yaml:12: bogus: unknown key "bogus"'),
        ("nmae: x\n", 'm.yaml:12: nmae: unknown key "nmae" (did you mean "name"?)'),
        (
            "severities:\n  - id: s1\n    resolv: 4h\n",
            'm.yaml:14: severities[0].resolv: unknown key "resolv" (did you mean "resolve"?)',
        ),
        (
            "rotations:\n  - id: r\n    members: [dana]\n    shift: 1w\n"
            "    start: 2026-01-05\n    shfit: 1d\n",
            'm.yaml:17: rotations[0].shfit: unknown key "shfit" (did you mean "shift"?)',
        ),
        (
            "paths:\n  p:\n    levels: [L1]\n    also_notfy: [dana]\n",
            'm.yaml:15: paths.p.also_notfy: unknown key "also_notfy" (did you mean "also_notify"?)',
        ),
        (
            "triggers:\n  - id: t\n    when: {tier: vip}\n    then: escalate\n    priority: 1\n",
            'm.yaml:16: triggers[0].priority: unknown key "priority"',
        ),
        (
            "triggers:\n  - id: t\n    when:\n      silent: 1h\n    then: escalate\n",
            'm.yaml:15: triggers[0].when.silent: unknown key "silent" (did you mean "silent_for"?)',
        ),
        ("7: x\n", 'm.yaml:12: 7: unknown key "7"'),
    ],
    ids=["top", "top-close", "severity", "rotation", "path", "trigger", "when", "number-key"],
)
def test_unknown_keys_at_every_level(extra: str, expected: str) -> None:
    assert problems(with_base(extra)) == [expected]


def test_unknown_keys_in_contacts_and_levels() -> None:
    text = """\
        contacts:
          - id: dana
            emial: dana@example.com
        levels:
          - id: L1
            contacts: [dana]
            timeout: 1h
        """
    assert problems(text) == [
        'm.yaml:3: contacts[0].emial: unknown key "emial" (did you mean "email"?)',
        'm.yaml:7: levels[0].timeout: unknown key "timeout"',
    ]


def test_unknown_key_in_an_away_period_uses_the_parsers_words() -> None:
    text = """\
        contacts:
          - id: dana
            away:
              - {from: 2026-12-24, until: 2027-01-02, deputy: sam}
        levels:
          - id: L1
            contacts: [dana]
        """
    assert problems(text) == [
        'm.yaml:4: contacts[0].away[0]: unknown key "deputy" (use from, until, delegate)'
    ]


def test_missing_keys_are_reported_at_their_parent() -> None:
    text = """\
        version: 1
        contacts:
          - name: No id
        rotations:
          - id: r
            members: [x]
        triggers:
          - id: t
            when: {tier: vip}
        """
    assert problems(text) == [
        'm.yaml:1: missing required key "levels"',
        'm.yaml:3: contacts[0]: missing required key "id"',
        'm.yaml:5: rotations[0]: missing required key "shift"',
        'm.yaml:5: rotations[0]: missing required key "start"',
        'm.yaml:6: rotations[0].members[0]: unknown contact "x" (none defined)',
        'm.yaml:8: triggers[0]: missing required key "then"',
    ]


# Wrong types -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("skip_unavailable: maybe\n", "m.yaml:12: skip_unavailable: expected true or false"),
        ("severities: sev1\n", "m.yaml:12: severities: expected a list"),
        ("severities: [sev1]\n", "m.yaml:12: severities[0]: expected a mapping"),
        ("paths: [L1, L2]\n", "m.yaml:12: paths: expected a mapping"),
        (
            "paths:\n  default: L1\n",
            "m.yaml:13: paths.default: expected a list of levels, or a mapping with a levels key",
        ),
        ("name: 42\n", "m.yaml:12: name: expected a string (put the value in quotes)"),
        ("name: [a, b]\n", "m.yaml:12: name: expected a string"),
        ("paths:\n  3: [L1]\n", "m.yaml:13: paths.3: expected a name as the key"),
        (
            "triggers:\n  - id: t\n    when: {reopened: many}\n    then: escalate\n",
            "m.yaml:14: triggers[0].when.reopened: expected a whole number",
        ),
    ],
    ids=[
        "bool",
        "list",
        "mapping",
        "paths-mapping",
        "path-shape",
        "string",
        "string-list",
        "path-key",
        "int",
    ],
)
def test_wrong_types_are_named_in_plain_words(extra: str, expected: str) -> None:
    assert problems(with_base(extra)) == [expected]


def test_an_id_that_is_a_number_asks_for_quotes() -> None:
    text = BASE.replace("  - id: tia\n", "  - id: 7\n").replace("[sam, tia]", "[sam, '7']")
    assert problems(text) == [
        "m.yaml:5: contacts[2].id: expected a string (put the value in quotes)"
    ]


# Values the parsers refuse ---------------------------------------------------------------------


def test_a_bad_duration_carries_the_parsers_message() -> None:
    text = BASE.replace("after: 4h", "after: 2x")
    assert problems(text) == [f'm.yaml:11: levels[1].after: bad duration "2x" {DURATION_HELP}']


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "timezone: Mars/Olympus\n",
            'm.yaml:12: timezone: unknown timezone "Mars/Olympus" '
            "(use an IANA name such as Europe/London or UTC)",
        ),
        (
            "rotations:\n  - id: r\n    members: [dana]\n    shift: 1w\n    start: soon\n",
            'm.yaml:16: rotations[0].start: bad date-time "soon" '
            "(use 2026-01-05 or 2026-01-05T09:00, wall-clock time without an offset)",
        ),
        (
            "severities:\n  - id: s\n    ack: 0m\n",
            'm.yaml:14: severities[0].ack: bad duration "0m": must be more than zero '
            f"{DURATION_HELP}",
        ),
        (
            "triggers:\n  - id: t\n    when: {tier: vip}\n    then: {page: L2}\n",
            'm.yaml:15: triggers[0].then: unknown action "page" '
            "(use escalate, jump, path, notify or severity)",
        ),
        (
            "triggers:\n  - id: t\n    when: {tier: {a: b}}\n    then: escalate\n",
            "m.yaml:14: triggers[0].when.tier: expected a name or a list of names",
        ),
    ],
    ids=["zone", "wall-time", "zero-duration", "action", "names"],
)
def test_value_errors_use_the_parsers_message(extra: str, expected: str) -> None:
    assert problems(with_base(extra)) == [expected]


def test_bad_hours_and_away_name_the_contact() -> None:
    text = """\
        contacts:
          - id: dana
            hours: "Mon-Fri 09:00-25:00"
            away:
              - {from: 2026-12-24, until: 2027-01-02}
              - {from: 2027-01-05, until: 2027-01-01}
        levels:
          - id: L1
            contacts: [dana]
        """
    reported = problems(text)
    assert reported[0].startswith('m.yaml:3: contacts[0].hours: bad hours "Mon-Fri 09:00-25:00"')
    assert reported[1].startswith("m.yaml:6: contacts[0].away[1]: until 2027-01-01 is not after")
    assert len(reported) == 2


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "paths:\n  p:\n    levels: [L1]\n    agreement: maybe\n",
            'm.yaml:15: paths.p.agreement: expected "required" or "none"',
        ),
        (
            "triggers:\n  - id: t\n    when: {breached: [late]}\n    then: escalate\n",
            'm.yaml:14: triggers[0].when.breached[0]: expected "ack" or "resolve"',
        ),
    ],
    ids=["agreement", "breached"],
)
def test_choices_list_what_is_allowed(extra: str, expected: str) -> None:
    assert problems(with_base(extra)) == [expected]


def test_only_version_1_is_read() -> None:
    assert problems(BASE.replace("version: 1", "version: 2")) == [
        "m.yaml:1: version: unsupported version 2 (this escalate reads version 1)"
    ]


# References ------------------------------------------------------------------------------------


def test_an_unknown_level_contact_lists_the_known_ones() -> None:
    text = BASE.replace("[sam, tia]", "[sma, tia]")
    assert problems(text) == [
        'm.yaml:10: levels[1].contacts[0]: unknown contact "sma" (known: dana, sam, tia)'
    ]


def test_rotation_references_in_levels() -> None:
    text = with_base(
        """\
          - id: L3
            contacts: [rotation:oncal, rotation:dana, oncal]
        rotations:
          - id: oncall
            members: [dana, sma]
            shift: 1w
            start: 2026-01-05T09:00
        """
    )
    assert problems(text) == [
        'm.yaml:13: levels[2].contacts[0]: unknown rotation "oncal" (known: oncall)',
        'm.yaml:13: levels[2].contacts[1]: "dana" is a contact, not a rotation '
        '(write it without "rotation:")',
        'm.yaml:13: levels[2].contacts[2]: unknown contact "oncal" '
        "(known: dana, sam, tia, rotation:oncall)",
        'm.yaml:16: rotations[0].members[1]: unknown contact "sma" (known: dana, sam, tia)',
    ]


def test_away_delegates_must_exist_and_not_be_the_contact() -> None:
    text = """\
        contacts:
          - id: dana
            away:
              - {from: 2026-12-24, until: 2027-01-02, delegate: dana}
              - {from: 2027-02-01, until: 2027-02-02, delegate: eli}
          - id: sam
        levels:
          - id: L1
            contacts: [dana]
        """
    assert problems(text) == [
        'm.yaml:4: contacts[0].away[0].delegate: "dana" cannot be their own delegate',
        'm.yaml:5: contacts[0].away[1].delegate: unknown contact "eli" (known: dana, sam)',
    ]


def test_path_references() -> None:
    text = with_base(
        """\
        paths:
          default: [L1, L9]
          legal:
            levels: [L2]
            also_notify: [lawyer]
            external: [ombudsman]
        """
    )
    assert problems(text) == [
        'm.yaml:13: paths.default[1]: unknown level "L9" (known: L1, L2)',
        'm.yaml:16: paths.legal.also_notify[0]: unknown contact "lawyer" (known: dana, sam, tia)',
        'm.yaml:17: paths.legal.external[0]: unknown contact "ombudsman" (known: dana, sam, tia)',
    ]


def test_severity_references() -> None:
    text = with_base(
        """\
        severities:
          - id: sev1
            start: L3
            notify: [vp]
        default_severity: sev3
        """
    )
    assert problems(text) == [
        'm.yaml:14: severities[0].start: unknown level "L3" (known: L1, L2)',
        'm.yaml:15: severities[0].notify[0]: unknown contact "vp" (known: dana, sam, tia)',
        'm.yaml:16: default_severity: unknown severity "sev3" (known: sev1)',
    ]


def test_trigger_references() -> None:
    text = with_base(
        """\
        severities:
          - id: sev1
        triggers:
          - id: t1
            when: {level: [L1, L5], severity: sev9, type: billing}
            then: {jump: L7}
          - id: t2
            when: {type: default}
            then: {path: billing}
          - id: t3
            when: {severity: [sev1]}
            then: {severity: sev0}
          - id: t4
            when: {tier: vip}
            then: {notify: [dana, vp]}
        """
    )
    assert problems(text) == [
        'm.yaml:16: triggers[0].when.level[1]: unknown level "L5" (known: L1, L2)',
        'm.yaml:16: triggers[0].when.severity: unknown severity "sev9" (known: sev1)',
        'm.yaml:16: triggers[0].when.type: unknown path "billing" (known: default)',
        'm.yaml:17: triggers[0].then.jump: unknown level "L7" (known: L1, L2)',
        'm.yaml:20: triggers[1].then.path: unknown path "billing" (known: default)',
        'm.yaml:23: triggers[2].then.severity: unknown severity "sev0" (known: sev1)',
        'm.yaml:26: triggers[3].then.notify[1]: unknown contact "vp" (known: dana, sam, tia)',
    ]


def test_a_long_list_of_known_names_becomes_a_suggestion() -> None:
    contacts = "".join(f"  - id: agent{n}\n" for n in range(12))
    text = f"contacts:\n{contacts}levels:\n  - id: L1\n    contacts: [agent-11]\n"
    assert problems(text) == [
        'm.yaml:16: levels[0].contacts[0]: unknown contact "agent-11" (did you mean "agent11"?)'
    ]


def test_no_suggestion_when_nothing_is_close() -> None:
    contacts = "".join(f"  - id: agent{n}\n" for n in range(12))
    text = f"contacts:\n{contacts}levels:\n  - id: L1\n    contacts: [zz]\n"
    assert problems(text) == ['m.yaml:16: levels[0].contacts[0]: unknown contact "zz"']


# Paths: order, repeats, emptiness -----------------------------------------------------------------


def test_path_levels_follow_the_ladder_once_each() -> None:
    text = with_base(
        """\
          - id: L3
            contacts: [dana]
        paths:
          default: [L2, L1, L3, L3]
          other:
            levels: [L3, L2]
        """
    )
    assert problems(text) == [
        'm.yaml:15: paths.default[1]: level "L1" is below "L2" '
        "(list a path's levels bottom to top, in the order of levels)",
        'm.yaml:15: paths.default[3]: level "L3" is listed twice',
        'm.yaml:17: paths.other.levels[1]: level "L2" is below "L3" '
        "(list a path's levels bottom to top, in the order of levels)",
    ]


def test_an_empty_path_is_an_error_in_every_spelling() -> None:
    text = with_base(
        """\
        paths:
          a: []
          b:
          c:
            levels: []
        """
    )
    assert problems(text) == [
        "m.yaml:13: paths.a: empty path: list at least one level",
        "m.yaml:14: paths.b: empty path: list at least one level",
        "m.yaml:16: paths.c.levels: empty path: list at least one level",
    ]


def test_short_path_errors_point_at_what_was_written() -> None:
    text = with_base("paths:\n  default: [L1, 7]\n")
    assert problems(text) == [
        "m.yaml:13: paths.default[1]: expected a string (put the value in quotes)"
    ]


# Ids and the case prefix ---------------------------------------------------------------------


def test_duplicate_ids_in_each_namespace() -> None:
    text = """\
        contacts:
          - id: dana
          - id: dana
        rotations:
          - id: dana
            members: [dana]
            shift: 1w
            start: 2026-01-05
        levels:
          - id: L1
            contacts: [dana]
          - id: L1
            contacts: [dana]
        severities:
          - id: s
          - id: s
        triggers:
          - {id: t, when: {tier: vip}, then: escalate}
          - {id: t, when: {tier: vip}, then: escalate}
        """
    assert problems(text) == [
        'm.yaml:3: contacts[1].id: duplicate id "dana" (already used by contacts[0])',
        'm.yaml:5: rotations[0].id: duplicate id "dana" (already used by contacts[0])',
        'm.yaml:12: levels[1].id: duplicate id "L1" (already used by levels[0])',
        'm.yaml:16: severities[1].id: duplicate id "s" (already used by severities[0])',
        'm.yaml:19: triggers[1].id: duplicate id "t" (already used by triggers[0])',
    ]


def test_ids_look_like_identifiers() -> None:
    bad = "(use letters, digits, _ - and ., starting with a letter or digit)"
    text = """\
        contacts:
          - id: "dana ruiz"
          - id: sam.o-k_1
        levels:
          - id: "-L1"
            contacts: [sam.o-k_1]
        paths:
          "bad:path": [-L1]
        """
    assert problems(text) == [
        f'm.yaml:2: contacts[0].id: bad id "dana ruiz" {bad}',
        f'm.yaml:5: levels[0].id: bad id "-L1" {bad}',
        f'm.yaml:8: paths.bad:path: bad id "bad:path" {bad}',
    ]


@pytest.mark.parametrize("prefix", ["9ESC", "ES-C", "'ES C'", "''"])
def test_a_case_prefix_is_letters_and_digits(prefix: str) -> None:
    text = with_base(f"case_prefix: {prefix}\n")
    shown = yaml.safe_load(prefix)
    assert problems(text) == [
        f'm.yaml:12: case_prefix: bad case prefix "{shown}" '
        "(use letters and digits, starting with a letter: ESC)"
    ]


# Other semantic rules --------------------------------------------------------------------------


def test_levels_need_contacts_and_rotations_need_members() -> None:
    text = """\
        rotations:
          - id: r
            members: []
            shift: 1w
            start: 2026-01-05
        levels:
          - id: L1
            contacts: []
        """
    assert problems(text) == [
        "m.yaml:3: rotations[0].members: a rotation needs at least one member",
        "m.yaml:8: levels[0].contacts: a level needs at least one contact",
    ]


def test_a_matrix_needs_a_level() -> None:
    assert problems("levels: []\n") == ["m.yaml:1: levels: a matrix needs at least one level"]


@pytest.mark.parametrize("value", ["0", "-1", "true", "'0'"])
def test_reopened_is_a_positive_whole_number(value: str) -> None:
    text = with_base(f"triggers:\n  - id: t\n    when: {{reopened: {value}}}\n    then: escalate\n")
    assert problems(text) == [
        "m.yaml:14: triggers[0].when.reopened: expected a positive whole number of reopens"
    ]


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
    '(name the days: "daily Mon-Fri 9-5"?)',
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


# Junk in, a clean MatrixError out ------------------------------------------------------------

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


SUPPORT = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "matrices" / "support.yaml").read_text("utf-8")
)
SUPPORT_PATHS = _paths_into(SUPPORT)[1:]


@JUNK_SETTINGS
@given(st.lists(st.tuples(st.sampled_from(SUPPORT_PATHS), junk), min_size=1, max_size=3))
def test_a_real_matrix_with_junk_spliced_in_only_raises_matrix_error(
    changes: list[tuple[tuple[Any, ...], Any]],
) -> None:
    import copy

    data = copy.deepcopy(SUPPORT)
    for path, replacement in changes:
        parent = data
        try:
            for part in path[:-1]:
                parent = parent[part]
            parent[path[-1]] = replacement
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change already replaced this part of the tree
    only_matrix_errors(dump(data))
