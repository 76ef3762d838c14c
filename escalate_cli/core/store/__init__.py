"""The Store protocol and its JSON-file and PostgreSQL implementations."""
