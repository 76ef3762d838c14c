"""Availability, timers, and which level is next and when: pure functions of a matrix, a case
and an instant."""

from datetime import datetime
from typing import NamedTuple

# The statuses whose clocks run; here, with nothing to import, so that `list` filters by them
# without importing the timers (and through them the matrix model).
ACTIVE = ("open", "acknowledged", "on_hold")


class NextDue(NamedTuple):  # immutable, and made at import for a fifth of a dataclass
    """The next thing a sweep will do to a case (a move, a notify-only trigger, a breach), as
    `routing.next_due` works it out. Declared here, not there, so that a `list` whose due times
    all come from the store's wakes names it without importing the engine (~3 ms)."""

    at: datetime  # in the past when overdue; never before the end of a hold
    acts: bool  # a sweep at `now` would act on the case: it is overdue (timing rule 2)
