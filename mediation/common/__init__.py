"""Shared helpers every area uses: the clock, paging, domain errors, personal data, scope, and the
names of codes (names.py)."""
