"""Issue 10 in the core: keyword patterns, tiers on a case, and level timers by severity."""

from __future__ import annotations

from datetime import timedelta

from escalate_cli.core.cases.document import OpenRequest, new_case
from escalate_cli.core.engine import timers
from escalate_cli.core.matrix.loader import load_matrix_text
from escalate_cli.core.matrix.model import BySeverity, Level
from tests.core.matrix_helpers import with_base
from tests.core.routing_helpers import T0, open_at, routing_matrix


def test_each_keyword_list_is_compiled_once() -> None:
    first = timers.keyword_matcher(("charge back", "lawyer"))
    assert timers.keyword_matcher(("charge back", "lawyer")) is first
    assert first.found_in(timers.fold("a CHARGE\u00a0 back"))  # a no-break space is whitespace
    assert not first.found_in(timers.fold("lawyers"))
    assert not timers.keyword_matcher(()).found_in("anything")
    assert not timers.keyword_matcher((" ",)).found_in("anything")


def test_a_keyword_found_inside_a_word_does_not_hide_a_later_whole_word() -> None:
    assert timers.keyword_matcher(("sue",)).found_in("an issue, and they will sue")
    overlapping = timers.keyword_matcher(("a b", "b c"))
    assert overlapping.found_in("za b c")  # "a b" is inside "za b"; "b c" stands alone
    assert not overlapping.found_in("za bc")


def test_case_text_holds_updates_but_not_other_events() -> None:
    case = open_at(title="Printer on fire")
    case["timeline"].append({"kind": "update", "text": "Lawyer on the phone"})
    case["timeline"].append({"kind": "note", "text": "ombudsman"})
    text = timers.case_text(case)
    assert "lawyer on the phone" in text and "ombudsman" not in text


def test_a_level_timer_by_severity_falls_back_to_default_or_nothing() -> None:
    level = Level(
        "L1",
        ("dana",),
        ack=BySeverity((("sev1", timedelta(minutes=5)),), default=timedelta(hours=4)),
        after=BySeverity((("sev1", timedelta(hours=1)),)),
    )
    assert level.ack_for("sev1") == timedelta(minutes=5)
    assert level.ack_for("sev3") == level.ack_for(None) == timedelta(hours=4)
    assert level.after_for("sev3") is None
    plain = Level("L2", ("dana",), ack=timedelta(minutes=15))
    assert plain.ack_for("sev1") == plain.ack_for(None) == timedelta(minutes=15)
    assert plain.after_for("sev1") is None


def test_a_severity_change_changes_the_running_level_timer() -> None:
    matrix = load_matrix_text(
        with_base(
            """\
            severities: [{id: sev1}, {id: sev4}]
            """
        ).replace("    contacts: [dana]\n", "    contacts: [dana]\n    ack: {sev1: 5m}\n"),
        "m.yaml",
    )
    case = new_case(matrix, 1, OpenRequest("Printer on fire", severity="sev4"), T0)
    assert timers.running_timers(matrix, case) == []
    case["severity"] = "sev1"
    (timer,) = timers.running_timers(matrix, case)
    assert (timer.kind, timer.due_at) == ("ack", T0 + timedelta(minutes=5))


def test_a_declared_tier_is_stored_as_the_matrix_spells_it() -> None:
    matrix = load_matrix_text(with_base("tiers: [Standard, VIP]\n"), "m.yaml")
    case = new_case(matrix, 1, OpenRequest("Printer on fire", tier=" vip "), T0)
    assert case["customer"]["tier"] == "VIP"
    assert routing_matrix().tier_named("vip") is None  # no tiers declared: nothing to name
