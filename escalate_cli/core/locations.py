"""Where the matrix and the store are, resolved at call time in the documented order."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

MATRIX_ENV = "ESCALATE_MATRIX"
STORE_ENV = "ESCALATE_STORE"
MATRIX_IN_CWD = "escalation.yaml"


def _path_or_url(value: str) -> Path | str:
    # The store's own test: config.py's would cost a command given its store by $ESCALATE_STORE
    # ~0.9 ms of imports (and tempfile, when nothing else imports it).
    from escalate_cli.core.store.store_base import is_url

    return value if is_url(value) else Path(value).expanduser()


def store_path(flag: str | None, environ: Mapping[str, str]) -> Path | str:
    """`--store`, then `$ESCALATE_STORE`, then the config's `store`, then the platform's user
    data dir: a path, or a PostgreSQL URL (`postgresql://...`), kept as it was given."""
    if flag:
        return _path_or_url(flag)
    if environ.get(STORE_ENV):
        return _path_or_url(environ[STORE_ENV])
    from escalate_cli.core.config import configured

    in_config = configured("store", environ)
    if in_config:
        return _path_or_url(in_config)
    from escalate_cli.core.user_dirs import user_dir

    return user_dir("data") / "cases.json"


def matrix_path(
    flag: str | None,
    environ: Mapping[str, str],
    cwd: Path,
    recorded: Callable[[], str | None],
) -> Path | None:
    """`--matrix`, then `$ESCALATE_MATRIX`, then the config's `matrix`, then what `init`
    recorded, then `./escalation.yaml`.

    The team's recorded matrix comes before the working folder's, so a file that happens to
    sit in the current folder never silently replaces it."""
    if flag:
        return Path(flag).expanduser()
    if environ.get(MATRIX_ENV):
        return Path(environ[MATRIX_ENV]).expanduser()
    from escalate_cli.core.config import configured

    in_config = configured("matrix", environ)
    if in_config:
        return Path(in_config).expanduser()
    remembered = recorded()
    if remembered:
        return Path(remembered)
    in_cwd = cwd / MATRIX_IN_CWD
    return in_cwd if in_cwd.exists() else None
