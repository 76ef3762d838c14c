"""Tests for core.matrix_refs: references, path order, ids and the other semantic rules."""

from __future__ import annotations

import pytest
import yaml

from tests.core.matrix_helpers import BASE, problems, with_base

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
