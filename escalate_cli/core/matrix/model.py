"""The escalation matrix as frozen dataclasses: what the rest of escalate reads at run time.

The classes carry no pydantic import: `core.matrix` validates YAML into them with pydantic, and
the markers below hand pydantic their parsers only when it asks, so reading a cached matrix
costs no pydantic start-up.
"""

from __future__ import annotations

import zlib
from dataclasses import field
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal
from zoneinfo import ZoneInfo

from escalate_cli.core.time import timing
from escalate_cli.core.time.business import Holiday, parse_holiday
from escalate_cli.core.time.hours import Hours, parse_hours
from escalate_cli.core.values import Value, frozen

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler
    from pydantic_core import CoreSchema

FORBID_EXTRA: Any = {"extra": "forbid", "strict": False}
ROTATION_PREFIX = "rotation:"
DEFAULT_PATH = "default"


class _ParsedBy:
    """Marker base: validate a field with a plain function that raises ValueError."""

    parser: ClassVar[staticmethod[[Any], Any]]

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        from pydantic_core import core_schema

        return core_schema.no_info_plain_validator_function(cls.parser)


class _DurationSpec(_ParsedBy):
    parser = staticmethod(timing.parse_duration)


class _ZoneSpec(_ParsedBy):
    parser = staticmethod(timing.parse_zone)


class _HoursSpec(_ParsedBy):
    parser = staticmethod(parse_hours)


class _AwaySpec(_ParsedBy):
    parser = staticmethod(timing.parse_away)


class _WallTimeSpec(_ParsedBy):
    parser = staticmethod(timing.parse_wall_time)


def _one_or_many(value: Any) -> tuple[str, ...]:
    """Accept `sev1` as well as `[sev1, sev2]` in trigger conditions."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise ValueError("expected a name or a list of names")


class _NamesSpec(_ParsedBy):
    parser = staticmethod(_one_or_many)


@frozen
class BySeverity(Value):
    """A level timer that depends on the case's severity: `{sev1: 5m, sev2: 15m, default: 4h}`.

    A severity with no entry takes `default`; with no `default` either, the timer does not run.
    """

    durations: tuple[tuple[str, timedelta], ...]
    default: timedelta | None = None

    def get(self, severity_id: str | None) -> timedelta | None:
        for named, duration in self.durations:
            if named == severity_id:
                return duration
        return self.default

    def items(self) -> list[tuple[str, timedelta]]:
        """The entries as written, `default` last."""
        tail = [("default", self.default)] if self.default is not None else []
        return [*self.durations, *tail]


_LEVEL_TIMER_HELP = "expected a duration, or a mapping from severity id to duration"


def _level_timer(value: Any, validate_mapping: Any) -> timedelta | BySeverity:
    """A duration (`15m`), or a mapping from severity id to duration with an optional default."""
    if isinstance(value, BySeverity):
        return value  # already parsed: lets a model be validated twice
    if isinstance(value, list | tuple):
        raise ValueError(f"{_LEVEL_TIMER_HELP} (sev1: 5m, default: 4h)")
    if not isinstance(value, dict):
        return timing.parse_duration(value)
    durations: dict[str, timedelta] = validate_mapping(value)  # each key's error at its own line
    if not durations:
        raise ValueError("expected at least one severity id or default (sev1: 5m, default: 4h)")
    default = durations.pop("default", None)
    return BySeverity(tuple(durations.items()), default)


class _LevelTimerSpec:
    """Marker: a level's `ack` or `after`, a duration or a mapping by severity."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        from pydantic_core import core_schema

        duration = core_schema.no_info_plain_validator_function(timing.parse_duration)
        mapping = core_schema.dict_schema(core_schema.str_schema(), duration)
        return core_schema.no_info_wrap_validator_function(_level_timer, mapping)


Duration = Annotated[timedelta, _DurationSpec]
LevelTimer = Annotated[timedelta | BySeverity, _LevelTimerSpec]
Zone = Annotated[ZoneInfo, _ZoneSpec]
HoursSpec = Annotated[Hours, _HoursSpec]
AwaySpec = Annotated[timing.Away, _AwaySpec]
WallTime = Annotated[datetime, _WallTimeSpec]
Names = Annotated[tuple[str, ...], _NamesSpec]


@frozen
class Contact(Value):
    """A person, queue or external party that can be told about a case."""

    __pydantic_config__ = FORBID_EXTRA
    id: str
    name: str | None = None
    role: str | None = None
    email: str | None = None
    phone: str | None = None
    chat: str | None = None
    timezone: Zone | None = None
    hours: HoursSpec | None = None
    away: tuple[AwaySpec, ...] = ()
    external: bool = False
    # None: the matrix's `notify_via`; () means "record only, send nothing".
    notify_via: tuple[str, ...] | None = None

    @property
    def label(self) -> str:
        return self.name or self.id


@frozen
class Rotation(Value):
    """An on-call rotation: who holds a shift at a given instant."""

    __pydantic_config__ = FORBID_EXTRA
    id: str
    members: tuple[str, ...]
    shift: Duration
    start: WallTime
    timezone: Zone | None = None
    name: str | None = None


@frozen
class Repeat(Value):
    """`repeat: {every: 15m, times: 3}`: while a case sits unacknowledged at the top of its
    path, its level's contacts are told again every `every`, at most `times` times (as
    PagerDuty's `num_loops`)."""

    __pydantic_config__ = FORBID_EXTRA
    every: Duration
    times: int


@frozen
class Level(Value):
    """One rung of the escalation ladder."""

    __pydantic_config__ = FORBID_EXTRA
    id: str
    contacts: tuple[str, ...]
    name: str | None = None
    authority: str | None = None
    after: LevelTimer | None = None
    ack: LevelTimer | None = None
    min_time: Duration | None = None
    repeat: Repeat | None = None  # when this level is the top of the case's path

    @property
    def label(self) -> str:
        return self.name or self.id

    def ack_for(self, severity_id: str | None) -> timedelta | None:
        """How long a case of this severity may wait unacknowledged here; None: no ack timer."""
        return _for_severity(self.ack, severity_id)

    def after_for(self, severity_id: str | None) -> timedelta | None:
        """How long a case of this severity may stay unresolved here; None: no after timer."""
        return _for_severity(self.after, severity_id)


def _for_severity(
    timer: timedelta | BySeverity | None, severity_id: str | None
) -> timedelta | None:
    return timer.get(severity_id) if isinstance(timer, BySeverity) else timer


@frozen
class Path(Value):
    """An escalation type: the levels a case climbs and who hears about it on the way."""

    __pydantic_config__ = FORBID_EXTRA
    levels: tuple[str, ...]
    also_notify: tuple[str, ...] = ()
    agreement: Literal["required", "none"] = "none"
    external: tuple[str, ...] = ()
    repeat: Repeat | None = None  # at its top level; wins over that level's own


class _HolidaySpec(_ParsedBy):
    parser = staticmethod(parse_holiday)


def parse_share(value: Any) -> float:
    """`80%` (or 0.8): a share of an SLA, more than 0 and less than 100%."""
    text = str(value).strip() if isinstance(value, str | int | float) else ""
    try:
        share = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        share = -1.0
    if isinstance(value, bool) or not 0 < share < 1:
        raise ValueError(f"bad share {timing.show_value(value)} (use a percentage such as 80%)")
    return share


class _ShareSpec(_ParsedBy):
    parser = staticmethod(parse_share)


@frozen
class Calendar(Value):
    """Working hours in a zone, with days off: a severity's SLA clocks may run only in them."""

    __pydantic_config__ = FORBID_EXTRA
    hours: HoursSpec
    timezone: Zone | None = None  # the matrix's when not given
    holidays: tuple[Annotated[Holiday, _HolidaySpec], ...] = ()


@frozen
class Severity(Value):
    """How bad a case is: its SLAs, its start level and who hears when one opens."""

    __pydantic_config__ = FORBID_EXTRA
    id: str
    name: str | None = None
    ack: Duration | None = None
    resolve: Duration | None = None
    start: str | None = None
    notify: tuple[str, ...] = ()
    calendar: str | None = None  # its SLA clocks run only in that calendar's hours
    warn: Annotated[float, _ShareSpec] | None = None  # warn when this share of an SLA is gone

    @property
    def label(self) -> str:
        return self.name or self.id


@frozen
class Conditions(Value):
    """A trigger's `when`: every condition given must hold."""

    __pydantic_config__ = FORBID_EXTRA
    level: Names = ()
    severity: Names = ()
    type: Names = ()
    tier: Names = ()
    keywords: Names = ()
    unacknowledged_for: Duration | None = None
    unresolved_for: Duration | None = None
    at_level_for: Duration | None = None
    silent_for: Duration | None = None
    reopened: int | None = None
    breached: tuple[Literal["ack", "resolve"], ...] = ()


ActionKind = Literal["escalate", "jump", "path", "notify", "severity", "remind"]
OWNER = "owner"  # `{remind: owner}`: whoever owns the case when the reminder fires


@frozen
class Action(Value):
    """A trigger's `then`: one move or one notification (`notify`, or `remind` the owner or
    some contacts)."""

    kind: ActionKind
    target: str | None = None
    contacts: tuple[str, ...] = ()

    @property
    def only_tells(self) -> bool:
        """Whether the action tells people and moves nothing."""
        return self.kind in ("notify", "remind")


def parse_action(value: Any) -> Action:
    """Read `escalate`, `{jump: L3}`, `{path: legal}`, `{notify: [a, b]}`, `{severity: sev1}`,
    `{remind: owner}` or `{remind: [a, b]}`."""
    if value == "escalate":
        return Action("escalate")
    if not isinstance(value, dict) or len(value) != 1:
        raise ValueError(
            "expected escalate, {jump: LEVEL}, {path: NAME}, {notify: [CONTACTS]},"
            " {severity: ID} or {remind: owner}"
        )
    ((kind, target),) = value.items()
    if kind == "notify":
        return Action("notify", contacts=_one_or_many(target))
    if kind == "remind":
        if target == OWNER:
            return Action("remind", target=OWNER)
        return Action("remind", contacts=_one_or_many(target))
    if kind in ("jump", "path", "severity"):
        if not isinstance(target, str) or not target:
            raise ValueError(f"{kind}: expected a name")
        return Action(kind, target=target)
    raise ValueError(
        f'unknown action "{kind}" (use escalate, jump, path, notify, severity or remind)'
    )


class _ActionSpec(_ParsedBy):
    parser = staticmethod(parse_action)


@frozen
class Trigger(Value):
    """An extra escalation rule checked by `next` and `sweep`."""

    __pydantic_config__ = FORBID_EXTRA
    id: str
    when: Conditions
    then: Annotated[Action, _ActionSpec]
    # Fire again each time the conditions newly hold: every `silent_for` without an update,
    # every `at_level_for` at the level, ... (timing rule 10 keeps the others to one firing).
    repeat: bool = False


ChannelKind = Literal["email", "webhook", "command"]
SmtpSecurity = Literal["starttls", "tls", "none"]


@frozen
class Channel(Value):
    """Where notifications go: an SMTP server, a webhook URL or a local command.

    One class for the three kinds keeps every key's line in the messages; `core.matrix_channels`
    says which keys each kind needs and allows. Secrets are named environment variables.
    """

    __pydantic_config__ = FORBID_EXTRA
    kind: ChannelKind
    host: str | None = None
    port: int | None = None
    security: SmtpSecurity = "starttls"
    from_: str | None = None  # written `from` in YAML
    username_env: str | None = None
    password_env: str | None = None
    url: str | None = None
    url_env: str | None = None
    secret_env: str | None = None
    command: tuple[str, ...] = ()
    timeout: Duration | None = None


def _commands(value: Any) -> tuple[tuple[str, ...], ...]:
    """A hook: one argument list (`[prog, arg]`) or several (`[[prog, arg], [prog2]]`)."""
    if isinstance(value, list | tuple) and value and all(isinstance(x, list) for x in value):
        return tuple(_argv(item) for item in value)
    return (_argv(value),)


def _argv(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        raise ValueError("expected an argument list such as [./hooks/post.py, --quiet] (no shell)")
    if not isinstance(value, list | tuple) or not value:
        raise ValueError("expected a non-empty argument list")
    if not all(isinstance(item, str) for item in value) or not value[0].strip():
        raise ValueError("expected a list of strings, starting with the program")
    return tuple(value)


class _CommandsSpec(_ParsedBy):
    parser = staticmethod(_commands)


Commands = Annotated[tuple[tuple[str, ...], ...], _CommandsSpec]


@frozen
class Hooks(Value):
    """Commands run after a change is saved, with the case JSON on stdin (Taskwarrior's hooks)."""

    __pydantic_config__ = FORBID_EXTRA
    timeout: Duration | None = None
    on_open: Commands = ()
    on_escalate: Commands = ()
    on_acknowledge: Commands = ()
    on_update: Commands = ()
    on_hold: Commands = ()
    on_resume: Commands = ()
    on_resolve: Commands = ()
    on_close: Commands = ()
    on_reopen: Commands = ()
    on_breach: Commands = ()
    on_step: Commands = ()
    on_change: Commands = ()

    @property
    def configured(self) -> bool:
        return any(getattr(self, name) for name in self.__dataclass_fields__ if name[:3] == "on_")


Audience = Literal["owner", "participants", "level", "customer", "added"]
Audiences = tuple[Audience, ...]
# Who hears of each event by default (docs/notifications.md). `severity_changed` always tells the
# raised severity's `notify` (timing rule 11); its audiences here come on top. `update --audience
# customer` goes to `customer` alone.
DEFAULT_AUDIENCES: dict[str, Audiences] = {
    "update": ("owner", "participants", "level"),
    "resolve": ("owner", "participants"),
    "reopen": ("owner", "participants"),
    "close": (),
    "owner_changed": ("owner", "participants"),
    "convene": ("added",),
    "severity_changed": (),
}


@frozen
class NotifyOn(Value):
    """Who hears of each event (`notify_on`); an event left out keeps its default audiences."""

    __pydantic_config__ = FORBID_EXTRA
    update: Audiences | None = None
    resolve: Audiences | None = None
    reopen: Audiences | None = None
    close: Audiences | None = None
    owner_changed: Audiences | None = None
    convene: Audiences | None = None
    severity_changed: Audiences | None = None

    def audiences(self, event: str) -> Audiences:
        given: Audiences | None = getattr(self, event)
        return DEFAULT_AUDIENCES[event] if given is None else given


@frozen
class Matrix(Value):
    """A validated escalation matrix, plus the look-ups every command needs."""

    __pydantic_config__ = FORBID_EXTRA
    levels: tuple[Level, ...]
    version: Literal[1] = 1
    name: str | None = None
    case_prefix: str = "ESC"
    timezone: Zone = field(default_factory=lambda: ZoneInfo("UTC"))
    contacts: tuple[Contact, ...] = ()
    rotations: tuple[Rotation, ...] = ()
    paths: dict[str, Path] = field(default_factory=dict)
    severities: tuple[Severity, ...] = ()
    default_severity: str | None = None
    tiers: tuple[str, ...] = ()  # the customer tiers; none declared means any tier goes
    skip_unavailable: bool = False
    triggers: tuple[Trigger, ...] = ()
    channels: dict[str, Channel] = field(default_factory=dict)
    notify_via: tuple[str, ...] = ()
    hooks: Hooks = field(default_factory=Hooks)
    calendars: dict[str, Calendar] = field(default_factory=dict)
    notify_on: NotifyOn = field(default_factory=NotifyOn)
    # `follow`: each escalation hands the case to the new level's primary, as `up --transfer`.
    ownership: Literal["keep", "follow"] = "keep"

    def channels_of(self, contact_id: str) -> tuple[str, ...]:
        """The channels a contact is told through: their own `notify_via`, else the matrix's."""
        contact = self.contacts_by_id.get(contact_id)
        if contact is not None and contact.notify_via is not None:
            return contact.notify_via
        return self.notify_via

    @cached_property
    def contacts_by_id(self) -> dict[str, Contact]:
        return {contact.id: contact for contact in self.contacts}

    @cached_property
    def rotations_by_id(self) -> dict[str, Rotation]:
        return {rotation.id: rotation for rotation in self.rotations}

    @cached_property
    def levels_by_id(self) -> dict[str, Level]:
        return {level.id: level for level in self.levels}

    @cached_property
    def level_rank(self) -> dict[str, int]:
        """Position of each level from the bottom (0) to the top."""
        return {level.id: rank for rank, level in enumerate(self.levels)}

    @cached_property
    def severities_by_id(self) -> dict[str, Severity]:
        return {severity.id: severity for severity in self.severities}

    @cached_property
    def all_paths(self) -> dict[str, Path]:
        """The declared paths, plus a `default` path over every level when none is declared."""
        paths = dict(self.paths)
        paths.setdefault(DEFAULT_PATH, Path(levels=tuple(level.id for level in self.levels)))
        return paths

    @cached_property
    def digest(self) -> str:
        """Two checksums of the matrix as loaded (its repr holds every field), by which
        `engine.wake.matrix_key` names the rules a wake was worked out under. The cache keeps
        it with the matrix, so that a command reading the cache never works it out (~0.5 ms)."""
        text = repr(self).encode("utf-8", "surrogatepass")
        return f"{zlib.crc32(text):08x}{zlib.adler32(text):08x}"

    def tier_named(self, name: str) -> str | None:
        """The declared tier `name` means, spelled as the matrix spells it (case-insensitive)."""
        wanted = name.strip().casefold()
        return next((tier for tier in self.tiers if tier.casefold() == wanted), None)

    @property
    def default_severity_id(self) -> str | None:
        """The declared default, else the least severe severity, else none."""
        if self.default_severity:
            return self.default_severity
        return self.severities[-1].id if self.severities else None
