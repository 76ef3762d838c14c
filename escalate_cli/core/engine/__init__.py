"""Availability, timers, and which level is next and when: pure functions of a matrix, a case
and an instant."""
