"""The escalation engine: matrix, timing, cases and store, with no terminal I/O."""
