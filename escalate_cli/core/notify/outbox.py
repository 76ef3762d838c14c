"""The outbox: every notification is saved with the case change that caused it, then delivered.

An entry is written in the same transaction (the same atomic file write) as the `notified`
event it comes from, already claimed by the process that will send it. That process sends
once the lock is released and then records the outcome under the lock. A crash before sending
leaves the entry claimed by a dead process: `outbox retry` and `sweep` take it over. Only a
crash after a message left and before its outcome was saved sends it twice; the entry's id
travels with it (Idempotency-Key, Message-ID) so a receiver can drop the second copy.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from escalate_cli.core.cases import customers
from escalate_cli.core.cases.document import Case
from escalate_cli.core.matrix.model import Matrix
from escalate_cli.core.notify import hooks, templates
from escalate_cli.core.store.store_base import Store
from escalate_cli.core.store.store_base import StoreTransaction as Transaction
from escalate_cli.core.time import timing

STATUSES = ("pending", "sending", "failed", "sent", "suppressed", "no_channel")
DONE = ("sent", "suppressed", "no_channel")
KEEP_DONE = timedelta(days=7)  # done entries leave the hot file after this
STALE_CLAIM = timedelta(hours=1)  # a claim this old is taken over even if its process lives
FIRST_RETRY, LONGEST_WAIT = timedelta(minutes=1), timedelta(hours=1)


def entry_id(case_id: str, index: int, contact: str, channel: str | None) -> str:
    """Stable for one event, contact and channel: `ESC-7:12:sam:email-main`."""
    return f"{case_id}:{index}:{contact}:{channel or '-'}"


def channels_for(matrix: Matrix, contact_id: str) -> list[str]:
    """The contact's channels that can reach them (an email channel needs an address); an
    address outside the matrix (a customer's) is reached by email only."""
    contact = matrix.contacts_by_id.get(contact_id)
    if contact is None and customers.is_address(contact_id):
        by_mail = customers.customer_channel(matrix)
        return [by_mail] if by_mail else []
    usable = []
    for name in matrix.channels_of(contact_id):
        channel = matrix.channels.get(name)
        if channel is not None and (channel.kind != "email" or (contact and contact.email)):
            usable.append(name)
    return usable


def entries_for(
    matrix: Matrix, case: Case, added: Sequence[int], now: datetime
) -> list[dict[str, Any]]:
    """One entry per contact and channel for each `notified` event at the indices `added`;
    a contact with no channel gets one `no_channel` entry, so nothing is dropped unseen."""
    made = []
    for index in added:
        event = case["timeline"][index]
        if event["kind"] != "notified":
            continue
        messages = templates.render(matrix, case, index, now)
        for contact, message in messages.items():
            reasons = event["data"].get("reasons") or {}
            base = {
                "case": case["id"],
                "event": index,
                "at": event["at"],
                "cause": message.cause,
                "contact": contact,
                "reason": "; ".join(reasons.get(contact) or [event["data"].get("reason", "")]),
                "summary": message.summary,
                "subject": message.subject,
                "text": message.text,
                "attempts": 0,
                "error": None,
                "last_attempt_at": None,
                "next_attempt_at": None,
                "sent_at": None,
                "claim": None,
            }
            routes: list[str | None] = [*channels_for(matrix, contact)] or [None]
            for channel in routes:
                status = "pending" if channel else "no_channel"
                ident = entry_id(case["id"], index, contact, channel)
                made.append({"id": ident, "status": status, "channel": channel, **base})
    return made


@dataclass
class Dispatch:
    """What writes leave to do once the lock is released: the entries they claimed for sending,
    the contacts nobody can reach, the hooks to run. With `send` False (`--no-notify`) entries
    are recorded `suppressed` and no hook runs."""

    send: bool = True
    token: str = field(default_factory=lambda: os.urandom(8).hex())
    claimed: list[dict[str, Any]] = field(default_factory=list)
    unrouted: list[dict[str, Any]] = field(default_factory=list)
    hooks: list[hooks.HookJob] = field(default_factory=list)

    def fork(self) -> Dispatch:
        """An empty dispatch with the same token, to fill inside one transaction and `absorb`
        only once that transaction is saved: what was never saved must never be sent."""
        return Dispatch(send=self.send, token=self.token)

    def absorb(self, other: Dispatch) -> None:
        self.claimed += other.claimed
        self.unrouted += other.unrouted
        self.hooks += other.hooks


def _host() -> str:
    import socket  # only when something is sent: every write command imports this module

    return socket.gethostname()


def _claim(entry: dict[str, Any], token: str, now: datetime) -> None:
    entry["status"] = "sending"
    entry["attempts"] += 1
    entry["last_attempt_at"] = timing.to_iso(now)
    entry["claim"] = {
        "token": token,
        "pid": os.getpid(),
        "host": _host(),
        "at": timing.to_iso(now),
    }


def record(
    tx: Transaction,
    matrix: Matrix,
    changes: Iterable[tuple[Case, Sequence[int]]],
    now: datetime,
    dispatch: Dispatch | None = None,
) -> None:
    """Inside the write's transaction: add the outbox entries of each changed case (given as
    `(case, indices of its new events)`), claimed into `dispatch` with its hooks; without a
    dispatch they wait `pending` for the next `outbox retry` or `sweep`.

    A matrix without channels sends nothing, so it adds no entries: its notifications are
    recorded on the case timelines, and `escalate outbox` says so."""
    send = dispatch is None or dispatch.send
    pruned = False
    for case, added in changes:
        made = entries_for(matrix, case, added, now) if matrix.channels else []
        if made and not pruned:
            prune(tx, now)  # only when the outbox is written anyway
            pruned = True
        for entry in made:
            if entry["status"] == "pending" and not send:
                entry["status"] = "suppressed"
            elif entry["status"] == "pending" and dispatch is not None:
                _claim(entry, dispatch.token, now)
                dispatch.claimed.append(entry)
            elif entry["status"] == "no_channel" and dispatch is not None:
                dispatch.unrouted.append(entry)
            keep = entry["status"] in ("pending", "sending")
            tx.put_outbox(entry if keep else _slim(entry))
        if dispatch is not None and send:
            dispatch.hooks += hooks.jobs(matrix, case, added)


def _slim(entry: dict[str, Any]) -> dict[str, Any]:
    """A done entry keeps its subject, not its body: the hot file carries what is still to send."""
    return {**entry, "text": None}


def prune(tx: Transaction, now: datetime) -> None:
    """Drop entries done for longer than KEEP_DONE: the outbox stays small in the hot file."""
    cutoff = timing.to_iso(now - KEEP_DONE)
    old = [
        entry["id"]
        for entry in tx.outbox()
        if entry["status"] in DONE and (entry.get("sent_at") or entry["at"]) < cutoff
    ]
    if old:
        tx.drop_outbox(old)


def _alive(pid: int) -> bool:
    """Whether a process with this id runs here (unknown: assume it does, the lease decides)."""
    if pid <= 0 or sys.platform == "win32":  # kill(0) means a process group; on Windows it kills
        return pid > 0
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, as someone else's
    return True


def stale(claim: Mapping[str, Any] | None, now: datetime) -> bool:
    """Whether a claim's process is gone (same host, no such pid) or the claim is too old."""
    if not claim:
        return True
    if claim.get("host") == _host() and not _alive(int(claim.get("pid", 0))):
        return True
    return now - timing.from_iso(claim["at"]) >= STALE_CLAIM


def retryable(entry: Mapping[str, Any], now: datetime, *, due_only: bool) -> bool:
    """Pending, failed (and due, for a sweep) or claimed by a process that is gone."""
    status = entry["status"]
    if status == "pending":
        return True
    if status == "failed":
        due = entry.get("next_attempt_at")
        return not due_only or due is None or due <= timing.to_iso(now)
    return status == "sending" and stale(entry.get("claim"), now)


def claim_retries(
    tx: Transaction,
    now: datetime,
    dispatch: Dispatch,
    *,
    due_only: bool,
    ids: Collection[str] | None = None,
) -> None:
    """Claim into `dispatch` the entries to try again (only those in `ids`, when given)."""
    for entry in tx.outbox():
        if (ids is None or entry["id"] in ids) and retryable(entry, now, due_only=due_only):
            _claim(entry, dispatch.token, now)
            tx.put_outbox(entry)
            dispatch.claimed.append(entry)


def claim(
    store: Store,
    now: datetime,
    dispatch: Dispatch,
    *,
    due_only: bool,
    ids: Collection[str] | None = None,
) -> None:
    """Claim what is to be tried again, looking without the lock first: a sweep with nothing
    to retry costs no write. `due_only` (a sweep) leaves failed entries to wait their turn."""
    if not dispatch.send:
        return
    if not any(
        (ids is None or e["id"] in ids) and retryable(e, now, due_only=due_only)
        for e in store.outbox()
    ):
        return
    fork = dispatch.fork()
    with store.transaction() as tx:
        claim_retries(tx, now, fork, due_only=due_only, ids=ids)
    dispatch.absorb(fork)


@dataclass(frozen=True)
class Outcome:
    """How one delivery went: `error` is None when it was sent."""

    entry: dict[str, Any]
    error: str | None


@dataclass
class Delivered:
    """Every outcome, and why they could not be saved when they could not (None: saved)."""

    outcomes: list[Outcome]
    unsaved: str | None = None


def deliver(
    store: Store,
    matrix: Matrix,
    dispatch: Dispatch,
    now: datetime,
    env: Mapping[str, str],
    base: Path | None = None,
    *,
    refused: str | None = None,
) -> Delivered:
    """Send what `dispatch` claimed, outside the lock, and record each outcome under it as soon
    as it is known: a process killed mid-batch sends again only the entry it was sending.

    Whatever goes wrong with one entry (any exception from its channel) fails that entry only.
    When an outcome cannot be saved, nothing more is sent: the rest stay claimed by this process
    and `outbox retry` or the next `sweep` takes them over. With `refused` (why the matrix may
    not run programs), command-channel entries fail with it and run nothing."""
    from escalate_cli.core.errors import StoreError

    outcomes: list[Outcome] = []
    for entry in dispatch.claimed:
        if refused is not None and _runs_a_program(matrix, entry):
            outcome = Outcome(entry, refused)
        else:
            outcome = Outcome(entry, _send(matrix, entry, now, env, base))
        outcomes.append(outcome)
        try:
            with store.transaction() as tx:
                settle(tx, dispatch.token, [outcome], now)
        except StoreError as error:
            return Delivered(outcomes, str(error))
    return Delivered(outcomes)


def _runs_a_program(matrix: Matrix, entry: Mapping[str, Any]) -> bool:
    channel = matrix.channels.get(entry["channel"] or "")
    return channel is not None and channel.kind == "command"


def _send(
    matrix: Matrix,
    entry: dict[str, Any],
    now: datetime,
    env: Mapping[str, str],
    base: Path | None,
) -> str | None:
    """Send one entry: None when it went, else the one-line error to record."""
    from escalate_cli.core.notify import delivery  # smtplib, ssl and urllib: only when sending

    try:
        delivery.send(matrix, entry, now, env, base)
    except delivery.DeliveryError as error:
        return str(error)
    except Exception as error:  # a bug or a surprise in one channel must not stop the rest
        return templates.one_line(f"{type(error).__name__}: {error}", 300)
    return None


def finish(
    store: Store,
    matrix: Matrix,
    dispatch: Dispatch,
    now: datetime,
    env: Mapping[str, str],
    source: Path | None = None,
) -> tuple[Delivered, list[str]]:
    """Deliver what `dispatch` claimed, run its hooks; return the outcomes and one line for
    each thing that went wrong (none of it undoes the case change that was saved).

    `source` is the matrix file: relative programs start beside it, and its hooks and command
    channels run only when the user (or root) owns it and nobody else may write it. Otherwise
    one line says why, no hook runs and command-channel entries wait as `failed`. Without a
    `source` the caller vouches for the matrix."""
    base = source.resolve().parent if source is not None else None
    refused = _refusal(matrix, dispatch, source)
    done = deliver(store, matrix, dispatch, now, env, base, refused=refused)
    lines = [
        f"{o.entry['case']}: {o.entry['channel']} to {o.entry['contact']} failed: {o.error}"
        " (kept in the outbox: escalate outbox retry)"
        for o in done.outcomes
        if o.error is not None and o.error != refused
    ]
    if done.unsaved:
        left = len(dispatch.claimed) - len(done.outcomes)
        lines.append(
            f"delivery stopped: an outcome could not be saved ({done.unsaved}); that entry"
            + (f" and {left} not tried" if left else "")
            + " will be sent by escalate outbox retry or the next sweep"
        )
    lines += [
        f"{e['case']}: no channel reaches {e['contact']} (recorded in the outbox)"
        for e in dispatch.unrouted
    ]
    if refused is None:
        lines += hooks.run(matrix, dispatch.hooks, env, base)
    else:
        lines.insert(0, refused + _left_undone(done, refused, dispatch.hooks))
    return done, lines


def _refusal(matrix: Matrix, dispatch: Dispatch, source: Path | None) -> str | None:
    """Why the programs this dispatch would run must not, or None (also when it runs none)."""
    if source is None:
        return None
    if not dispatch.hooks and not any(_runs_a_program(matrix, e) for e in dispatch.claimed):
        return None
    from escalate_cli.core.notify.programs import untrusted

    return untrusted(source)


def _left_undone(done: Delivered, refused: str, jobs: list[hooks.HookJob]) -> str:
    from escalate_cli.core.text.words import plural

    waiting = sum(1 for outcome in done.outcomes if outcome.error == refused)
    skipped = sum(len(job.commands) for job in jobs)
    said = [f"{plural(waiting, 'notification')} waiting in the outbox as failed"] if waiting else []
    said += [f"{plural(skipped, 'hook')} not run"] if skipped else []
    return "; " + " and ".join(said) if said else ""


def settle(tx: Transaction, token: str, outcomes: list[Outcome], now: datetime) -> None:
    """Mark each entry still claimed by `token` sent, or failed with a time to try again."""
    prune(tx, now)
    results = {outcome.entry["id"]: outcome.error for outcome in outcomes}
    for entry in tx.outbox():
        if entry["id"] not in results or (entry.get("claim") or {}).get("token") != token:
            continue  # taken over meanwhile: the taker records its own outcome
        error = results[entry["id"]]
        entry["claim"] = None
        entry["error"] = error
        if error is None:
            entry["status"], entry["sent_at"] = "sent", timing.to_iso(now)
            entry = _slim(entry)
        else:
            wait = min(FIRST_RETRY * 2 ** max(entry["attempts"] - 1, 0), LONGEST_WAIT)
            entry["status"], entry["next_attempt_at"] = "failed", timing.to_iso(now + wait)
        tx.put_outbox(entry)


def select(entries: Iterable[dict[str, Any]], status: str) -> list[dict[str, Any]]:
    """`unsent` (the default view: pending, sending, failed, no_channel), one status, or `all`;
    `pending` includes entries being sent right now."""
    wanted = {
        "unsent": ("pending", "sending", "failed", "no_channel"),
        "pending": ("pending", "sending"),
        "all": STATUSES,
    }.get(status, (status,))
    return [entry for entry in entries if entry["status"] in wanted]
