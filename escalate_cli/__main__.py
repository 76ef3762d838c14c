"""Entry point for `python -m escalate_cli`."""

from escalate_cli.cli import main

main()
