"""Privacy-preserving record linkage: identifiers encoded on the partner's machine with a secret
the hub never holds; the hub links on the encodings only.

A partner runs ``partnerhub encode`` on its extract. Identifiers are first standardised by the
same code the hub uses in standard mode (:func:`.prepare.standardise`: upper case, placeholders
dropped, nickname aliases, Metaphone), then each feature is encoded with keys derived from the
shared secret:

* **tokens** — keyed HMAC-SHA256 (truncated to 64 bits) of the exact value: NHS number, each
  name, each alias, Metaphone codes, date of birth, date of birth with day and month swapped,
  year of birth, sex, postcode unit, sector and district. Equal values give equal tokens, so
  exact agreement, term frequencies, blocking and the deterministic NHS-number rule work as
  before.
* **Bloom filters** (Schnell, Bachteler & Reiher 2009) — field-level, 1,024 bits, for the
  approximate levels: given and family name (padded bigrams) and date of birth (digits tagged
  with their position). Each q-gram sets *k* bits chosen by a keyed BLAKE2b of the q-gram
  ("random hashing", as clkhash's ``blakeHash``), not by double hashing, whose linear structure
  the pattern-mining attacks of Kroll & Steinmetzer (2015) exploit. Similarity is the Dice
  coefficient of two filters, computed by the hub in SQL on bit strings.

Every feature has its own key (a token of "SMITH" as a family name differs from one as a
forename, and its filter bits differ too). The hub sees tokens and filters, never values. See
``docs/pprl.md`` for the known attacks on these encodings and what PartnerHub does about each.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pandas as pd

from partnerhub.errors import UserError
from partnerhub.identity.prepare import Prepared, standardise, with_variant_ids
from partnerhub.schema.tables import ENCODED_FILTERS, ENCODED_TOKENS

__all__ = [
    "BLOOM_BITS",
    "ENCODED_COLUMNS",
    "ENCODING_VERSION",
    "EncodingSecret",
    "bloom_filter",
    "dice",
    "encode_identifiers",
    "load_secret",
    "prepare_encoded",
]

ENCODING_VERSION = "pprl-v1"
BLOOM_BITS = 1024
_K = {"given_name": 24, "family_name": 24, "dob": 20}  # bits set per q-gram
# The columns of an encoded extract that carry identity (all text; filters as hex).
ENCODED_COLUMNS: tuple[str, ...] = (
    "pprl_version",
    *ENCODED_TOKENS,
    "given_aliases",
    *ENCODED_FILTERS,
)
MIN_SECRET_BYTES = 32


class EncodingSecret:
    """The partnership's shared encoding secret (at least 32 bytes, never sent to the hub)."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise UserError(
                f"the encoding secret has {len(secret)} bytes; use at least {MIN_SECRET_BYTES} "
                "random bytes (e.g. `head -c 32 /dev/urandom > pprl.secret`)"
            )
        self._secret = secret

    def key(self, purpose: str) -> bytes:
        """A key for one feature, derived from the secret (HMAC-SHA256 as a KDF)."""
        label = f"partnerhub/{ENCODING_VERSION}/{purpose}".encode()
        return hmac.new(self._secret, label, hashlib.sha256).digest()

    def __repr__(self) -> str:  # never print the secret
        return "EncodingSecret(<hidden>)"


def load_secret(path: Path) -> EncodingSecret:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot read the encoding secret ({exc.strerror})") from None
    return EncodingSecret(data.strip())


def _token(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:16]


def _grams(feature: str, value: str) -> list[str]:
    if feature == "dob":  # YYYY-MM-DD → position-tagged digits: one wrong digit costs one gram
        digits = value.replace("-", "")
        return [f"{i}{d}" for i, d in enumerate(digits)]
    padded = f"_{value}_"
    return [padded[i : i + 2] for i in range(len(padded) - 1)]


def bloom_filter(key: bytes, feature: str, value: str) -> str:
    """A field-level Bloom filter of ``value`` as 256 hex digits (1,024 bits)."""
    k = _K[feature]
    bits = bytearray(BLOOM_BITS // 8)
    for gram in set(_grams(feature, value)):
        digest = hashlib.blake2b(gram.encode(), key=key, digest_size=2 * k).digest()
        for j in range(0, 2 * k, 2):
            pos = ((digest[j] << 8) | digest[j + 1]) % BLOOM_BITS
            bits[pos >> 3] |= 0x80 >> (pos & 7)  # bit 0 is the leftmost, as in a bit string
    return bits.hex()


def dice(a: str, b: str) -> float:
    """Dice coefficient of two hex-encoded filters (the hub computes it in SQL; for tests)."""
    x, y = int(a, 16), int(b, 16)
    total = x.bit_count() + y.bit_count()
    return 2 * (x & y).bit_count() / total if total else 0.0


def encode_identifiers(
    source: pd.DataFrame, secret: EncodingSecret
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Encodings of each row of ``source`` (identifier columns of ``source_record``), row for
    row: the :data:`ENCODED_COLUMNS`. Warnings are those of standardisation."""
    frame, warnings = standardise(source)
    dob = frame["dob"]
    frame["dob_swapped"] = dob.str[:5] + dob.str[8:10] + "-" + dob.str[5:7]
    out = pd.DataFrame(index=frame.index)
    out["pprl_version"] = ENCODING_VERSION
    for feature in ENCODED_TOKENS:
        key = secret.key(feature if feature != "dob_swapped" else "dob")
        out[feature] = _each(frame[feature], partial(_token, key))
    alias_key = secret.key("given_name")  # an alias is compared with names: same key
    out["given_aliases"] = [
        " ".join(sorted(_token(alias_key, a) for a in v)) if isinstance(v, list) else None
        for v in frame["given_aliases"]
    ]
    for feature, column in zip(("given_name", "family_name", "dob"), ENCODED_FILTERS, strict=True):
        key = secret.key(f"{feature}/bloom")
        out[column] = _each(frame[feature], partial(bloom_filter, key, feature))
    return out, warnings


def _each(values: pd.Series, encode: Callable[[str], str]) -> list[str | None]:
    """``encode`` each distinct non-empty text once (names and dates repeat a lot)."""
    done: dict[str, str] = {}
    out: list[str | None] = []
    for v in values:
        if isinstance(v, str) and v:
            if v not in done:
                done[v] = encode(v)
            out.append(done[v])
        else:
            out.append(None)
    return out


def prepare_encoded(encoded: pd.DataFrame) -> Prepared:
    """The hub's side: ``encoded_record`` rows → records to link, one per distinct variant."""
    versions = set(encoded["pprl_version"].dropna())
    if versions - {ENCODING_VERSION}:
        raise UserError(
            f"encoded records of version(s) {', '.join(sorted(versions))}: this hub links "
            f"{ENCODING_VERSION} — ask the partners to re-encode with this release"
        )
    columns = ["partner", "record_key", *ENCODED_COLUMNS[1:]]
    return Prepared(with_variant_ids(encoded[columns]))
