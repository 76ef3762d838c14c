"""`list` for people (cli/list_view.py): relative times, one line per case fitted to the width,
the title cut last, case text never driving the terminal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from escalate_cli.cli.list_view import lines, relative

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday


def test_relative_times() -> None:
    assert relative(NOW + timedelta(seconds=20), NOW) == "now"
    assert relative(NOW + timedelta(minutes=14), NOW) == "in 14m"
    assert relative(NOW - timedelta(hours=3, minutes=59), NOW) == "3h ago"
    assert relative(NOW + timedelta(days=1, hours=4, minutes=45), NOW) == "Tue 14:45"  # TZ=UTC
    assert relative(NOW - timedelta(days=30), NOW) == "2026-10-24"


def test_a_past_time_within_a_week_reads_as_past() -> None:
    # "Mon 12:10" for an overdue case seen on a Wednesday read as a time still to come.
    assert relative(NOW - timedelta(days=1, minutes=1), NOW) == "1d ago"
    assert relative(NOW - timedelta(days=6, hours=23), NOW) == "6d ago"
    assert relative(NOW - timedelta(days=7), NOW) == "2026-11-16"


def case(number: int, title: str) -> dict[str, object]:
    return {
        "number": number,
        "id": f"ESC-{number}",
        "status": "acknowledged",
        "severity": "sev1",
        "level": "L2",
        "owner": "sam",
        "created_at": "2026-11-23T09:00:00Z",
        "title": title,
        "type": "default",
    }


def test_each_line_fits_the_width_and_the_title_is_cut_last() -> None:
    long = "Checkout fails for every customer in the European Union since the deploy"
    shown = lines(
        [case(1, long), case(2, "Short")], {}, NOW, wide=False, teams=False, width=60, colour=False
    )
    assert all(len(line) <= 60 for line in shown)
    assert shown[1].startswith("ESC-1  ack     sev1  L2     sam    -    1h ago  Checkout")
    assert shown[1].endswith("…") and shown[2].endswith("Short")
    whole = lines([case(1, long)], {}, NOW, wide=False, teams=False, width=None, colour=False)
    assert whole[1].endswith(long)


def test_a_narrow_terminal_drops_the_opened_column_before_the_title() -> None:
    busy = dict(case(1, "Checkout fails for EU customers"), owner="frontline", level="L2-EMEA")
    narrow = lines([busy], {}, NOW, wide=False, teams=False, width=60, colour=False)
    assert narrow[0].split()[-2:] == ["due", "title"]  # no `opened`
    assert "Checkout fail…" in narrow[1] and all(len(line) <= 60 for line in narrow)
    painted = lines([busy], {}, NOW, wide=False, teams=False, width=60, colour=True)
    assert "opened" not in painted[0] and "Checkout fail…" in painted[1]
    roomy = lines([busy], {}, NOW, wide=False, teams=False, width=100, colour=False)
    assert roomy[0].split()[-2:] == ["opened", "title"] and roomy[1].endswith("EU customers")


def test_case_text_cannot_drive_the_terminal() -> None:
    shown = lines(
        [case(1, "evil\x1b[2J\nline")], {}, NOW, wide=True, teams=False, width=None, colour=True
    )
    assert "\x1b[2J" not in "\n".join(shown) and "\\x1b[2J line" in shown[1]
