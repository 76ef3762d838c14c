"""Telling people: the outbox, channels, message templates, hooks and the programs they run."""
