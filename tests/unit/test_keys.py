"""The pseudonymisation key: where it comes from, what it makes, what it never shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from partnerhub.config import load_partnership, write_example
from partnerhub.errors import ConfigError
from partnerhub.keys import PseudonymisationKey, load_key

KEY = "ab" * 32


def settings(tmp_path: Path) -> object:
    return load_partnership(write_example(tmp_path / "partnership.toml"))


def test_record_keys_are_stable_keyed_and_partner_specific() -> None:
    k1 = PseudonymisationKey(bytes.fromhex(KEY), "test")
    k2 = PseudonymisationKey(bytes.fromhex("cd" * 32), "test")
    a = k1.record_key("acute", "RX1001")
    assert a == k1.record_key("acute", "RX1001") and len(a) == 64
    assert a != k2.record_key("acute", "RX1001")  # another key, another pseudonym
    assert a != k1.record_key("asc", "RX1001")  # the same local id at another partner
    assert k1.record_keys("acute", ["RX1001", "X"]) == [a, k1.record_key("acute", "X")]
    assert KEY not in repr(k1) and "ab" * 4 not in repr(k1)


def test_key_from_env_wins_then_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = settings(tmp_path)
    monkeypatch.delenv("PARTNERHUB_PSEUDONYMISATION_KEY", raising=False)
    with pytest.raises(ConfigError, match="key file not found — create it"):
        load_key(s)  # type: ignore[arg-type]
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "pseudonymisation.key").write_text(KEY + "\n")
    assert load_key(s).source.endswith("pseudonymisation.key")  # type: ignore[arg-type]
    monkeypatch.setenv("PARTNERHUB_PSEUDONYMISATION_KEY", "cd" * 32)
    assert load_key(s).source == "environment variable PARTNERHUB_PSEUDONYMISATION_KEY"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "message"), [("abcd", "needs at least 32"), ("zz" * 32, "not hexadecimal")]
)
def test_bad_keys_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str, message: str
) -> None:
    monkeypatch.setenv("PARTNERHUB_PSEUDONYMISATION_KEY", value)
    with pytest.raises(ConfigError, match=message):
        load_key(settings(tmp_path))  # type: ignore[arg-type]
