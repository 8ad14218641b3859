"""How each partner records a person: local ids, duplicates, stale addresses and identifier noise.

Every partner keeps its own record of a person under its own local id, and gets things wrong in
its own way: the police rarely hold an NHS number, a voluntary group never does; hospital clerks
key dates of birth the American way now and then; the council keeps an old address for months
after a move; some people are registered twice. :data:`NOISE_PROFILES` states the rates per
partner, and every change applied to a record is kept as ground truth, so tests can check the
rates and linkage can be scored.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from partnerhub.synth import noise
from partnerhub.synth.world import World

__all__ = ["NOISE_PROFILES", "NoiseProfile", "SourceRecords", "make_source_records"]


@dataclass(frozen=True)
class NoiseProfile:
    """Rates (shares of a partner's records) of each kind of identifier noise."""

    local_id_prefix: str
    nhs_missing: float
    nhs_error: float = 0.002
    given_typo: float = 0.02
    family_typo: float = 0.02
    nickname: float = 0.03
    dob_swap: float = 0.005
    dob_error: float = 0.004
    dob_missing: float = 0.0
    surname_change: float = 0.01
    stale_address: float = 0.05
    postcode_missing: float = 0.01
    postcode_error: float = 0.01
    format_variation: float = 0.05
    duplicate: float = 0.01


NOISE_PROFILES: dict[str, NoiseProfile] = {
    "gp": NoiseProfile(
        "G",
        nhs_missing=0.0,
        nhs_error=0.0005,
        nickname=0.005,
        dob_swap=0.001,
        stale_address=0.02,
        duplicate=0.004,
        given_typo=0.01,
        family_typo=0.01,
    ),
    "acute": NoiseProfile("RX", nhs_missing=0.02, dob_swap=0.01, nickname=0.02, duplicate=0.02),
    "asc": NoiseProfile("AS", nhs_missing=0.08, nickname=0.04, duplicate=0.02, stale_address=0.04),
    "registrar": NoiseProfile(
        "RG",
        nhs_missing=0.25,
        nickname=0.0,
        given_typo=0.005,
        family_typo=0.005,
        stale_address=0.01,
        duplicate=0.0,
    ),
    "police": NoiseProfile(
        "PN",
        nhs_missing=0.97,
        nickname=0.08,
        given_typo=0.04,
        family_typo=0.04,
        dob_swap=0.015,
        dob_error=0.01,
        dob_missing=0.05,
        stale_address=0.12,
        duplicate=0.04,
        postcode_missing=0.06,
    ),
    "housing": NoiseProfile(
        "H",
        nhs_missing=0.75,
        nickname=0.05,
        stale_address=0.08,
        duplicate=0.03,
        postcode_error=0.02,
    ),
    "revenues": NoiseProfile(
        "CT", nhs_missing=1.0, nickname=0.06, dob_missing=0.2, stale_address=0.03, duplicate=0.015
    ),
    "education": NoiseProfile(
        "UPN",
        nhs_missing=0.9,
        nickname=0.02,
        given_typo=0.01,
        family_typo=0.01,
        dob_swap=0.002,
        duplicate=0.005,
    ),
    "fire": NoiseProfile(
        "F",
        nhs_missing=1.0,
        nickname=0.07,
        dob_missing=0.3,
        stale_address=0.02,
        duplicate=0.01,
        given_typo=0.03,
        family_typo=0.03,
    ),
    "voluntary": NoiseProfile(
        "V",
        nhs_missing=1.0,
        nickname=0.15,
        given_typo=0.05,
        family_typo=0.05,
        dob_swap=0.01,
        dob_missing=0.25,
        dob_error=0.02,
        postcode_missing=0.1,
        stale_address=0.1,
        duplicate=0.05,
        format_variation=0.15,
    ),
}

_FLAGS = (
    "nhs_missing",
    "nhs_error",
    "given_typo",
    "family_typo",
    "nickname",
    "dob_swap",
    "dob_error",
    "dob_missing",
    "surname_change",
    "stale_address",
    "postcode_missing",
    "postcode_error",
    "format_variation",
    "duplicate",
)


@dataclass(frozen=True)
class SourceRecords:
    """A partner's person records (identifiers as the partner holds them) and their truth."""

    partner: str
    records: pd.DataFrame  # local_id, person_id, identifier columns as recorded
    truth: pd.DataFrame  # local_id, person_id and one boolean column per kind of noise

    def local_ids_for(self, person_ids: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A local id for each fact about ``person_ids``; duplicates share a person's facts."""
        recs = self.records[["person_id", "local_id"]]
        first = recs.drop_duplicates("person_id", keep="first").set_index("person_id")["local_id"]
        last = recs.drop_duplicates("person_id", keep="last").set_index("person_id")["local_id"]
        pid = pd.Index(np.asarray(person_ids, dtype=np.int64))
        a = first.reindex(pid).to_numpy()
        b = last.reindex(pid).to_numpy()
        use_b = rng.random(len(pid)) < 0.5
        return np.where(use_b, b, a)


def make_source_records(
    partner: str,
    person_ids: np.ndarray,
    seen_dates: np.ndarray,
    first_dates: np.ndarray,
    world: World,
    rng: np.random.Generator,
) -> SourceRecords:
    """One record per person the partner knows (plus duplicates), with the partner's noise.

    ``seen_dates[i]`` is when the partner last updated person ``i``'s record (the address is the
    one on that date) and ``first_dates[i]`` when it first met them (a stale record keeps the
    address of that date).
    """
    prof = NOISE_PROFILES[partner]
    ids = np.asarray(person_ids, dtype=np.int64)
    order = np.argsort(ids, kind="stable")
    ids = ids[order]
    seen = np.asarray(seen_dates, dtype="datetime64[D]")[order]
    first = np.asarray(first_dates, dtype="datetime64[D]")[order]
    n0 = ids.size
    dup = rng.random(n0) < prof.duplicate
    all_ids = np.concatenate([ids, ids[dup]])
    is_dup = np.concatenate([np.zeros(n0, dtype=bool), np.ones(int(dup.sum()), dtype=bool)])
    stale = rng.random(all_ids.size) < prof.stale_address
    when = np.where(stale, np.concatenate([first, first[dup]]), np.concatenate([seen, seen[dup]]))
    n = all_ids.size

    people = world.people.set_index("person_id")
    p = people.loc[all_ids]
    addr = world.address_at(all_ids, when)
    # A stale record really is stale only if the address changed since.
    # Stale means: the partner still holds the first-contact address although the person lived
    # elsewhere by the extract date.
    latest = world.address_at(all_ids, np.full(n, world.end - np.timedelta64(1, "D")))
    stale &= addr["uprn"].to_numpy() != latest["uprn"].to_numpy()

    flags: dict[str, np.ndarray] = {f: np.zeros(n, dtype=bool) for f in _FLAGS}
    flags["duplicate"] = is_dup
    flags["stale_address"] = stale

    nhs = p["nhs_number"].to_numpy().astype(object)
    nhs, flags["nhs_error"] = noise.nhs_number_error(nhs, rng, prof.nhs_error)
    nhs, flags["nhs_missing"] = noise.blank(nhs, rng, prof.nhs_missing)

    given = p["given_name"].to_numpy().astype(object)
    given, flags["nickname"] = noise.nickname(given, rng, prof.nickname)
    given, flags["given_typo"] = noise.typo(given, rng, prof.given_typo)

    family = p["family_name"].to_numpy().astype(object)
    age = (when - p["date_of_birth"].to_numpy().astype("datetime64[D]")).astype(np.int64) / 365.25
    family, flags["surname_change"] = noise.surname_change(
        family, p["sex"].to_numpy(), age, rng, prof.surname_change
    )
    family, flags["family_typo"] = noise.typo(family, rng, prof.family_typo)
    family, fv = noise.format_variation(family, rng, prof.format_variation)
    flags["format_variation"] = fv

    dob = p["date_of_birth"].to_numpy().astype("datetime64[D]")
    dob, flags["dob_swap"] = noise.swap_day_month(dob, rng, prof.dob_swap)
    dob, flags["dob_error"] = noise.shift_date(dob, rng, prof.dob_error, 366)
    dob_missing = rng.random(n) < prof.dob_missing
    dob = np.where(dob_missing, np.datetime64("NaT"), dob).astype("datetime64[D]")
    flags["dob_missing"] = dob_missing

    postcode = addr["postcode"].to_numpy().astype(object)
    postcode, flags["postcode_error"] = noise.postcode_error(postcode, rng, prof.postcode_error)
    postcode, flags["postcode_missing"] = noise.blank(postcode, rng, prof.postcode_missing)

    width = max(7, len(str(n)) + 1)
    serial = rng.permutation(n) + 10 ** (width - 1)
    local = np.char.add(prof.local_id_prefix, serial.astype(str)).astype(object)
    records = pd.DataFrame(
        {
            "local_id": local,
            "person_id": all_ids,
            "nhs_number": nhs,
            "given_name": given,
            "middle_names": p["middle_names"].to_numpy(),
            "family_name": family,
            "date_of_birth": dob,
            "sex": p["sex"].to_numpy(),
            "postcode": postcode,
            "address_line_1": addr["address_line_1"].to_numpy(),
            "town": addr["town"].to_numpy(),
            "uprn": addr["uprn"].to_numpy(),
            "address_date": when,
        }
    )
    truth = pd.DataFrame({"local_id": local, "person_id": all_ids, **flags})
    truth.insert(0, "partner", partner)
    return SourceRecords(partner=partner, records=records, truth=truth)


def profile_table() -> pd.DataFrame:
    """The noise profiles as a table (for the truth manifest and the docs)."""
    return pd.DataFrame([{"partner": k, **asdict(v)} for k, v in NOISE_PROFILES.items()])
