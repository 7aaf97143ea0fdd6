"""The password policy: one rule for the API, the web and the command line (docs/security.md, "Accounts").

At least PASSWORD_MIN_LENGTH (10) characters and at most 256; not only spaces or one repeated
character; not the username (in any case) nor containing it; and not one of the 30,000 most common
passwords of the list that ships with the `zxcvbn` package (Dropbox's password strength estimator),
compared without regard to case.
"""
from __future__ import annotations

from functools import cache
from typing import Any, Optional

from flask import current_app

MAX_LENGTH = 256


@cache
def common_passwords() -> frozenset[str]:
    """The common-password list of `zxcvbn` (read once per process, on first use)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(word.casefold() for word in FREQUENCY_LISTS["passwords"])


def password_problems(password: Any, username: Optional[str] = None) -> list[str]:
    """What is wrong with `password` for the user `username`, in plain words (empty when it is fine)."""
    if not isinstance(password, str):
        return ["must be text"]
    minimum = int(current_app.config.get("PASSWORD_MIN_LENGTH", 10))
    problems = []
    if len(password) < minimum:
        problems.append(f"must be at least {minimum} characters")
    if len(password) > MAX_LENGTH:
        problems.append(f"must be at most {MAX_LENGTH} characters")
    if not password.strip():
        problems.append("must not be only spaces")
    elif len(set(password)) == 1:
        problems.append("must not be one character repeated")
    folded = password.casefold()
    if isinstance(username, str) and len(username) >= 2 and username.casefold() in folded:
        problems.append("must not be or contain the username")
    if folded in common_passwords() or folded.strip() in common_passwords():
        problems.append("is one of the most common passwords; choose another")
    return problems
