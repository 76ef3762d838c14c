"""Who can be reached at an instant: business hours, leave, delegates and on-call rotations."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from escalate_cli.core.errors import NotFoundError
from escalate_cli.core.matrix.model import ROTATION_PREFIX, Contact, Matrix, Rotation
from escalate_cli.core.time import timing
from escalate_cli.core.values import Value, frozen

DEFAULT_HORIZON = timedelta(days=14)


@frozen
class Reached(Value):
    """The contact a reference resolves to at an instant, and how they were reached."""

    id: str
    name: str
    available: bool
    via: str | None = None  # "rotation:sre-oncall", "delegate for dana", or both
    stands_in_for: str | None = None  # the away contact a delegate replaces

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {"id": self.id, "name": self.name, "available": self.available}
        if self.via is not None:
            data["via"] = self.via
        if self.stands_in_for is not None:
            data["stands_in_for"] = self.stands_in_for
        return data


def contact_zone(matrix: Matrix, contact: Contact) -> ZoneInfo:
    """The zone a contact's hours and leave are read in: their own, else the matrix's."""
    return contact.timezone or matrix.timezone


def rotation_zone(matrix: Matrix, rotation: Rotation) -> ZoneInfo:
    """The zone a rotation's start and handovers are read in: its own, else the matrix's."""
    return rotation.timezone or matrix.timezone


def _contact(matrix: Matrix, contact_id: str) -> Contact:
    contact = matrix.contacts_by_id.get(contact_id)
    if contact is None:
        raise NotFoundError(f'contact "{contact_id}" not found in the matrix')
    return contact


def _rotation_named(matrix: Matrix, ref: str) -> Rotation | None:
    """The rotation `ref` names (`rotation:ID`, or a bare ID no contact has), else None."""
    if ref.startswith(ROTATION_PREFIX):
        rotation_id = ref[len(ROTATION_PREFIX) :]
        rotation = matrix.rotations_by_id.get(rotation_id)
        if rotation is None:
            raise NotFoundError(f'rotation "{rotation_id}" not found in the matrix')
        return rotation
    if ref in matrix.contacts_by_id:
        return None
    return matrix.rotations_by_id.get(ref)


def _away_at(matrix: Matrix, contact: Contact, at: datetime) -> timing.Away | None:
    zone = contact_zone(matrix, contact)
    return next((away for away in contact.away if away.covers(at, zone)), None)


def _in_hours(matrix: Matrix, contact: Contact, at: datetime) -> bool:
    if contact.hours is None:
        return True
    return contact.hours.contains(timing.local_wall(at, contact_zone(matrix, contact)))


def is_available(matrix: Matrix, contact_id: str, at: datetime) -> bool:
    """Whether the contact themselves is inside their hours and not away (delegates aside)."""
    contact = _contact(matrix, contact_id)
    return _in_hours(matrix, contact, at) and _away_at(matrix, contact, at) is None


def _shift_number(matrix: Matrix, rotation: Rotation, at: datetime) -> int:
    zone = rotation_zone(matrix, rotation)
    return timing.shift_number(rotation.start, zone, rotation.shift, at)


def on_shift(matrix: Matrix, rotation_id: str, at: datetime) -> str:
    """The id of the rotation member holding the shift at `at` (`ID` or `rotation:ID`)."""
    rotation = matrix.rotations_by_id.get(rotation_id.removeprefix(ROTATION_PREFIX))
    if rotation is None:
        raise NotFoundError(f'rotation "{rotation_id}" not found in the matrix')
    return _member_on_shift(matrix, rotation, at)


def _member_on_shift(matrix: Matrix, rotation: Rotation, at: datetime) -> str:
    if not rotation.members:
        raise NotFoundError(f'rotation "{rotation.id}" has no members')
    return rotation.members[_shift_number(matrix, rotation, at) % len(rotation.members)]


def reach(matrix: Matrix, ref: str, at: datetime) -> Reached:
    """Resolve a contact id or `rotation:ID` to the person reached at `at`.

    A rotation gives the member on shift; an away contact gives their delegate, following
    chains of delegates; a loop, a missing delegate or leave without one ends unavailable.
    """
    return _reached(*_followed(matrix, ref, at))


def _followed(
    matrix: Matrix, ref: str, at: datetime
) -> tuple[Contact, bool, str | None, list[str]]:
    """Who `ref` reaches at `at` (see `reach`): the contact at the end of the chain, whether
    they are available, the rotation it went through, and the chain from the contact asked
    for."""
    rotation = _rotation_named(matrix, ref)
    rotation_via = f"{ROTATION_PREFIX}{rotation.id}" if rotation else None
    first = _member_on_shift(matrix, rotation, at) if rotation else ref
    contact = _contact(matrix, first)
    chain = [contact.id]
    while (away := _away_at(matrix, contact, at)) is not None:
        delegate = away.delegate
        if delegate is None or delegate in chain or delegate not in matrix.contacts_by_id:
            return contact, False, rotation_via, chain
        contact = matrix.contacts_by_id[delegate]
        chain.append(delegate)
    return contact, _in_hours(matrix, contact, at), rotation_via, chain


def _reached(
    contact: Contact, available: bool, rotation_via: str | None, chain: list[str]
) -> Reached:
    """Describe the end of a delegate chain; `chain` runs from the contact asked for."""
    if len(chain) == 1:
        return Reached(contact.id, contact.label, available, rotation_via)
    hops = f" via {', '.join(chain[1:-1])}" if len(chain) > 2 else ""
    delegation = f"delegate for {chain[0]}{hops}"
    via = f"{rotation_via}; {delegation}" if rotation_via else delegation
    return Reached(contact.id, contact.label, available, via, stands_in_for=chain[0])


def _level(matrix: Matrix, level_id: str) -> tuple[str, ...]:
    level = matrix.levels_by_id.get(level_id)
    if level is None:
        raise NotFoundError(f'level "{level_id}" not found in the matrix')
    return level.contacts


def has_available(matrix: Matrix, level_id: str, at: datetime) -> bool:
    """Whether someone at the level is available at `at`: any of `level_contacts`, asked
    without describing each one (a sweep and `list` ask it of every overdue case)."""
    return any(_followed(matrix, ref, at)[1] for ref in _level(matrix, level_id))


def level_contacts(matrix: Matrix, level_id: str, at: datetime) -> list[Reached]:
    """Every contact of a level as reached at `at`, once each, in matrix order."""
    reached: dict[str, Reached] = {}
    for ref in _level(matrix, level_id):
        person = reach(matrix, ref, at)
        reached.setdefault(person.id, person)
    return list(reached.values())


def primary_contact(matrix: Matrix, level_id: str, at: datetime) -> str:
    """The first available contact of a level at `at`, else its first contact as reached."""
    reached = level_contacts(matrix, level_id, at)
    if not reached:
        raise NotFoundError(f'level "{level_id}" has no contacts')
    return next((person.id for person in reached if person.available), reached[0].id)


def next_available_at(
    matrix: Matrix, ref: str, after: datetime, horizon: timedelta = DEFAULT_HORIZON
) -> datetime | None:
    """The earliest instant from `after` on, within `horizon`, when `ref` reaches someone available.

    Availability only changes where hours open or close, leave starts or ends, a zone's offset
    jumps or a shift hands over, so those instants are the only ones worth checking.
    """
    after = after.astimezone(UTC) if after.tzinfo else after.replace(tzinfo=UTC)
    if reach(matrix, ref, after).available:
        return after
    end = after + horizon
    for moment in _change_points(matrix, ref, after, end):
        if reach(matrix, ref, moment).available:
            return moment
    return None


def level_next_available_at(
    matrix: Matrix, level_id: str, after: datetime, horizon: timedelta = DEFAULT_HORIZON
) -> datetime | None:
    """The earliest instant within `horizon` when any contact of the level is available."""
    found = (next_available_at(matrix, ref, after, horizon) for ref in _level(matrix, level_id))
    return min((moment for moment in found if moment is not None), default=None)


def _change_points(matrix: Matrix, ref: str, after: datetime, end: datetime) -> Iterator[datetime]:
    """Instants in (after, end] where `reach(ref)` may change its answer, ascending, once each."""
    rotation = _rotation_named(matrix, ref)
    people = _people_behind(matrix, rotation.members if rotation else (ref,))
    points: set[datetime] = set()
    for contact in people:
        points.update(_contact_changes(matrix, contact, after, end))
    streams: list[Iterable[datetime]] = [sorted(p for p in points if after < p <= end)]
    if rotation:
        streams.append(_handovers(matrix, rotation, after, end))
    previous = None
    for moment in heapq.merge(*streams):
        if moment != previous:
            yield moment
        previous = moment


def _people_behind(matrix: Matrix, ids: Iterable[str]) -> list[Contact]:
    """The contacts named, plus everyone their leave could hand over to, transitively."""
    found: dict[str, Contact] = {}
    queue = list(ids)
    while queue:
        contact_id = queue.pop()
        contact = matrix.contacts_by_id.get(contact_id)
        if contact is None or contact_id in found:
            continue
        found[contact_id] = contact
        queue += [away.delegate for away in contact.away if away.delegate]
    return list(found.values())


def _contact_changes(
    matrix: Matrix, contact: Contact, after: datetime, end: datetime
) -> Iterator[datetime]:
    zone = contact_zone(matrix, contact)
    for away in contact.away:
        yield away.starts_at(zone)
        yield away.ends_at(zone)
    if contact.hours is None:
        return
    # A margin of a day covers the hour a fall-back fold replays.
    first = timing.local_wall(after, zone) - timedelta(days=1)
    last = timing.local_wall(end, zone) + timedelta(days=1)
    for wall in contact.hours.transitions(first, last):
        yield from timing.wall_instants(wall, zone)
    yield from _offset_changes(zone, after, end)


def _offset_changes(zone: ZoneInfo, after: datetime, end: datetime) -> Iterator[datetime]:
    """Where the zone's clock jumps: a fold can reopen hours without a transition time passing."""
    day = timedelta(days=1)
    low = after
    while low < end:
        high = min(low + day, end)
        if low.astimezone(zone).utcoffset() != high.astimezone(zone).utcoffset():
            yield timing.offset_change(zone, low, high)
        low = high


def _handovers(
    matrix: Matrix, rotation: Rotation, after: datetime, end: datetime
) -> Iterator[datetime]:
    zone = rotation_zone(matrix, rotation)
    n = _shift_number(matrix, rotation, after) + 1
    while (moment := timing.shift_start(rotation.start, zone, rotation.shift, n)) <= end:
        yield moment
        n += 1
