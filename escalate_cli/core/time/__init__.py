"""Durations, instants, business hours and the clock: the ground floor every other part uses."""
