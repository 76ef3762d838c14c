"""Who hears about what (docs/notifications.md) in the core: `notify_on` validated and applied, the
customer audience and its plain message, subscribers, and `ownership: follow`."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from escalate_cli import Session
from escalate_cli.core.documents.brief import brief, brief_text
from escalate_cli.core.errors import MatrixError, NotFoundError, RefusedError, UsageError
from escalate_cli.core.matrix.loader import load_matrix_text
from escalate_cli.core.matrix.model import Matrix
from escalate_cli.core.notify import templates

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)

MATRIX = """\
    version: 1
    name: Audiences
    timezone: UTC
    contacts:
      - {id: fay, email: fay@acme.example}
      - {id: sam, email: sam@acme.example}
      - {id: tia, email: tia@acme.example}
      - {id: cho, email: cho@acme.example}
      - {id: vend, external: true}
    levels:
      - {id: L1, contacts: [fay], ack: 15m}
      - {id: L2, contacts: [sam, tia]}
      - {id: L3, contacts: [cho]}
    paths:
      default: {levels: [L1, L2, L3], external: [vend]}
    severities:
      - {id: sev1, notify: [cho]}
      - {id: sev3}
    default_severity: sev3
    """


def matrix(extra: str = "") -> Matrix:
    return load_matrix_text(textwrap.dedent(MATRIX) + textwrap.dedent(extra), "m.yaml")


def session(tmp_path: Path, extra: str = "", user: str | None = None, at: datetime = T0) -> Session:
    return Session(tmp_path / "cases.json", matrix(extra), now=at, user=user)


def told(case: dict[str, Any], about: str | None = None) -> list[list[str]]:
    """The contacts of each `notified` event about `about` (None: every notified event)."""
    return [
        e["data"]["contacts"]
        for e in case["timeline"]
        if e["kind"] == "notified" and (about is None or e["data"].get("about") == about)
    ]


def test_notify_on_and_ownership_are_validated_with_file_and_line() -> None:
    bad = """\
        ownership: folow
        notify_on:
          updat: [owner]
          resolve: [owner, owner, added, everyone]
          update: [customer]
          convene: owner
        """
    with pytest.raises(MatrixError) as caught:
        matrix(bad)
    shown = [str(problem) for problem in caught.value.problems]
    assert shown == [
        'm.yaml:20: ownership: expected "keep" or "follow"',
        'm.yaml:22: notify_on.updat: unknown key "updat" (did you mean "update"?)',
        'm.yaml:23: notify_on.resolve[3]: expected "owner", "participants", "level",'
        ' "customer" or "added"',
        'm.yaml:23: notify_on.resolve[1]: audience "owner" is listed twice',
        'm.yaml:23: notify_on.resolve[2]: "added" is for convene only (the people it adds)',
        "m.yaml:24: notify_on.update[0]: internal updates never reach customers:"
        " use update --audience customer",
        "m.yaml:25: notify_on.convene: expected a list",
    ]
    good = matrix("ownership: follow\nnotify_on:\n  close: [owner, customer]\n  update: []\n")
    assert good.ownership == "follow"
    assert good.notify_on.audiences("close") == ("owner", "customer")
    assert good.notify_on.audiences("update") == ()
    assert good.notify_on.audiences("resolve") == ("owner", "participants")  # the default


def test_the_defaults_tell_owner_participants_and_level_never_the_one_who_did_it(
    tmp_path: Path,
) -> None:
    work = session(tmp_path, user="fay")
    work.open("Printer on fire", owner="tia")
    up = Session(work.store, work.matrix(), now=T0 + timedelta(minutes=5), user="fay")
    up.up("ESC-1", "needs a supervisor")  # L2: sam and tia; sam is a participant now
    case = up.update("ESC-1", "Still burning").case
    (update,) = told(case, "update")
    assert update == ["tia", "sam"]  # the owner, the people on the case, L2; never fay
    (event,) = [e for e in case["timeline"] if e["data"].get("about") == "update"]
    assert event["data"]["reason"] == (
        "status update, to the owner; status update, to the people on the case;"
        " status update, to the current level"
    )
    assert event["data"]["reasons"]["sam"] == [
        "status update, to the people on the case",
        "status update, to the current level",
    ]
    as_tia = Session(work.store, work.matrix(), now=T0 + timedelta(minutes=9), user="tia")
    resolved = as_tia.resolve("ESC-1", "Unplugged it").case
    assert told(resolved, "resolve") == [["sam"]]  # tia owns it and did it; fay never joined
    closed = as_tia.close("ESC-1").case
    assert told(closed, "close") == []  # nobody hears of a close by default
    reopened = as_tia.reopen("ESC-1", "Smoke again").case
    assert told(reopened, "reopen") == [["sam"]]


def test_an_external_party_told_at_the_top_does_not_hear_internal_updates(tmp_path: Path) -> None:
    work = session(tmp_path, user="fay")
    work.open("Vendor bug")
    work.up("ESC-1", "to L2", force=True)
    work.up("ESC-1", "to L3", force=True)
    top = work.up("ESC-1", "the vendor must know", force=True).case
    assert "vend" in [p["contact"] for p in top["participants"]]
    assert "vend" not in told(work.update("ESC-1", "Patch under test").case, "update")[0]


def test_a_customer_update_reaches_only_customers_with_the_text_and_nothing_internal(
    tmp_path: Path,
) -> None:
    work = session(tmp_path, user="fay")
    work.open(
        "ACME checkout down — CFO furious",
        customer_contacts=["it@customer.example", "ops@customer.example"],
    )
    work.gather("ESC-1", facts=["stack trace in pay.py:88"], whys=["the pool is exhausted"])
    work.assess("ESC-1", impact="40 orders a minute lost", root_cause="a leaked connection")
    work.subscribe("ESC-1", "sam")
    text = "A fix is rolling out; expect recovery by 11:00"
    case = work.update("ESC-1", text, audience="customer").case
    assert told(case, "update") == [["it@customer.example", "ops@customer.example", "sam"]]
    index = max(i for i, e in enumerate(case["timeline"]) if e["kind"] == "notified")
    assert case["timeline"][index]["data"]["audience"] == "customer"
    messages = templates.render(work.matrix(), case, index, T0)
    assert set(messages) == {"it@customer.example", "ops@customer.example", "sam"}
    plain = messages["it@customer.example"]
    assert plain.subject == "[ESC-1] Update on your case"
    assert plain.text == (
        "A fix is rolling out; expect recovery by 11:00\n\nPlease quote ESC-1 in any reply.\n"
    )
    for internal in ("pay.py", "pool", "40 orders", "leaked", "CFO", "fay", "L1"):
        assert internal not in plain.subject + plain.text


def test_customers_hear_of_other_events_plainly_and_the_team_in_full(tmp_path: Path) -> None:
    extra = "notify_on:\n  resolve: [owner, participants, customer]\n"
    work = session(tmp_path, extra, user="sam")
    work.open("Refunds stuck", customer_contacts=["it@customer.example"])
    work.subscribe("ESC-1", "fay")  # the owner subscribed too: told once, as the team
    case = work.resolve("ESC-1", "Replayed the refund queue").case
    assert told(case, "resolve") == [["fay"], ["it@customer.example"]]
    events = [i for i, e in enumerate(case["timeline"]) if e["data"].get("about") == "resolve"]
    team = templates.render(work.matrix(), case, events[0], T0)["fay"]
    assert team.text.startswith("Resolved by sam: Replayed the refund queue\n\n")
    assert "Refunds stuck" in team.subject
    customer = templates.render(work.matrix(), case, events[1], T0)["it@customer.example"]
    assert customer.text == (
        "Your case ESC-1 has been resolved.\n\nPlease quote ESC-1 in any reply.\n"
    )
    assert "Replayed" not in customer.text and "Refunds" not in customer.subject


def test_convene_tells_the_people_added_and_a_new_owner_in_one_notice(tmp_path: Path) -> None:
    work = session(tmp_path, user="fay")
    work.open("Data loss")
    case = work.convene("ESC-1", owner="tia", add=["sam:expert", "cho:decision-maker"]).case
    (notice,) = told(case, "convene")
    assert notice == ["tia", "sam", "cho"]  # fay convened: never told
    event = next(e for e in case["timeline"] if e["data"].get("about") == "convene")
    assert event["data"]["reasons"]["tia"] == [
        "new owner, to the owner",
        "new owner, to the people on the case",
    ]
    assert event["data"]["reasons"]["cho"] == [
        "new owner, to the people on the case",
        "convened, to the people added",
    ]
    index = case["timeline"].index(event)
    message = templates.render(work.matrix(), case, index, T0)["cho"]
    assert (
        message.text.split("\n\n")[1]
        == "Convened by fay: owner tia, sam (expert), cho (decision-maker)"
    )
    assert "Owner: tia; tia@acme.example." in message.text  # the brief, for joining the table
    again = work.convene("ESC-1", add=["sam:expert"]).case  # already at the table
    assert told(again, "convene") == [notice]


def test_severity_changed_tells_its_audiences_besides_the_severity_notify(tmp_path: Path) -> None:
    work = session(tmp_path, "notify_on:\n  severity_changed: [owner, customer]\n", user="sam")
    work.open("Slow search", owner="tia", customer_contacts=["it@customer.example"])
    case = work.assess("ESC-1", severity="sev1").case
    internal, outside = [
        e for e in case["timeline"] if e["data"].get("about") == "severity_changed"
    ]
    assert outside["data"]["audience"] == "customer"
    assert internal["data"]["contacts"] == ["cho", "tia"]
    assert internal["data"]["reasons"]["cho"] == ["severity raised to sev1"]
    assert told(case, "severity_changed")[1] == ["it@customer.example"]


def test_subscribe_and_unsubscribe(tmp_path: Path) -> None:
    work = session(tmp_path, user="fay")
    work.open("Login loops", customer_contacts=["it@customer.example"])
    assert work.subscribe("ESC-1", " Boss@Customer.example ").result is True
    assert work.subscribe("ESC-1", "boss@customer.example").result is False  # same address
    assert work.subscribe("ESC-1", "sam").result is True
    case = work.case("ESC-1")
    assert case["customer"]["contacts"] == ["it@customer.example"]
    assert case["subscribers"] == ["Boss@Customer.example", "sam"]
    subscribed = [e for e in case["timeline"] if e["kind"] == "subscribed"]
    assert [(e["by"], e["data"]["contact"]) for e in subscribed] == [
        ("fay", "Boss@Customer.example"),
        ("fay", "sam"),
    ]
    with pytest.raises(UsageError, match='address "not@an address" is not an email address'):
        work.subscribe("ESC-1", "not@an address")
    with pytest.raises(NotFoundError, match='unknown contact "sma"'):
        work.subscribe("ESC-1", "sma")
    left = work.unsubscribe("ESC-1", "it@customer.example").case  # given at open: removable
    assert left["customer"]["contacts"] == [] and left["timeline"][-1]["kind"] == "unsubscribed"
    with pytest.raises(NotFoundError, match=r"tia is not subscribed to ESC-1 \(subscribed: Boss"):
        work.unsubscribe("ESC-1", "tia")
    work.resolve("ESC-1", "Cleared the cookie")
    work.close("ESC-1")
    with pytest.raises(RefusedError, match="closed"):
        work.subscribe("ESC-1", "tia")


def test_open_refuses_a_malformed_customer_address(tmp_path: Path) -> None:
    for bad in ("it@customer", "it customer.example", "<it@customer.example>", "a@b.c\nBcc: x"):
        with pytest.raises(UsageError, match=r"--customer-contact .* is not an email address"):
            session(tmp_path).open("Bad address", customer_contacts=[bad])


@pytest.mark.parametrize("ownership", ["keep", "follow"])
def test_ownership_follow_hands_each_escalation_to_the_new_primary(
    tmp_path: Path, ownership: str
) -> None:
    work = session(tmp_path, f"ownership: {ownership}\n")
    work.open("Queue stuck")
    assert work.case("ESC-1")["owner"] == "fay"
    swept = Session(work.store, work.matrix(), now=T0 + timedelta(minutes=15)).sweep()
    assert swept.json()["escalated"][0]["to"] == "L2"
    case = work.case("ESC-1")
    follows = ownership == "follow"
    assert case["owner"] == ("sam" if follows else "fay")
    changes = [e for e in case["timeline"] if e["kind"] == "owner_changed"]
    assert [e["text"] for e in changes] == (["owner fay -> sam"] if follows else [])
    escalation_notice = told(case)[-1]
    # The new owner hears once, of both; the former owner hears they no longer own it.
    assert escalation_notice == (["sam", "tia", "fay"] if follows else ["sam", "tia"])
    as_sam = Session(work.store, work.matrix(), now=T0 + timedelta(minutes=20), user="sam")
    upped = as_sam.up("ESC-1", "engineering needed").case
    assert upped["owner"] == ("cho" if follows else "fay")
    text = brief_text(work.matrix(), brief(work.matrix(), upped, T0), T0)
    assert f"Owner: {upped['owner']}" in text


def test_the_example_in_the_notifications_page_is_a_valid_matrix_section() -> None:
    page = (Path(__file__).parents[2] / "docs" / "notifications.md").read_text()
    example = page.split("```yaml\n", 1)[1].split("```", 1)[0]
    loaded = matrix(example)
    assert loaded.ownership == "follow"
    assert loaded.notify_on.audiences("resolve") == ("owner", "participants", "customer")


def test_an_address_is_reached_by_the_matrix_email_channel_only() -> None:
    from escalate_cli.core.notify.outbox import channels_for

    hook = "channels:\n  chat: {kind: webhook, url: 'https://chat.example/h'}\n"
    mail = "  mail: {kind: email, host: smtp.example, from: esc@acme.example}\n"
    assert channels_for(matrix(hook + "notify_via: [chat]\n"), "it@customer.example") == []
    both = matrix(
        hook + mail + "  relay: {kind: email, host: r.example, from: e@acme.example}\n"
        "notify_via: [chat, relay]\n"
    )
    assert channels_for(both, "it@customer.example") == ["relay"]  # the one notify_via names
    assert channels_for(matrix(hook + mail), "it@customer.example") == ["mail"]


def test_validate_warns_when_notify_on_names_customers_no_channel_can_reach(
    tmp_path: Path,
) -> None:
    from escalate_cli.core.matrix.loader import check_file

    path = tmp_path / "m.yaml"
    chat = "channels:\n  chat: {kind: webhook, url: 'https://chat.example/h'}\n"
    path.write_text(textwrap.dedent(MATRIX) + chat + "notify_on:\n  resolve: [owner, customer]\n")
    problems, warnings = check_file(path)
    assert problems == []
    assert [str(w).split(": ", 1)[1] for w in warnings] == [
        "notify_on.resolve[1]: customer addresses are reached by email only,"
        " and no channel is an email one"
    ]
    mail = "  mail: {kind: email, host: smtp.example, from: esc@acme.example}\n"
    path.write_text(path.read_text().replace(chat, chat + mail))
    assert check_file(path) == ([], [])
