"""Data in and out of other tools: matrices to and from PagerDuty, Opsgenie and Terraform, and
cases from CSV or JSON lines."""
