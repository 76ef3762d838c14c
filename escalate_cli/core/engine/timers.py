"""What is running on a case and when it falls due: level timers, SLAs and trigger conditions.

Time on hold, and time spent resolved before a reopen, does not count: every due time and every
`..._for` condition is measured in active time, so a resumed or reopened case picks up where it
stopped (timing rules 5 and 6).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Literal, NamedTuple

from escalate_cli.core.engine import ACTIVE as ACTIVE
from escalate_cli.core.matrix.model import Conditions, Matrix, Trigger
from escalate_cli.core.time import timing

if TYPE_CHECKING:
    from escalate_cli.core.cases.document import Case

TimerKind = Literal["ack", "after", "sla_ack", "sla_resolve"]


def _at(value: str | None) -> datetime | None:
    return timing.from_iso(value) if value else None


def paused_intervals(case: Case) -> list[tuple[datetime, datetime | None]]:
    """Each stretch in which no clock ran, as (start, end): the holds, and the time the case
    spent resolved before a reopen (timing rules 5 and 6). An ongoing hold ends at its
    `--until`, else None (open-ended)."""
    intervals: list[tuple[datetime, datetime | None]] = []
    for hold in case.get("holds", []):
        start = timing.from_iso(hold["since"])
        end = _at(hold.get("ended_at")) or _at(hold.get("until"))
        intervals.append((start, end))
    for resolved in case.get("resolved_periods", []):
        intervals.append((timing.from_iso(resolved["since"]), timing.from_iso(resolved["until"])))
    return intervals


def is_on_hold(case: Case, now: datetime) -> bool:
    """On hold at `now`; a hold whose `--until` has passed is over even before anyone writes."""
    if case["status"] != "on_hold":
        return False
    holds = case.get("holds", [])
    until = _at(holds[-1].get("until")) if holds else None
    return until is None or now < until


def due_after(case: Case, anchor: datetime, duration: timedelta) -> datetime | None:
    """The instant at which `duration` of active time has passed since `anchor`.

    None when an open-ended hold stops the clock before then. Never inside a paused stretch:
    a deadline that would fall there moves past it. None too when it would fall after the
    last instant a datetime can hold: that is never.
    """
    try:
        due = anchor + duration
        for start, end in sorted(paused_intervals(case), key=lambda pair: pair[0]):
            if end is not None and end <= anchor:
                continue
            start = max(start, anchor)
            if start >= due:
                break
            if end is None:
                return None
            due += end - start
    except OverflowError:
        return None
    return due


def active_time(case: Case, anchor: datetime, now: datetime) -> timedelta:
    """Time since `anchor` that was not spent on hold or resolved."""
    elapsed = now - anchor
    for start, end in paused_intervals(case):
        stop = min(end or now, now)
        overlap = stop - max(start, anchor)
        if overlap > timedelta(0):
            elapsed -= overlap
    return elapsed


class Timer(NamedTuple):  # immutable, and made at import for a fifth of a dataclass
    """A built-in timer that is running on a case, and when it falls due."""

    kind: TimerKind
    due_at: datetime | None  # None while an open-ended hold stops it
    duration: timedelta
    level: str | None

    @property
    def is_sla(self) -> bool:
        return self.kind.startswith("sla_")

    def reason(self) -> str:
        span = timing.format_duration(self.duration)
        return {
            "ack": f"not acknowledged at {self.level} within {span} (level ack)",
            "after": f"unresolved at {self.level} for {span} (level after)",
            "sla_ack": f"acknowledge SLA of {span} breached",
            "sla_resolve": f"resolve SLA of {span} breached",
        }[self.kind]


def running_timers(matrix: Matrix, case: Case) -> list[Timer]:
    """The timers of timing rule 1 that still run; none for a resolved or closed case."""
    if case["status"] not in ACTIVE:
        return []
    timers: list[Timer] = []
    level = matrix.levels_by_id.get(case["level"])
    entered = timing.from_iso(case["level_entered_at"])
    if level is not None:
        # A level's timers may depend on the severity; a severity with none runs none.
        ack, after = level.ack_for(case.get("severity")), level.after_for(case.get("severity"))
        if ack and not case.get("level_acknowledged_at"):
            timers.append(Timer("ack", due_after(case, entered, ack), ack, level.id))
        if after:
            timers.append(Timer("after", due_after(case, entered, after), after, level.id))
    severity = matrix.severities_by_id.get(case.get("severity") or "")
    breached = case.get("breached", [])
    if severity is not None:
        if severity.ack and not case.get("acknowledged_at") and "ack" not in breached:
            due = sla_due_after(matrix, case, severity.ack)
            timers.append(Timer("sla_ack", due, severity.ack, None))
        if severity.resolve and "resolve" not in breached:
            due = sla_due_after(matrix, case, severity.resolve)
            timers.append(Timer("sla_resolve", due, severity.resolve, None))
    return timers


def sla_due_after(matrix: Matrix, case: Case, duration: timedelta) -> datetime | None:
    """When `duration` of the case's SLA clock has run since it opened: every active minute,
    or with a severity `calendar` only the minutes inside its hours (core/time/business.py)."""
    created = timing.from_iso(case["created_at"])
    severity = matrix.severities_by_id.get(case.get("severity") or "")
    calendar = matrix.calendars.get(severity.calendar) if severity and severity.calendar else None
    if calendar is None:
        return due_after(case, created, duration)
    from escalate_cli.core.time.business import business_due

    zone = calendar.timezone or matrix.timezone
    return business_due(created, duration, calendar, zone, paused_intervals(case))


def sla_warnings(
    matrix: Matrix, case: Case, running: list[Timer]
) -> list[tuple[str, datetime, datetime]]:
    """For a severity with `warn: 80%`: each running SLA not warned of yet, when its warning
    is due (that share of the SLA's clock gone), and its deadline."""
    severity = matrix.severities_by_id.get(case.get("severity") or "")
    if severity is None or severity.warn is None:
        return []
    warned = case.get("warned") or []
    found = []
    for timer in running:
        sla = timer.kind.removeprefix("sla_")
        if not timer.is_sla or timer.due_at is None or sla in warned:
            continue
        at = sla_due_after(matrix, case, timer.duration * severity.warn)
        if at is not None:
            found.append((sla, at, timer.due_at))
    return found


def sla_deadline(matrix: Matrix, case: Case, sla: str) -> datetime | None:
    """When an SLA (`ack` or `resolve`) falls due for this case, hold time included."""
    severity = matrix.severities_by_id.get(case.get("severity") or "")
    duration = getattr(severity, sla, None) if severity else None
    if duration is None:
        return None
    return sla_due_after(matrix, case, duration)


# Fields are joined by a character that is neither a word character nor whitespace, so a phrase
# never runs from the end of the title into the description.
_FIELD_SEPARATOR = "\x00"


def case_text(case: Case) -> str:
    """What `keywords` conditions search: title, description, gathered facts and status updates,
    folded for caseless matching (Unicode NFKC, then casefold)."""
    facts = [fact["text"] for fact in case["steps"]["gather"]["facts"]]
    updates = [entry["text"] for entry in case["timeline"] if entry["kind"] == "update"]
    joined = _FIELD_SEPARATOR.join([case["title"], case.get("description") or "", *facts, *updates])
    return fold(joined)


def fold(text: str) -> str:
    """Text as keywords compare it: compatibility forms unified, case folded (Straße = STRASSE)."""
    if text.isascii():  # NFKC leaves ASCII as it is: most case texts skip the import and pass
        return text.lower()
    from unicodedata import normalize

    return normalize("NFKC", text).casefold()


class KeywordMatcher(NamedTuple):  # immutable, and made at import for a fifth of a dataclass
    """A trigger's keywords, compiled: whole words or phrases in folded text (see `fold`)."""

    firsts: tuple[str, ...]  # each keyword's first word: a cheap screen before the pattern
    # Compiled (and kept by `re`) the first time a text passes the screen: compiling took
    # ~1.5 ms of every `list`, most of whose cases hold none of the words.
    pattern: str

    def found_in(self, text: str) -> bool:
        """Whether any keyword is in `text` (already folded) as a whole word or phrase."""
        return any(first in text for first in self.firsts) and bool(re.search(self.pattern, text))


@cache
def keyword_matcher(keywords: tuple[str, ...]) -> KeywordMatcher:
    """A trigger's keywords compiled once per keyword list: a sweep asks for every open case.

    Each keyword matches as a whole word or phrase: not inside a longer word (`sue` is not in
    "issue"), any run of whitespace in it matching any run of whitespace in the text.
    """
    phrases = [words for words in (fold(keyword).split() for keyword in keywords) if words]
    alternatives = "|".join(r"\s+".join(map(re.escape, words)) for words in phrases)
    pattern = r"(?<!\w)(?:" + alternatives + r")(?!\w)" if phrases else r"(?!)"
    return KeywordMatcher(tuple(dict.fromkeys(words[0] for words in phrases)), pattern)


def _tier_matches(case: Case, tiers: tuple[str, ...]) -> bool:
    """Tiers compare case-insensitively, declared or not: `VIP` on a case meets `tier: [vip]`."""
    tier = (case.get("customer") or {}).get("tier")
    return isinstance(tier, str) and tier.strip().casefold() in _folded(tiers)


@cache
def _folded(names: tuple[str, ...]) -> frozenset[str]:
    return frozenset(name.strip().casefold() for name in names)


def _static_conditions_hold(case: Case, when: Conditions, text: str | None) -> bool:
    # Ordered cheapest first: a sweep asks this for every trigger of every open case.
    if when.level and case["level"] not in when.level:
        return False
    if when.severity and case.get("severity") not in when.severity:
        return False
    if when.type and case["type"] not in when.type:
        return False
    if when.tier and not _tier_matches(case, when.tier):
        return False
    if when.reopened is not None and case.get("reopened", 0) < when.reopened:
        return False
    if when.keywords:
        searched = case_text(case) if text is None else text
        return keyword_matcher(when.keywords).found_in(searched)
    return True


def unacknowledged(case: Case) -> bool:
    """Nobody has acknowledged the case at its level (on hold too, if nobody had)."""
    return case["status"] == "open" or (
        case["status"] == "on_hold" and not case.get("level_acknowledged_at")
    )


def _unresolved_since(case: Case) -> datetime:
    return timing.from_iso(case.get("reopened_at") or case["created_at"])


def _silent_since(case: Case) -> datetime:
    return timing.from_iso(case.get("last_update_at") or case["created_at"])


def condition_due_times(
    matrix: Matrix, case: Case, when: Conditions, since: datetime | None = None
) -> list[datetime] | None:
    """The due time of each duration condition and breach; None when one can never hold.
    With `since` (a repeating trigger's last firing), each duration counts from then at the
    earliest."""
    entered = timing.from_iso(case["level_entered_at"])
    spans: list[tuple[timedelta | None, datetime | None]] = [
        (when.unresolved_for, _unresolved_since(case)),
        (when.at_level_for, entered),
        (when.silent_for, _silent_since(case)),
    ]
    if when.unacknowledged_for is not None:
        spans.append((when.unacknowledged_for, entered if unacknowledged(case) else None))
    due_times: list[datetime] = []
    for duration, anchor in spans:
        if duration is None:
            continue
        if anchor is not None and since is not None:
            anchor = max(anchor, since)
        due = due_after(case, anchor, duration) if anchor else None
        if due is None:
            return None
        due_times.append(due)
    for sla in when.breached:
        deadline = None if sla in case.get("breached", []) else sla_deadline(matrix, case, sla)
        # An acknowledgement after the deadline records the breach, so an acknowledged case
        # with no ack breach on record met its ack SLA.
        met = sla == "ack" and bool(case.get("acknowledged_at"))
        if sla not in case.get("breached", []) and (deadline is None or met):
            return None
        due_times.append(deadline or timing.from_iso(case["created_at"]))
    return due_times


def trigger_due_at(
    matrix: Matrix, case: Case, trigger: Trigger, *, text: str | None = None
) -> datetime | None:
    """When a trigger's conditions will all hold (maybe already), or None if they cannot now.

    A trigger that already fired on this case never fires again (timing rule 10), unless it
    says `repeat`: then its durations count again from its last firing.
    """
    if case["status"] not in ACTIVE:
        return None
    fired = trigger.id in case.get("fired_triggers", [])
    if fired and not trigger.repeat:
        return None
    if not _static_conditions_hold(case, trigger.when, text):
        return None
    since = last_fired(case, trigger.id) if fired else None
    due_times = condition_due_times(matrix, case, trigger.when, since)
    if due_times is None:
        return None
    return max(due_times, default=_static_since(case))


def last_fired(case: Case, trigger_id: str) -> datetime | None:
    """When the trigger last fired on the case (its latest `triggered` event)."""
    for entry in reversed(case.get("timeline", [])):
        data = entry.get("data") or {}
        if entry.get("kind") == "triggered" and data.get("trigger") == trigger_id:
            return timing.from_iso(entry["at"])
    return None


def _static_since(case: Case) -> datetime:
    """A trigger with no duration condition is due from the case's last change it can see."""
    return timing.from_iso(case["level_entered_at"])
