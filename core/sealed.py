"""Data sealed for a round trip through the browser: encrypted and authenticated (AES-GCM with
a key derived from SECRET_KEY and the purpose), with its time of sealing.

Django's signing proves that data came back unchanged but lets anyone read it; what a donor
typed (an IBAN, say) travels to the next page and back sealed instead, so that it is readable
nowhere between the two: not in the page's source, a proxy, or a report of the request.
"""

import base64
import hashlib
import json
import os
import time

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

NONCE_BYTES = 12


def _key(purpose: str) -> bytes:
    return hashlib.sha256(f"core.sealed:{purpose}:{settings.SECRET_KEY}".encode()).digest()


def seal(data: dict, *, purpose: str) -> str:
    """`data` (JSON-able) sealed for `purpose`, as URL-safe text."""
    nonce = os.urandom(NONCE_BYTES)
    plain = json.dumps({"t": int(time.time()), "d": data}, separators=(",", ":")).encode()
    box = AESGCM(_key(purpose)).encrypt(nonce, plain, purpose.encode())
    return base64.urlsafe_b64encode(nonce + box).decode().rstrip("=")


def unseal(token: str, *, purpose: str, max_age: int) -> dict | None:
    """The data sealed in `token` for `purpose`, or None: not ours, altered, for another
    purpose, or sealed more than `max_age` seconds ago."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        plain = AESGCM(_key(purpose)).decrypt(
            raw[:NONCE_BYTES], raw[NONCE_BYTES:], purpose.encode()
        )
        sealed = json.loads(plain)
    except (ValueError, InvalidTag, TypeError):
        return None
    if not isinstance(sealed, dict) or not isinstance(sealed.get("t"), int):
        return None
    if not 0 <= time.time() - sealed["t"] <= max_age:
        return None
    return sealed.get("d")
