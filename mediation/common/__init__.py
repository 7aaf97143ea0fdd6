"""Shared helpers every area uses: the clock, paging, domain errors, personal data, scope."""
