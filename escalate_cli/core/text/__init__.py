"""Wording and terminal-safe text shared by messages, documents and output."""
