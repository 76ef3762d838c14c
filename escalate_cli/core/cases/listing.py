"""`escalate list`: the cases a filter picks, as they stand now, and when each is next due.

Functions of the stored cases, a matrix and the time; `Session.cases` reads the store. The time
comes as a clock read on first need, so that a listing that needs no time never reads it (a
`--now` is then never parsed, as before the listing moved here).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from operator import itemgetter
from typing import TYPE_CHECKING

from escalate_cli.core.cases.filters import CaseFilter, filter_cases
from escalate_cli.core.cases.teams import belongs
from escalate_cli.core.engine import ACTIVE

if TYPE_CHECKING:
    from escalate_cli.core.cases.document import Case
    from escalate_cli.core.engine import NextDue
    from escalate_cli.core.matrix.model import Matrix
    from escalate_cli.core.store.store_base import Wake

Clock = Callable[[], datetime]


def usable(
    cases: Iterable[Case], woken: Mapping[int, Wake] | None = None
) -> tuple[list[Case], list[tuple[Case, str]]]:
    """The cases whose stored times are usable, and each other one with what is wrong in it:
    one bad case must not stop `list` for all. An active case with a wake from the store was
    checked as it was written: working out a wake asks `routing.problem`, which checks the
    same times, and the store gives the wake only while the case is as it was then."""
    from escalate_cli.core.time.timing import stored_time_problem

    checked = woken or {}
    kept: list[Case] = []
    skipped: list[tuple[Case, str]] = []
    for case in cases:
        if case.get("number") in checked and case.get("status") in ACTIVE:
            kept.append(case)
            continue
        problem = stored_time_problem(case, history=False)
        if problem is None:
            kept.append(case)
        else:
            skipped.append((case, problem))
    return kept, skipped


def picked(cases: Iterable[Case], wanted: CaseFilter, team: str | None, now: Clock) -> list[Case]:
    """The cases of `team` (every team's when None) that `wanted` matches, each as read-only
    commands show it: a hold whose `--until` has passed is over (timing rule 6)."""
    return filter_cases((_as_read(case, now) for case in cases if belongs(case, team)), wanted)


def _as_read(case: Case, now: Clock) -> Case:
    if case.get("status") != "on_hold":
        return case  # spares the import, and the clock
    from escalate_cli.core.cases.lifecycle import as_of

    return as_of(case, now())


def next_due(
    matrix: Callable[[], Matrix],
    cases: Iterable[Case],
    team: str,
    now: Clock,
    wakes: Mapping[int, Wake],
) -> dict[int, NextDue]:
    """What is next due on each case of `team`, by case number: `next`'s answer, triggers and
    SLA deadlines included (timing rule 2). Another team's case is left out: its own rules
    decide when it is due. A case with a wake from the store (see Store.listing: nothing acts
    on it before then, or it has passed and still holds as its due time) is due at its wake, as
    `routing.next_due` would work it out from the whole case; overdue once it has passed. The
    matrix is asked for only when some case has no such wake."""
    from escalate_cli.core.engine import NextDue

    at = now()
    shown = {}
    for case in cases:
        if not belongs(case, team):
            continue
        wake = wakes.get(case["number"])
        if wake is not None:
            if wake.at is not None:
                shown[case["number"]] = NextDue(wake.at, wake.at <= at)
            continue
        found = _worked_out(matrix(), case, at)
        if found is not None:
            shown[case["number"]] = found
    return shown


def _worked_out(matrix: Matrix, case: Case, at: datetime) -> NextDue | None:
    # The engine is imported only for a case the store has no usable wake for: a list whose
    # due times all come from wakes spares its ~3 ms.
    from escalate_cli.core.engine.routing import next_due

    return next_due(matrix, case, at)


def overdue(cases: Iterable[Case], due: dict[int, NextDue]) -> list[Case]:
    """The cases a sweep would act on now (`list --overdue`)."""
    return [case for case in cases if case["number"] in due and due[case["number"]].acts]


SORTS = ("due", "created", "severity", "updated")


def ordered(
    cases: list[Case], sort: str | None, due: dict[int, NextDue], matrix: Matrix | None
) -> list[Case]:
    """`list --sort`: `due` soonest first (nothing due last), `created` and `updated` newest
    first (the newer case first on a tie), `severity` in the matrix's order (most severe
    first; unknown ones last). Other ties, and no sort, by case number."""
    by_number = sorted(cases, key=itemgetter("number"))  # C-level: a listing is 10,000s
    if sort is None:
        return by_number
    if sort == "due":
        last = len(by_number)  # after every due time: the key's second part is never compared
        return sorted(
            by_number,
            key=lambda c: (0, due[c["number"]].at) if c["number"] in due else (1, last),
        )
    if sort == "severity":
        rank = {s.id: n for n, s in enumerate(matrix.severities)} if matrix is not None else {}
        return sorted(by_number, key=lambda c: rank.get(str(c.get("severity")), len(rank)))
    if sort == "created":
        return sorted(by_number, key=lambda c: (str(c["created_at"]), c["number"]), reverse=True)
    from escalate_cli.core.cases.search import updated_at

    return sorted(by_number, key=lambda c: (updated_at(c), c["number"]), reverse=True)


def past_time(text: str, now: datetime) -> datetime:
    """`--since`/`--until` of `list`, `search` and `metrics`: an ISO-8601 time, a duration back
    from now (`30d`: thirty days ago), or a time as people say it, looking back (`mon 9:00`:
    last Monday). ValueError says what is wrong."""
    from escalate_cli.core.time import timing

    try:
        return timing.parse_instant(text)
    except ValueError as error:
        instant_error = error
    try:
        at = now - timing.parse_duration(text)
    except (ValueError, OverflowError):
        if "out of range" in str(instant_error):
            raise instant_error from None
        from escalate_cli.core.time.natural_time import parse_natural

        spoken = parse_natural(text, now, past=True)  # `mon 9:00`: last Monday
        if spoken is None:
            raise ValueError(
                f"bad time {timing.show_value(text)} (an ISO-8601 time such as"
                " 2026-11-01T09:00Z, a duration back from now such as 30d, or mon 9:00)"
            ) from None
        at = spoken
    if not timing.in_range(at):
        raise ValueError(f"{timing.show_value(text)} ago is before 1970-01-01")
    return at
