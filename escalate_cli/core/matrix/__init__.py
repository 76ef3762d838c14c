"""The escalation matrix: YAML to a validated model, its cache, lint, coverage and diff."""
