"""Personal data at rest (静态加密): authenticated encryption and a keyed blind index.

A key ring holds one or more 32-byte master keys, each with a short id; the first is the active
one. From each master key two independent keys are derived (HKDF-SHA256, distinct labels): one
for AES-256-GCM, one for HMAC-SHA256. A stored value reads `<key id>:<base64url(nonce ‖ ciphertext
‖ tag)>`, its column's name bound in as associated data (a value copied into another column does
not decrypt). The blind index of a value is the HMAC of its normalised form under the index key of
the active master, truncated to 128 bits; a search computes it under every key of the ring, so a
person is still found while a rotation (`flask keys rotate`) is re-encrypting and re-indexing.

Pure code: no Flask, no database. Which ring is in force is set once per process
(`mediation.infra.keys`).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12
INDEX_HEX = 32  # 128 bits of the HMAC: collisions stay out of reach, the index stays small


class DataKeyError(Exception):
    """A key ring that cannot be used (bad format, unknown key id, a value that fails to decrypt)."""


def _derive(master: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"mediation/" + label).derive(master)


@dataclass(frozen=True)
class DataKey:
    key_id: str
    master: bytes = field(repr=False)
    aead: AESGCM = field(init=False, repr=False, compare=False)
    index_key: bytes = field(init=False, repr=False, compare=False)
    index_mac: Any = field(init=False, repr=False, compare=False)  # keyed once; copied per value

    def __post_init__(self) -> None:
        if len(self.master) != 32:
            raise DataKeyError(f"data key {self.key_id}: must be 32 bytes")
        if not self.key_id or not self.key_id.isalnum():
            raise DataKeyError(f"data key id {self.key_id!r}: letters and digits only")
        object.__setattr__(self, "aead", AESGCM(_derive(self.master, b"encryption")))
        object.__setattr__(self, "index_key", _derive(self.master, b"blind-index"))
        object.__setattr__(self, "index_mac", hmac.new(self.index_key, digestmod=hashlib.sha256))

    def spelled(self) -> str:
        """`id:base64` — how the key is written in DATA_KEYS and in instance/data_keys."""
        return f"{self.key_id}:{base64.urlsafe_b64encode(self.master).decode()}"


def new_key() -> DataKey:
    """A fresh random master key with a random id."""
    return DataKey(secrets.token_hex(4), os.urandom(32))


def parse_key(text: str) -> DataKey:
    key_id, sep, encoded = text.strip().partition(":")
    if not sep:
        raise DataKeyError("a data key is written id:base64 (flask --app wsgi keys generate prints one)")
    try:
        master = base64.urlsafe_b64decode(encoded.strip() + "=" * (-len(encoded.strip()) % 4))
    except ValueError:
        raise DataKeyError(f"data key {key_id}: not base64") from None
    return DataKey(key_id.strip(), master)


class KeyRing:
    """The master keys in force, the active one first."""

    def __init__(self, keys: list[DataKey], source: str = "") -> None:
        if not keys:
            raise DataKeyError("a key ring needs at least one key")
        ids = [k.key_id for k in keys]
        if len(set(ids)) != len(ids):
            raise DataKeyError("two data keys share an id")
        self.keys = list(keys)
        self.by_id = {k.key_id: k for k in keys}
        self.source = source

    @classmethod
    def parse(cls, text: str, source: str = "") -> KeyRing:
        """`id:base64,id:base64` or one per line; the first is active."""
        parts = [p for p in text.replace("\n", ",").split(",") if p.strip()]
        return cls([parse_key(p) for p in parts], source)

    def spelled(self) -> str:
        return "\n".join(k.spelled() for k in self.keys) + "\n"

    @property
    def active(self) -> DataKey:
        return self.keys[0]

    # -- encryption -----------------------------------------------------------------------------
    def encrypt(self, plaintext: str, context: str) -> str:
        key = self.active
        nonce = os.urandom(NONCE_BYTES)
        sealed = key.aead.encrypt(nonce, plaintext.encode("utf-8"), context.encode())
        return f"{key.key_id}:{base64.urlsafe_b64encode(nonce + sealed).decode().rstrip('=')}"

    def decrypt(self, stored: str, context: str) -> str:
        key_id, sep, encoded = stored.partition(":")
        key = self.by_id.get(key_id) if sep else None
        if key is None:
            raise DataKeyError(f"no data key {key_id!r} in the key ring (is DATA_KEYS complete?)")
        try:
            raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            return key.aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode()).decode("utf-8")
        except (InvalidTag, ValueError):
            raise DataKeyError(f"a value under key {key_id} failed authentication ({context})") from None

    @staticmethod
    def key_id_of(stored: str) -> str:
        return stored.partition(":")[0]

    # -- blind index ----------------------------------------------------------------------------
    def blind_index(self, normalised: str, kind: str, key: DataKey | None = None) -> str:
        """HMAC-SHA256 (128 bits, hex) of `kind:value` under the active (or the given) key."""
        mac = (key or self.active).index_mac.copy()
        mac.update(f"{kind}:{normalised}".encode())
        return mac.hexdigest()[:INDEX_HEX]

    def blind_indexes(self, normalised: str, kind: str) -> list[str]:
        """The index of the value under every key of the ring (what a search looks for)."""
        return [self.blind_index(normalised, kind, key) for key in self.keys]


# -- the ring in force in this process (set by mediation.infra.keys at start-up) --------------------
_provider = None


def set_provider(provider) -> None:
    """`provider()` returns the KeyRing in force; called on every use (it may reload a changed file)."""
    global _provider
    _provider = provider


def current() -> KeyRing:
    if _provider is None:
        raise DataKeyError("no data key ring configured (create_app sets one up)")
    return _provider()


def seal(plaintext: str | None, context: str) -> str | None:
    """Encrypts under the ring in force (None stays None)."""
    return None if plaintext is None else current().encrypt(plaintext, context)


def unseal(stored: str | None, context: str) -> str | None:
    """Decrypts under the ring in force; a key id it does not know yet makes it reload the ring once
    (another process rotated the keys)."""
    if stored is None:
        return None
    ring = current()
    if KeyRing.key_id_of(stored) not in ring.by_id and hasattr(_provider, "reload"):
        ring = _provider.reload()
    return ring.decrypt(stored, context)
