"""Tests for core.outbox and core.templates: entries, claims, retries, pruning, message words."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from escalate_cli.core.cases.document import OpenRequest, new_case, new_events, timeline_mark
from escalate_cli.core.matrix.loader import load_matrix_text
from escalate_cli.core.matrix.model import Matrix
from escalate_cli.core.notify import delivery, outbox, templates
from escalate_cli.core.store.json_store import CaseStore
from escalate_cli.core.sweeping import sweep_store
from escalate_cli.core.time import timing
from tests.notify_servers import WebServer, hook_command, matrix_yaml, web_server

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return NOW + timedelta(minutes=minutes)


@pytest.fixture
def store(tmp_path: Path) -> CaseStore:
    return CaseStore(tmp_path / "cases.json", lock_timeout=5)


@pytest.fixture
def web() -> Iterator[WebServer]:
    yield from web_server()


def pager_matrix(tmp_path: Path, extra: str = "") -> Matrix:
    """frontline and sam by the pager command (the default), vp by nothing at all."""
    channels = f"""\
        notify_via: [pager]
        channels:
          pager: {{kind: command, command: {hook_command(tmp_path / "paged.jsonl")}}}
          chat: {{kind: webhook, url: "http://127.0.0.1:9/never"}}
        {extra}"""
    text = matrix_yaml(channels).replace("  - id: vp\n", "  - id: vp\n    notify_via: []\n")
    return load_matrix_text(text, "m.yaml")


def open_case(
    store: CaseStore, matrix: Matrix, dispatch: outbox.Dispatch | None, severity: str = "sev1"
) -> dict[str, Any]:
    """Open a case now (sev1 also tells vp) and record its outbox entries."""
    with store.transaction() as tx:
        case = new_case(matrix, tx.next_number(), OpenRequest("Down", severity=severity), NOW)
        tx.put(case)
        outbox.record(tx, matrix, [(case, list(range(len(case["timeline"]))))], NOW, dispatch)
    return case


def statuses(store: CaseStore) -> dict[str, str]:
    return {entry["id"]: entry["status"] for entry in store.outbox()}


def test_one_entry_per_contact_and_channel_and_a_no_channel_entry_for_the_rest(
    store: CaseStore, tmp_path: Path
) -> None:
    open_case(store, pager_matrix(tmp_path), None)
    assert statuses(store) == {"ESC-1:1:frontline:pager": "pending", "ESC-1:1:vp:-": "no_channel"}
    first, second = store.outbox()
    assert first["reason"] == "opened at L1" and second["reason"] == "severity sev1 opened"
    assert first["text"] and second["text"] is None  # nothing to send: no body kept


def test_a_matrix_without_channels_adds_no_entries(store: CaseStore) -> None:
    matrix = load_matrix_text(matrix_yaml(""), "m.yaml")
    open_case(store, matrix, outbox.Dispatch())
    assert store.outbox() == []


def test_a_dispatch_claims_its_entries_in_the_same_write(store: CaseStore, tmp_path: Path) -> None:
    dispatch = outbox.Dispatch()
    open_case(store, pager_matrix(tmp_path), dispatch)
    (entry,) = dispatch.claimed
    saved = store.outbox()[0]
    assert saved == entry and saved["status"] == "sending" and saved["attempts"] == 1
    assert saved["claim"]["token"] == dispatch.token and saved["claim"]["pid"] == os.getpid()
    assert [e["contact"] for e in dispatch.unrouted] == ["vp"]


def test_no_notify_records_suppressed_entries_and_runs_no_hook(
    store: CaseStore, tmp_path: Path
) -> None:
    matrix = pager_matrix(tmp_path, extra=f"hooks: {{on_open: {hook_command(tmp_path / 'h')}}}")
    dispatch = outbox.Dispatch(send=False)
    case = open_case(store, matrix, dispatch)
    assert case["timeline"][1]["kind"] == "notified"  # still on the case
    assert statuses(store)["ESC-1:1:frontline:pager"] == "suppressed"
    assert dispatch.claimed == [] and dispatch.hooks == []
    live = outbox.Dispatch()
    open_case(store, matrix, live)
    assert [job.hook for job in live.hooks] == ["on_open"]  # the only one configured


def test_delivery_marks_sent_and_a_failure_waits_longer_each_time(
    store: CaseStore, tmp_path: Path, web: WebServer
) -> None:
    matrix = pager_matrix(tmp_path)
    dispatch = outbox.Dispatch()
    open_case(store, matrix, dispatch)
    done = outbox.deliver(store, matrix, dispatch, NOW, {})
    assert [o.error for o in done.outcomes] == [None] and done.unsaved is None
    (sent,) = [e for e in store.outbox() if e["status"] == "sent"]
    assert sent["sent_at"] == "2026-11-23T10:00:00Z" and sent["text"] is None
    assert sent["claim"] is None

    chat = load_matrix_text(
        matrix_yaml(
            f'notify_via: [chat]\nchannels:\n  chat: {{kind: webhook, url: "{web.url}"}}\n'
        ),
        "m.yaml",
    )
    web.statuses.extend([500, 503, 500])
    waits = []
    for attempt, minute in enumerate([0, 1, 3], 1):
        retry = outbox.Dispatch()
        if attempt == 1:
            open_case(store, chat, retry, severity="sev3")
        else:
            outbox.claim(store, at(minute), retry, due_only=True)
        done = outbox.deliver(store, chat, retry, at(minute), {})
        (entry,) = [e for e in store.outbox() if e["status"] == "failed"]
        assert entry["attempts"] == attempt and "HTTP 5" in (done.outcomes[0].error or "")
        waits.append(timing.from_iso(entry["next_attempt_at"]) - at(minute))
    assert waits == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    early = outbox.Dispatch()
    outbox.claim(store, at(6), early, due_only=True)  # due at 10:07
    assert early.claimed == []
    now_please = outbox.Dispatch()
    outbox.claim(store, at(6), now_please, due_only=False)  # `outbox retry` does not wait
    outbox.deliver(store, chat, now_please, at(6), {})
    assert sorted(statuses(store).values()).count("sent") == 2


def test_the_longest_wait_is_an_hour() -> None:
    entry = {"id": "x", "status": "sending", "at": "2026-11-23T09:00:00Z", "attempts": 20}
    entry["claim"] = {"token": "t"}
    fake = _FakeTx([entry])
    outbox.settle(fake, "t", [outbox.Outcome(entry, "down")], NOW)  # type: ignore[arg-type]
    assert fake.entries[0]["next_attempt_at"] == "2026-11-23T11:00:00Z"


class _FakeTx:
    """Just enough of a Transaction for settle and prune."""

    def __init__(self, entries: list[dict[str, Any]]) -> None:
        self.entries = entries

    def outbox(self) -> list[dict[str, Any]]:
        return [dict(e) for e in self.entries]

    def put_outbox(self, entry: dict[str, Any]) -> None:
        self.entries = [entry if e["id"] == entry["id"] else e for e in self.entries]

    def drop_outbox(self, ids: list[str]) -> None:
        self.entries = [e for e in self.entries if e["id"] not in ids]


def test_an_outcome_for_a_claim_taken_over_is_not_recorded(
    store: CaseStore, tmp_path: Path
) -> None:
    matrix = pager_matrix(tmp_path)
    mine = outbox.Dispatch()
    open_case(store, matrix, mine)
    with store.transaction() as tx:
        outbox.settle(tx, "someone-else", [outbox.Outcome(mine.claimed[0], None)], NOW)
    assert statuses(store)["ESC-1:1:frontline:pager"] == "sending"


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_claim_is_stale_when_its_process_is_gone_or_it_is_an_hour_old() -> None:
    host = __import__("socket").gethostname()
    mine = {"pid": os.getpid(), "host": host, "at": timing.to_iso(NOW)}
    assert not outbox.stale(mine, NOW)
    assert outbox.stale({**mine, "pid": dead_pid()}, NOW)
    assert not outbox.stale({**mine, "pid": dead_pid(), "host": "elsewhere"}, NOW)
    assert outbox.stale({**mine, "host": "elsewhere"}, NOW + outbox.STALE_CLAIM)
    assert outbox.stale(None, NOW)
    assert outbox.stale({**mine, "pid": 0}, NOW)  # not "my process group"


def test_a_crash_after_sending_sends_again_with_the_same_idempotency_key(
    store: CaseStore, web: WebServer
) -> None:
    """The documented at-least-once window: sent, then killed before the outcome was saved."""
    url = f'notify_via: [chat]\nchannels:\n  chat: {{kind: webhook, url: "{web.url}"}}\n'
    matrix = load_matrix_text(matrix_yaml(url), "m.yaml")
    crashed = outbox.Dispatch()
    open_case(store, matrix, crashed, severity="sev3")
    for entry in crashed.claimed:
        delivery.send(matrix, entry, NOW, {})  # ...and the process dies here
    with store.transaction() as tx:  # as it would look: claimed by a process that is gone
        for entry in tx.outbox():
            tx.put_outbox({**entry, "claim": {**entry["claim"], "pid": dead_pid()}})
    retry = outbox.Dispatch()
    outbox.claim(store, at(1), retry, due_only=True)
    outbox.deliver(store, matrix, retry, at(1), {})
    first, second = web.requests.wait(2)
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert first.body == second.body
    assert set(statuses(store).values()) == {"sent"}


def test_done_entries_are_pruned_after_a_week_and_failed_ones_kept(
    store: CaseStore, tmp_path: Path
) -> None:
    matrix = pager_matrix(tmp_path)
    with store.transaction() as tx:
        for ident, status in (("old-sent", "sent"), ("old-failed", "failed"), ("new", "sent")):
            when = NOW - (timedelta(days=8) if ident.startswith("old") else timedelta(days=1))
            stamp = timing.to_iso(when)
            tx.put_outbox({"id": ident, "status": status, "at": stamp, "sent_at": None})
    before = store.path.read_bytes()
    sweep_store(store, matrix, NOW, dry_run=False)  # nothing due: nothing written, no pruning
    assert store.path.read_bytes() == before
    open_case(store, matrix, None)
    assert {"old-failed", "new"} <= set(statuses(store)) and "old-sent" not in statuses(store)


def test_claiming_with_nothing_to_retry_writes_nothing(store: CaseStore, tmp_path: Path) -> None:
    open_case(store, pager_matrix(tmp_path), outbox.Dispatch())  # claimed by this live process
    before = store.path.stat().st_mtime_ns
    dispatch = outbox.Dispatch()
    outbox.claim(store, NOW, dispatch, due_only=False)
    assert dispatch.claimed == [] and store.path.stat().st_mtime_ns == before


def test_sweep_records_its_notifications_and_claims_them_into_the_dispatch(
    store: CaseStore, tmp_path: Path
) -> None:
    matrix = pager_matrix(tmp_path)
    open_case(store, matrix, None)
    dispatch = outbox.Dispatch()
    report = sweep_store(store, matrix, at(15), dry_run=False, dispatch=dispatch)
    assert report["escalated"][0]["contacts"] == ["sam"]
    assert [e["id"] for e in dispatch.claimed] == ["ESC-1:3:sam:pager"]
    assert dispatch.claimed[0]["cause"] == "escalated"
    assert "escalated L1 -> L2" in dispatch.claimed[0]["subject"]
    assert "Impact: not assessed yet" in dispatch.claimed[0]["text"]
    queued = sweep_store(store, matrix, at(80), dry_run=False)  # no dispatch: queued
    assert queued["breached"] and statuses(store)["ESC-1:1:frontline:pager"] == "pending"


def test_select() -> None:
    entries = [{"id": s, "status": s} for s in outbox.STATUSES]
    assert [e["id"] for e in outbox.select(entries, "unsent")] == [
        "pending",
        "sending",
        "failed",
        "no_channel",
    ]
    assert [e["id"] for e in outbox.select(entries, "pending")] == ["pending", "sending"]
    assert len(outbox.select(entries, "all")) == len(outbox.STATUSES)
    assert [e["id"] for e in outbox.select(entries, "sent")] == ["sent"]


# Templates ----------------------------------------------------------------------------------


def test_one_line_folds_line_breaks_shows_other_controls_and_bounds_the_length() -> None:
    assert templates.one_line("a\r\nb\u2028c\x00d\x85e\tf\u202eg") == "a b c\\x00d\\x85e f\\u202eg"
    assert templates.one_line("x" * 300, 10) == "xxxxxxxxx…"
    assert templates.one_line(None) == ""


def test_slack_escape() -> None:
    assert templates.slack_escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"


def test_a_notify_only_trigger_gets_the_short_status_line(tmp_path: Path) -> None:
    extra = "triggers:\n  - {id: tell-vp, when: {severity: sev1}, then: {notify: [sam]}}\n"
    text = matrix_yaml("notify_via: [chat]\nchannels:\n  chat: {kind: webhook, url: http://x}\n")
    matrix = load_matrix_text(text + extra, "m.yaml")
    case = new_case(matrix, 1, OpenRequest("Down", severity="sev1"), NOW)
    from escalate_cli.core.cases.escalation import sweep_case

    mark = timeline_mark(case)
    sweep_case(matrix, case, NOW)
    (entry,) = outbox.entries_for(matrix, case, new_events(case, mark), NOW)
    assert entry["cause"] == "notified"
    assert entry["text"] == (
        "ESC-1 is open at L1, owned by frontline. You are told because: trigger tell-vp."
        " Details: escalate show ESC-1\n"
    )
    assert entry["subject"] == "[ESC-1] (sev1, open at L1): Down"
