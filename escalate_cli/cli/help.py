"""`escalate --help`: the commands in groups (loaded only when the root's help is shown)."""

from typing import Any

# `escalate --help` lists the commands under these headings, in this order; a command not
# named here is listed under "Other" (so a new command is never hidden).
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Cases", ("open", "list", "search", "show", "who", "edit", "assign", "take", "note")),
    (
        "The seven steps",
        ("acknowledge", "gather", "assess", "convene", "brainstorm", "implement", "learn"),
    ),
    ("Routing", ("next", "up", "down", "route", "sweep", "simulate", "hold", "resume")),
    ("Keeping people informed", ("update", "subscribe", "unsubscribe", "agenda", "oncall")),
    ("Closing", ("resolve", "close", "reopen")),
    ("Documents and metrics", ("brief", "report", "metrics", "watch")),
    ("Matrix", ("matrix",)),
    ("Store and set-up", ("init", "import", "store", "outbox", "config", "whoami", "demo")),
)


def format_commands(group: Any, ctx: Any, formatter: Any) -> None:
    """The root's command list, under GROUPS' headings."""
    names = group.list_commands(ctx)
    listed: set[str] = set()
    limit = formatter.width - 6 - max(len(name) for name in names)
    for title, members in (*GROUPS, ("Other", tuple(names))):
        rows = []
        for name in members:
            if name in names and name not in listed:
                listed.add(name)
                command = group.get_command(ctx, name)
                if command is not None and not command.hidden:
                    rows.append((name, command.get_short_help_str(limit)))
        if rows:
            with formatter.section(title):
                formatter.write_dl(rows)
