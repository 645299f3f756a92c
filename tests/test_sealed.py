"""Data sealed for a round trip through the browser (core/sealed.py)."""

import base64
import time

from core.sealed import seal, unseal


def test_sealed_data_comes_back_and_cannot_be_read_on_the_way():
    token = seal({"iban": "NL91ABNA0417164300"}, purpose="p")
    assert unseal(token, purpose="p", max_age=60) == {"iban": "NL91ABNA0417164300"}
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert b"NL91" not in raw and b"iban" not in raw


def test_altered_other_purpose_or_stale_data_is_refused(monkeypatch):
    token = seal({"a": 1}, purpose="p")
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    assert unseal(flipped, purpose="p", max_age=60) is None
    assert unseal(token, purpose="q", max_age=60) is None
    assert unseal("not a token", purpose="p", max_age=60) is None
    assert unseal("", purpose="p", max_age=60) is None
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    assert unseal(token, purpose="p", max_age=60) is None
