"""Documents made from cases: the brief, the report, and metrics over many cases."""
