"""A hook (and command channel) for the tests: append what it was given to a file, then exit.

    hook_script.py OUT [EXIT_CODE]

Appends one JSON line to OUT: the hook and case from the environment, its arguments and its
stdin (which must be one JSON document). Exits with EXIT_CODE (default 0); a non-zero code
also writes a line to stderr, as a failing hook would.
"""

from __future__ import annotations

import json
import os
import sys


def main() -> None:
    out, code = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 0
    received = json.loads(sys.stdin.read())
    record = {
        "hook": os.environ.get("ESCALATE_HOOK"),
        "case": os.environ.get("ESCALATE_CASE"),
        "event_id": os.environ.get("ESCALATE_EVENT_ID"),
        "argv": sys.argv[1:],
        "stdin": received,
    }
    with open(out, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")
    if code:
        print(f"refusing on purpose with {code}", file=sys.stderr)
    sys.exit(code)


if __name__ == "__main__":
    main()
