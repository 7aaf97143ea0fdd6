"""Which data keys this process uses: `DATA_KEYS` from the environment, else `instance/data_keys`.

`DATA_KEYS` is `id:base64,id:base64` (the first encrypts, every one decrypts); a multi-host
deployment sets it on every host. Without it, the first process of an install generates a key
into `instance/data_keys` (mode 0600) and every process of the install reads it; `flask keys
rotate` prepends a new key there, and the other processes notice the changed file within
`RELOAD_SECONDS` (and at once when they meet a value under a key they do not know yet).
"""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Optional

from flask import current_app

from mediation.infra import instance
from mediation.models import crypto

RELOAD_SECONDS = 2.0
FILE_NAME = "data_keys"


class RingSource:
    """Loads the key ring once and keeps it; from a file, reloads it when the file changes."""

    def __init__(self, spelled: Optional[str], instance_path: str) -> None:
        self.spelled = spelled or None
        self.path = Path(instance_path) / FILE_NAME
        self._ring: Optional[crypto.KeyRing] = None
        self._mtime = 0.0
        self._checked = 0.0
        self._lock = threading.Lock()

    @property
    def from_environment(self) -> bool:
        return self.spelled is not None

    def __call__(self) -> crypto.KeyRing:
        ring = self._ring
        if ring is not None and (self.from_environment or time.monotonic() - self._checked < RELOAD_SECONDS):
            return ring
        with self._lock:
            return self._load()

    def reload(self) -> crypto.KeyRing:
        with self._lock:
            self._ring = None
            return self._load()

    def _load(self) -> crypto.KeyRing:
        if self.from_environment:
            if self._ring is None:
                self._ring = crypto.KeyRing.parse(self.spelled, "DATA_KEYS")
            return self._ring
        self._checked = time.monotonic()
        if self._ring is not None and self.path.stat().st_mtime == self._mtime:
            return self._ring
        text = instance.read_or_create(self.path, lambda: crypto.KeyRing([crypto.new_key()]).spelled())
        self._mtime = self.path.stat().st_mtime
        self._ring = crypto.KeyRing.parse(text, str(self.path))
        return self._ring

    def save(self, ring: crypto.KeyRing) -> None:
        """Writes the ring to instance/data_keys (only for an install without DATA_KEYS)."""
        if self.from_environment:
            raise crypto.DataKeyError("the keys come from DATA_KEYS: change the environment instead")
        instance.write_private(self.path, ring.spelled())
        self.reload()


def source() -> RingSource:
    """The current app's key source."""
    try:
        return current_app.extensions["data_keys"]
    except (RuntimeError, KeyError):
        raise crypto.DataKeyError("no data key ring configured (create_app sets one up)") from None


class _AppProvider:
    """What `crypto.current()` asks: the ring of the app in whose context the code runs."""

    def __call__(self) -> crypto.KeyRing:
        return source()()

    def reload(self) -> crypto.KeyRing:
        return source().reload()


def init_app(app) -> None:
    """Uses DATA_KEYS, else instance/data_keys (read lazily: a process that never touches personal
    data never creates the file)."""
    app.extensions["data_keys"] = RingSource(app.config.get("DATA_KEYS"), app.instance_path)
    crypto.set_provider(_AppProvider())
