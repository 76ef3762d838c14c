"""Export to PagerDuty, Opsgenie and Terraform, and import from PagerDuty: the mapping itself."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalate_cli.core.errors import EscalateError, MatrixError, NotFoundError, UsageError
from escalate_cli.core.io.export_opsgenie import to_opsgenie
from escalate_cli.core.io.export_pagerduty import to_pagerduty
from escalate_cli.core.io.export_terraform import hcl_names, hcl_string, to_terraform
from escalate_cli.core.io.import_pagerduty import from_pagerduty
from escalate_cli.core.matrix.loader import load_matrix_text
from escalate_cli.core.matrix.model import Matrix

SMALL = """\
version: 1
name: Small "quoted" ${team}
timezone: Europe/London
contacts:
  - id: ann
    name: Ann
    email: ann@example.com
    hours: "Mon-Fri 09:00-17:00"
  - id: bob
    email: bob@example.com
    timezone: America/Chicago
  - id: cy
rotations:
  - id: ops
    members: [ann, bob]
    shift: 1d
    start: 2026-06-01T09:00
levels:
  - id: L1
    contacts: [rotation:ops]
    ack: {sev1: 5m, default: 30m}
    after: 2h
    min_time: 10m
  - id: L2
    contacts: [bob, cy]
    after: 90s
  - id: L3
    contacts: [ann]
paths:
  default: [L1, L2, L3]
  solo:
    levels: [L3]
    repeat: {every: 30m, times: 2}
    agreement: required
severities:
  - id: sev1
    ack: 15m
    start: L2
  - id: sev2
triggers:
  - id: loud
    when: {keywords: [outage]}
    then: escalate
"""


def small(text: str = SMALL) -> Matrix:
    return load_matrix_text(text, "small.yaml")


def test_policies_follow_the_paths_with_the_earlier_timer_as_delay() -> None:
    document = to_pagerduty(small()).document
    default, solo = document["escalation_policies"]
    assert default["id"] == "default" and default["type"] == "escalation_policy"
    rules = default["escalation_rules"]
    assert [rule["id"] for rule in rules] == ["L1", "L2", "L3"]
    # sev2 is the default severity: L1's `default` 30m ack; L2's 90s after, rounded up.
    assert [rule["escalation_delay_in_minutes"] for rule in rules] == [30, 2, 30]
    assert rules[0]["targets"] == [{"id": "ops", "type": "schedule_reference"}]
    assert rules[1]["targets"] == [
        {"id": "bob", "type": "user_reference"},
        {"id": "cy", "type": "user_reference"},
    ]
    assert default["num_loops"] == 0
    assert (
        solo["num_loops"] == 2 and solo["escalation_rules"][0]["escalation_delay_in_minutes"] == 30
    )


def test_a_severity_chooses_the_timers_and_the_start_level() -> None:
    rules = to_pagerduty(small(), "sev1").document["escalation_policies"][0]["escalation_rules"]
    assert [rule["id"] for rule in rules] == ["L2", "L3"]
    with pytest.raises(NotFoundError, match="unknown severity"):
        to_pagerduty(small(), "sev9")


def test_schedules_and_users() -> None:
    document = to_pagerduty(small()).document
    (schedule,) = document["schedules"]
    layer = schedule["schedule_layers"][0]
    assert schedule["time_zone"] == "Europe/London"
    assert layer["start"] == layer["rotation_virtual_start"] == "2026-06-01T08:00:00Z"  # BST
    assert layer["rotation_turn_length_seconds"] == 86400
    assert [u["user"] for u in layer["users"]] == [
        {"id": "ann", "type": "user_reference"},
        {"id": "bob", "type": "user_reference"},
    ]
    users = {user["id"]: user for user in document["users"]}
    assert users["bob"]["email"] == "bob@example.com"
    assert users["bob"]["time_zone"] == "America/Chicago"
    assert "email" not in users["cy"]


def test_what_has_no_equivalent_is_listed_one_line_each() -> None:
    warnings = to_pagerduty(small()).warnings
    for expected in (
        "contact ann: hours have no equivalent (always reachable there)",
        "contact cy: no email, which PagerDuty needs to find or create the user: add one"
        " before applying",
        "level L1: ack differs by severity (sev1 5m, default 30m): exported for sev2"
        " (export each with --severity)",
        "level L1: min_time 10m has no equivalent",
        "path solo: agreement (two people to escalate) has no equivalent",
        "severity sev1: SLAs (ack 15m) have no equivalent",
        "severity sev1: start level L2 not exported (policies start where sev2 cases do;"
        " export with --severity sev1)",
        "trigger loud: triggers have no equivalent",
    ):
        assert expected in warnings
    assert any("level L2 moves on when unresolved (after)" in line for line in warnings)
    assert (
        "path default: level L2's after timer rounded up to 2m (PagerDuty counts whole minutes)"
        in warnings
    )
    assert len(warnings) == len(set(warnings))


def test_a_repeat_that_does_not_map_is_a_warning() -> None:
    text = SMALL.replace("levels: [L3]\n    repeat", "levels: [L2, L3]\n    repeat")
    exported = to_pagerduty(small(text))
    assert exported.document["escalation_policies"][1]["num_loops"] == 0
    assert any(line.startswith("path solo: repeat every 30m x2") for line in exported.warnings)


def test_opsgenie_delays_count_from_the_alert() -> None:
    exported = to_opsgenie(small())
    default = exported.document["escalations"][0]
    steps = [
        (rule["delay"]["timeAmount"], rule["condition"], rule["recipient"])
        for rule in default["rules"]
    ]
    assert steps == [
        (0, "if-not-acked", {"type": "schedule", "name": "ops"}),
        (30, "if-not-acked", {"type": "user", "username": "bob@example.com"}),
        (32, "if-not-closed", {"type": "user", "username": "ann@example.com"}),
    ]
    assert exported.document["escalations"][1]["repeat"]["count"] == 2
    rotation = exported.document["schedules"][0]["rotations"][0]
    assert (rotation["type"], rotation["length"]) == ("daily", 1)
    assert "contact cy: no email, which is an Opsgenie username: left out" in exported.warnings


def test_terraform_is_quoted_and_refers_by_name() -> None:
    exported = to_terraform(small())
    hcl = exported.text
    assert 'data "pagerduty_user" "ann" {\n  email = "ann@example.com"\n}' in hcl
    assert (
        "users                        = [data.pagerduty_user.ann.id, data.pagerduty_user.bob.id]"
        in hcl
    )
    assert "id   = pagerduty_schedule.ops.id" in hcl
    assert 'name        = "Small \\"quoted\\" $${team}: default"' in hcl
    assert "data.pagerduty_user.cy" not in hcl
    assert hcl.count("{") == hcl.count("}")
    assert exported.warnings[0].startswith("contact cy: no email, so no data.pagerduty_user")
    assert sum(line.startswith("contact cy: no email") for line in exported.warnings) == 1


def test_terraform_says_when_a_rule_is_left_with_no_target() -> None:
    exported = to_terraform(small(SMALL.replace("contacts: [bob, cy]", "contacts: [cy]")))
    assert "path default: level L2 has no target with an email: add one" in exported.warnings
    exported = to_terraform(small(SMALL.replace("members: [ann, bob]", "members: [cy]")))
    assert "rotation ops: no member with an email: add one" in exported.warnings


def test_hcl_strings_and_names() -> None:
    assert hcl_string('a"b\\c\nd%{x}\x1b') == '"a\\"b\\\\c\\nd%%{x}\\u001b"'
    assert hcl_names(["on-call", "9lives", "a.b", "a_b"]) == {
        "on-call": "on-call",
        "9lives": "_9lives",
        "a.b": "a_b",
        "a_b": "a_b_2",
    }


def test_import_rebuilds_a_matrix_that_validates() -> None:
    imported = from_pagerduty(json.dumps(to_pagerduty(small()).document), "pd.json")
    matrix = load_matrix_text(imported.yaml_text, "back.yaml")
    assert [level.id for level in matrix.levels] == ["L1", "L2", "L3"]
    assert matrix.levels_by_id["L2"].ack is not None
    assert matrix.levels_by_id["L1"].contacts == ("rotation:ops",)
    assert matrix.paths["solo"].repeat is None
    assert matrix.rotations[0].start.isoformat() == "2026-06-01T09:00:00"
    assert "num_loops 2 restarts the policy" in imported.warnings[0]
    assert imported.yaml_text.count("# warning: ") == len(imported.warnings)


API_RESPONSE = {
    "escalation_policy": {
        "id": "PX1",
        "type": "escalation_policy",
        "name": "Web",
        "num_loops": 0,
        "escalation_rules": [
            {
                "id": "PR1",
                "escalation_delay_in_minutes": 10,
                "targets": [
                    {"id": "PS1", "type": "schedule_reference"},
                    {"id": "PU9", "type": "user_reference"},
                ],
            },
            {
                "id": "PR2",
                "escalation_delay_in_minutes": 20,
                "targets": [{"id": "PU9", "type": "user_reference"}],
            },
        ],
    }
}


def test_import_takes_an_api_response_and_says_what_is_missing() -> None:
    imported = from_pagerduty(json.dumps(API_RESPONSE), "ep.json")
    matrix = load_matrix_text(imported.yaml_text, "back.yaml")
    assert matrix.paths["PX1"].levels == ("PR1", "PR2")
    assert matrix.levels_by_id["PR1"].contacts == ("PU9",)
    assert imported.warnings == [
        "policy PX1: schedule PS1 is not in the file: target left out",
        "policy PX1: user PU9 is not in the file: contact without email",
    ]


def test_policies_that_disagree_on_order_are_refused() -> None:
    data = to_pagerduty(small()).document
    data["escalation_policies"][1]["escalation_rules"] = list(
        reversed(data["escalation_policies"][0]["escalation_rules"])
    )
    with pytest.raises(UsageError, match="contradicting"):
        from_pagerduty(json.dumps(data), "pd.json")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not JSON"),
        ("[]", "expected a JSON object"),
        ('{"users": []}', "no escalation policy"),
        ('{"escalation_policies": {}}', "expected a list of objects"),
    ],
)
def test_import_junk_is_a_usage_error(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        from_pagerduty(text, "bad.json")


def test_an_import_that_would_not_validate_is_a_matrix_error() -> None:
    data = json.loads(json.dumps(API_RESPONSE))
    data["escalation_policy"]["escalation_rules"][1]["targets"] = []
    with pytest.raises(MatrixError, match="at least one contact"):
        from_pagerduty(json.dumps(data), "ep.json")


@pytest.mark.parametrize(
    "spoil",
    [
        lambda rule: rule.pop("escalation_delay_in_minutes"),
        lambda rule: rule.update(escalation_delay_in_minutes="soon"),
        lambda rule: rule.update(targets=[5]),
        lambda rule: rule.pop("id"),
    ],
)
def test_a_malformed_rule_is_a_usage_error(spoil: Any) -> None:
    data = json.loads(json.dumps(API_RESPONSE))
    spoil(data["escalation_policy"]["escalation_rules"][0])
    with pytest.raises(UsageError, match=r"ep\.json: not a PagerDuty export this can read"):
        from_pagerduty(json.dumps(data), "ep.json")


def test_a_level_with_no_timer_gets_the_default_delay_and_a_warning() -> None:
    matrix = small(SMALL.replace("    after: 90s\n", ""))
    pagerduty = to_pagerduty(matrix)
    rules = pagerduty.document["escalation_policies"][0]["escalation_rules"]
    assert rules[1]["escalation_delay_in_minutes"] == 30
    assert any(
        line.startswith("path default: level L2 has no timer") for line in pagerduty.warnings
    )
    opsgenie = to_opsgenie(matrix)
    delays = [rule["delay"]["timeAmount"] for rule in opsgenie.document["escalations"][0]["rules"]]
    assert delays == [0, 30, 60]
    assert any(line.startswith("path default: level L2 has no timer") for line in opsgenie.warnings)


def test_import_adds_schedule_members_missing_from_the_file() -> None:
    data = {
        **API_RESPONSE,
        "schedules": [
            {
                "id": "PS1",
                "time_zone": "America/New_York",
                "schedule_layers": [
                    {
                        "start": "2026-03-02T09:00:00-05:00",
                        "rotation_virtual_start": "2026-03-02T09:00:00-05:00",
                        "rotation_turn_length_seconds": 43200,
                        "users": [{"user": {"id": "PU1", "type": "user_reference"}}],
                        "restrictions": [{"type": "daily_restriction"}],
                    }
                ],
            }
        ],
    }
    imported = from_pagerduty(json.dumps(data), "ep.json")
    matrix = load_matrix_text(imported.yaml_text, "back.yaml")
    rotation = matrix.rotations[0]
    assert (rotation.members, rotation.start.isoformat()) == (("PU1",), "2026-03-02T09:00:00")
    assert matrix.levels_by_id["PR1"].contacts == ("rotation:PS1", "PU9")
    assert imported.warnings[:2] == [
        "schedule PS1: restrictions have no equivalent (on call at all hours)",
        "schedule PS1: user PU1 is not in the file: contact without email",
    ]


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**6) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
_RULE = st.fixed_dictionaries({"id": _JSON, "escalation_delay_in_minutes": _JSON, "targets": _JSON})


@settings(max_examples=150, deadline=None)
@given(
    policy=st.fixed_dictionaries(
        {"id": _JSON, "num_loops": _JSON, "escalation_rules": st.lists(_RULE, max_size=3)}
    ),
    users=_JSON,
)
def test_import_junk_in_a_clean_error_out(policy: Any, users: Any) -> None:
    text = json.dumps({"escalation_policies": [policy], "users": users})
    try:
        imported = from_pagerduty(text, "junk.json")
    except EscalateError as exc:
        assert str(exc) and "\n" not in str(exc).split(" (and ")[0]
        return
    load_matrix_text(imported.yaml_text, "back.yaml")
