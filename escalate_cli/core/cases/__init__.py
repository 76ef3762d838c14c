"""The case document and everything done to it: lifecycle, the seven steps, escalation, and
the views built on them (`next`, `simulate`, `list`, `search`, `agenda`, the board)."""
