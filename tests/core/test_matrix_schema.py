"""Tests for core.matrix: unknown and missing keys, wrong types and refused values."""

from __future__ import annotations

import pytest

from tests.core.matrix_helpers import BASE, DURATION_HELP, problems, with_base

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
            "(use escalate, jump, path, notify, severity or remind)",
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


@pytest.mark.parametrize(
    ("value", "shown"), [("2", "2"), ("'1'", '"1"'), ("true", "true"), ("[1]", "[1]")]
)
def test_only_version_1_is_read(value: str, shown: str) -> None:
    assert problems(BASE.replace("version: 1", f"version: {value}")) == [
        f"m.yaml:1: version: unsupported version {shown} (this escalate reads version 1)"
    ]
