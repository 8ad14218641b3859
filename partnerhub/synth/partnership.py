"""`partnerhub synth`: write a whole synthetic partnership to a folder.

Layout of the output folder::

    partnership.toml          ready for `partnerhub ingest --all` (contracts are built in)
    keys/pseudonymisation.key a key derived from the seed — synthetic data only; a real
                              partnership generates its key with `secrets.token_hex(32)`
    geography/                postcode_lookup.csv (NSPL layout), areas.csv, boundaries/*.geojson
    extracts/<partner>/       <dataset>.csv as the partner sends it, and <dataset>.parquet
    extracts/areas/           operations.csv, resources.csv (area-level tables, canonical layout;
                              datasets of the partner `areas`, contracts builtin:areas_*)
    extracts/surveys/         ni5_place_survey.csv: a published survey indicator (NI 5 by ward,
                              district and county, Fingertips layout) for `indicators import`
    truth/                    the ground truth — never an input to PartnerHub, only to tests

Same people, seed and PartnerHub version → the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from partnerhub.errors import UserError
from partnerhub.schema import table as canonical_table
from partnerhub.synth.benefits import build_benefits
from partnerhub.synth.community import build_community
from partnerhub.synth.education import build_education
from partnerhub.synth.extracts import Extract, build_extracts, write_extract
from partnerhub.synth.facts import Facts
from partnerhub.synth.geography import write_geography
from partnerhub.synth.health_care import build_health_and_care
from partnerhub.synth.housing import build_housing
from partnerhub.synth.justice import build_youth_justice
from partnerhub.synth.records import NOISE_PROFILES, SourceRecords, profile_table
from partnerhub.synth.surveys import place_survey
from partnerhub.synth.timeline import CARE_HOME_COEFFICIENTS
from partnerhub.synth.world_build import Built, build_world, stage_rngs

__all__ = ["MIN_PEOPLE", "PARTNERS", "SynthResult", "generate"]

MIN_PEOPLE = 2_000
MAX_PEOPLE = 5_000_000

# partner id → (name, sector)
PARTNERS: dict[str, tuple[str, str]] = {
    "asc": ("Partnershire County Council - Adult Social Care", "council"),
    "acute": ("Partnershire Hospitals NHS Foundation Trust", "nhs"),
    "gp": ("Partnershire GP practices (via the Integrated Care Board)", "nhs"),
    "registrar": ("Partnershire Register Office", "registrar"),
    "police": ("Partnershire Police", "police"),
    "housing": ("Partnershire district councils - Housing", "council"),
    "revenues": ("Partnershire Revenues and Benefits", "benefits"),
    "education": ("Partnershire County Council - Education", "education"),
    "fire": ("Partnershire Fire and Rescue Service", "fire"),
    "voluntary": ("Partnershire Age Friends", "voluntary"),
}

# Who submits the area-level tables (extracts/areas/): id, name, sector; and their datasets.
AREA_RETURNS = (
    "areas",
    "Partnershire Partnership - performance team (area-level returns)",
    "council",
)
AREA_DATASETS = ("operations", "resources")

Progress = Callable[[str], None]
SURVEY_FILE = "ni5_place_survey.csv"


@dataclass(frozen=True)
class SynthResult:
    out: Path
    people: int
    seed: int
    counts: dict[str, int]


def _quiet(_: str) -> None:
    return None


def generate(out: Path, people: int, seed: int, progress: Progress = _quiet) -> SynthResult:
    """Simulate and write a partnership of about ``people`` residents into ``out``."""
    if not MIN_PEOPLE <= people <= MAX_PEOPLE:
        raise UserError(
            f"--people {people} is out of range — use a number from {MIN_PEOPLE:,} to "
            f"{MAX_PEOPLE:,}"
        )
    if seed < 0:
        raise UserError(f"--seed {seed} is negative — use a whole number 0 or more")
    if out.exists() and not out.is_dir():
        raise UserError(f"{out} is a file — give --out a new or empty folder")
    if out.exists() and any(out.iterdir()):
        raise UserError(f"{out} is not empty — choose a new folder or empty this one")
    rngs = stage_rngs(seed)
    progress("Simulating the county (geography, households, four years of lives)")
    built = build_world(people, seed)
    world = built.world
    progress("Deriving partner facts")
    facts: list[Facts] = []
    facts += build_health_and_care(world, rngs["services"])
    facts += build_community(world, built.areas, rngs["police"])
    facts += build_benefits(world, rngs["benefits"])
    facts += build_education(world, rngs["education"])
    facts += build_housing(world, rngs["housing"])
    facts += build_youth_justice(world, rngs["police"])
    out.mkdir(parents=True, exist_ok=True)
    progress("Writing geography")
    write_geography(built.geography, out / "geography")
    counts: dict[str, int] = {}

    def write(ex: Extract) -> None:
        progress(f"Writing extract {ex.contract.name}")
        write_extract(ex, out / "extracts" / ex.contract.partner)
        counts[ex.name] = len(ex.frame)

    progress("Recording people as each partner would (local ids, noise)")
    extracts, records = build_extracts(world, facts, rngs["records"], sink=write)
    _write_area_tables(built, out / "extracts" / AREA_RETURNS[0])
    survey, survey_truth = place_survey(built.geography, rngs["surveys"])
    (out / "extracts" / "surveys").mkdir(parents=True, exist_ok=True)
    survey.to_csv(out / "extracts" / "surveys" / SURVEY_FILE, index=False, lineterminator="\n")
    progress("Writing truth")
    _write_truth(built, facts, extracts, records, out / "truth", people, seed, counts)
    _write_frame(survey_truth, out / "truth" / "place_survey_ni5.parquet")
    _write_partnership_toml(extracts, out / "partnership.toml", people, seed)
    _write_synthetic_key(out / "keys" / "pseudonymisation.key", seed)
    _write_agreements(extracts, out / "agreements")
    return SynthResult(out=out, people=people, seed=seed, counts=counts)


def _write_synthetic_key(path: Path, seed: int) -> None:
    """A key derived from the seed, so the same seed gives the same record keys (synthetic
    data only: a real key is random and kept off the vault's machine)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(hashlib.sha256(f"partnerhub-synthetic-{seed}".encode()).hexdigest() + "\n")
    path.chmod(0o600)


def _write_frame(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, path, compression="zstd")


def _write_area_tables(built: Built, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in zip(
        AREA_DATASETS, (built.areas.operations, built.areas.resources), strict=True
    ):
        f = frame.copy()
        for col in ("period_start", "period_end"):
            f[col] = pd.to_datetime(f[col]).dt.strftime("%Y-%m-%d")
        f.to_csv(folder / f"{name}.csv", index=False, lineterminator="\n")
        _write_frame(frame, folder / f"{name}.parquet")


def _write_truth(
    built: Built,
    facts: list[Facts],
    extracts: list[Extract],
    records: list[SourceRecords],
    folder: Path,
    people: int,
    seed: int,
    counts: dict[str, int],
) -> None:
    world = built.world
    tl = world.timeline
    folder.mkdir(parents=True, exist_ok=True)
    _write_frame(world.people, folder / "people.parquet")
    _write_frame(world.households, folder / "households.parquet")
    _write_frame(world.residences, folder / "residences.parquet")
    src = pd.concat([r.truth for r in records], ignore_index=True)
    _write_frame(src, folder / "source_records.parquet")
    rows = pd.concat(
        [ex.rows.assign(dataset=ex.contract.name) for ex in extracts], ignore_index=True
    )
    _write_frame(rows[["dataset", "row", "local_id", "person_id"]], folder / "extract_rows.parquet")
    haz = tl.hazards.copy()
    _write_frame(haz, folder / "care_home_hazards.parquet")
    _write_frame(
        tl.care_home_admissions.assign(
            date=world.start + tl.care_home_admissions["day"].to_numpy().astype("timedelta64[D]")
        ).drop(columns=["day"]),
        folder / "care_home_admissions.parquet",
    )
    reab = tl.reablement.copy()
    reab["ward_code"] = np.asarray(world.ward_codes, dtype=object)[reab["ward_index"].to_numpy()]
    _write_frame(reab.drop(columns=["ward_index"]), folder / "reablement.parquet")
    _write_frame(_life_events(built, facts), folder / "life_events.parquet")
    _write_frame(built.areas.ward_quarter, folder / "area_panel.parquet")
    for f in facts:
        for name, frame in sorted(f.truth.items()):
            _write_frame(frame, folder / f"{name}.parquet")
    noise = src.groupby("partner").mean(numeric_only=True).drop(columns=["person_id"])
    noise.round(5).to_csv(folder / "noise_rates.csv", lineterminator="\n")
    manifest = {
        "people_requested": people,
        "seed": seed,
        "start": str(world.start),
        "end_exclusive": str(world.end),
        "persons_simulated": len(world.people),
        "extract_rows": counts,
        "care_home_hazard": {
            "model": "monthly hazard = exp(linear predictor), aged 65+ living at home; "
            "death is a competing risk",
            "coefficients": CARE_HOME_COEFFICIENTS,
        },
        "noise_profiles": profile_table().set_index("partner").to_dict(orient="index"),
        "causal_effects": built.areas.truth,
    }
    (folder / "manifest.json").write_text(
        json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8"
    )


def _life_events(built: Built, facts: list[Facts]) -> pd.DataFrame:
    world = built.world
    tl = world.timeline
    p = world.people
    start = world.start
    parts = [
        pd.DataFrame({"person_id": p["person_id"], "event": "death", "date": p["death_date"]}),
        pd.DataFrame(
            {"person_id": p["person_id"], "event": "birth", "date": p["date_of_birth"]}
        ).loc[p["born_in_timeline"].to_numpy()],
        pd.DataFrame(
            {
                "person_id": tl.moves["person_id"],
                "event": tl.moves["kind"].map(
                    {"moved": "move", "left_county": "left_county", "arrived": "arrived"}
                ),
                "date": start + tl.moves["day"].to_numpy().astype("timedelta64[D]"),
            }
        ),
        pd.DataFrame(
            {
                "person_id": tl.spells["person_id"],
                "event": "hospital_discharge",
                "date": start + tl.spells["discharge_day"].to_numpy().astype("timedelta64[D]"),
            }
        ),
        pd.DataFrame(
            {
                "person_id": tl.care_home_admissions["person_id"],
                "event": "care_home_admission",
                "date": start + tl.care_home_admissions["day"].to_numpy().astype("timedelta64[D]"),
            }
        ),
    ]
    for f in facts:
        extra = f.truth.get("housing_life_events")
        if extra is not None:
            parts.append(
                pd.DataFrame(
                    {
                        "person_id": extra["person_id"],
                        "event": extra["event_type"],
                        "date": extra["event_date"],
                    }
                )
            )
    events = pd.concat(parts, ignore_index=True)
    events["date"] = events["date"].to_numpy().astype("datetime64[D]")
    events = events.loc[
        events["date"].notna() & (events["date"] < world.end) & (events["date"] >= world.start)
    ]
    return events.sort_values(["date", "person_id", "event"], kind="stable").reset_index(drop=True)


def _write_partnership_toml(extracts: list[Extract], path: Path, people: int, seed: int) -> None:
    lines = [
        "# A synthetic partnership written by `partnerhub synth` "
        f"(--people {people} --seed {seed}).",
        "# Everything here is invented; truth/ holds the answers and is never an input.",
        "",
        "[partnership]",
        'name = "Partnershire Local Partnership (synthetic)"',
        f'description = "Synthetic partnership: {people} people, seed {seed}"',
        "",
        "[geography]",
        'source = "synthetic"',
        'postcode_lookup = "geography/postcode_lookup.csv"',
        'boundaries = "geography/boundaries"',
        'areas = "geography/areas.csv"',
        "",
        "[vault]",
        'url = "duckdb:///vault/vault.duckdb"',
        "",
        "[identity_store]",
        'url = "duckdb:///identity/identity.duckdb"',
        "",
        "[control_plane]",
        'url = "sqlite:///control/control.db"',
        "",
        "[keys]",
        'pseudonymisation_key_file = "keys/pseudonymisation.key"',
        'pseudonymisation_key_env = "PARTNERHUB_PSEUDONYMISATION_KEY"',
    ]
    for partner, (name, sector) in PARTNERS.items():
        mine = sorted({ex.contract.dataset for ex in extracts if ex.contract.partner == partner})
        if not mine:
            continue
        lines += [
            "",
            "[[partner]]",
            f'id = "{partner}"',
            f'name = "{name}"',
            f'sector = "{sector}"',
        ]
        for ds in mine:
            lines += [
                "",
                "[[partner.dataset]]",
                f'id = "{ds}"',
                f'contract = "builtin:{partner}_{ds}"',
                f'path = "extracts/{partner}/{ds}.csv"',
            ]
    # The area-level tables (aggregates of every partner, collated by the partnership's
    # performance team): listed last, so the partners' loads keep their numbers.
    lines += [
        "",
        "[[partner]]",
        f'id = "{AREA_RETURNS[0]}"',
        f'name = "{AREA_RETURNS[1]}"',
        f'sector = "{AREA_RETURNS[2]}"',
    ]
    for ds in AREA_DATASETS:
        lines += [
            "",
            "[[partner.dataset]]",
            f'id = "{ds}"',
            f'contract = "builtin:{AREA_RETURNS[0]}_{ds}"',
            f'path = "extracts/{AREA_RETURNS[0]}/{ds}.csv"',
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert set(NOISE_PROFILES) >= {ex.contract.partner for ex in extracts}


_AGREEMENTS = (
    # (file, id, title, purposes, output kinds, recipients (None: all), start, expiry)
    (
        "performance.toml",
        "partnershire-performance",
        "Partnershire performance management and service planning",
        ["performance_management", "service_planning"],
        ["aggregate", "model_summary"],
        None,
        "2024-04-01",
        "2029-03-31",
    ),
    (
        "research-2023.toml",
        "partnershire-research-2023",
        "Falls prevention evaluation (research; ended)",
        ["research"],
        ["aggregate"],
        ["acute", "asc"],
        "2023-04-01",
        "2025-03-31",
    ),
)


def _write_agreements(extracts: list[Extract], folder: Path) -> None:
    """Data-sharing agreements for the synthetic partnership: one in force for performance
    and planning covering every dataset, and one research agreement that has ended."""
    folder.mkdir(parents=True, exist_ok=True)
    datasets = sorted(
        {(ex.contract.partner, ex.contract.dataset, ex.contract.table) for ex in extracts}
    )
    partners = sorted({p for p, _, _ in datasets})
    for file, ident, title, purposes, kinds, recipients, start, expiry in _AGREEMENTS:
        lines = [
            "# A synthetic data-sharing agreement written by `partnerhub synth`.",
            f'id = "{ident}"',
            f'title = "{title}"',
            'legal_basis = "UK GDPR Art. 6(1)(e) public task and Art. 9(2)(h)/(g); Local '
            'Government Act 2000 s.2; Health and Social Care Act 2012 s.251B"',
            f"purposes = {purposes!r}".replace("'", '"'),
            f"output_kinds = {kinds!r}".replace("'", '"'),
            f"recipients = {(recipients or partners)!r}".replace("'", '"'),
            f"start = {start}",
            f"expiry = {expiry}",
            "",
            "[disclosure]",
            "threshold = 7",
            "rounding_base = 5",
            "cell_key = true",
        ]
        for partner, dataset, table_name in datasets:
            if recipients is not None and partner not in recipients:
                continue
            # age and sex: derived per person from the linked records (the vault's person table)
            fields = [*canonical_table(table_name).column_names, "age", "sex"]
            lines += [
                "",
                "[[dataset]]",
                f'partner = "{partner}"',
                f'dataset = "{dataset}"',
                f"fields = {fields!r}".replace("'", '"'),
            ]
        (folder / file).write_text("\n".join(lines) + "\n", encoding="utf-8")


def planted_summary(out: Path) -> tuple[pd.DataFrame, list[tuple[str, str, float, float]]]:
    """What a generated partnership planted: noise rates per partner, and each causal effect
    beside the naive estimate an unadjusted comparison would give."""
    noise = pd.read_csv(out / "truth" / "noise_rates.csv", index_col="partner")
    manifest = json.loads((out / "truth" / "manifest.json").read_text(encoding="utf-8"))
    effects = manifest["causal_effects"]
    rows = []
    for name, info in sorted(effects.items()):
        cmp = info["comparison"]
        rows.append(
            (f"{name}: {info['outcome']}", cmp["scale"], float(cmp["planted"]), float(cmp["naive"]))
        )
    return noise, rows
