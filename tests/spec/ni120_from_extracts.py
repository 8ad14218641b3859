"""NI 120 (all-age all-cause mortality, DSR per 100,000) computed from a synthetic
partnership's *raw files* in plain pandas — no vault, no linkage, nothing of PartnerHub's
indicator code: the registrar's deaths extract and the GP registrations extract as the
partners sent them (CSV), the postcode lookup, and the synthetic ground truth for who each
row really is (``truth/extract_rows.parquet``) and their true date of birth
(``truth/people.parquet``).

Definitions, written out again from docs/indicators.md and the NI 120 spec:

* a death counts in the financial year of its date and the district its postcode was in at
  that date (postcodes looked up as written, without spaces, in use at the date's month);
  a death whose postcode is not found counts nowhere;
* the population is the GP-registered one at the middle of the year (``start + (end -
  start) // 2``): registrations with ``REG_DATE <= date < DEREG_DATE`` (open-ended when
  empty), one per *true* person (their most recent registration), placed by the
  registration's postcode at its ``DEREG_DATE`` (where it ended; in use now if open);
* ages are whole years at the death or the reference date, a birthday counting from the
  first of its month, in 5-year bands to 90+; the standard is the 2013 European Standard
  Population (written out below);
* an age band with deaths but no population makes the DSR not computable (NaN); a band with
  neither adds nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

ESP_2013 = np.array(
    [5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000,
     7000, 6500, 6000, 5500, 5000, 4000, 2500, 1500, 1000],
    dtype=float,
)  # fmt: skip


def _place(postcodes: pd.Series, when: pd.Series, lookup: pd.DataFrame) -> pd.Series:
    """The district of each postcode at its date (NaN when unknown or not in use then; no
    date: any postcode of the lookup)."""
    frame = pd.DataFrame(
        {
            "key": postcodes.fillna("").str.upper().str.replace(r"\s+", "", regex=True),
            "month": when.dt.year * 100 + when.dt.month,
        }
    ).reset_index(names="_i")
    hit = frame.merge(lookup, on="key", how="inner")
    live = (hit["dointr"].fillna(0) <= hit["month"]) & (hit["month"] < hit["doterm"].fillna(1e9))
    live |= hit["month"].isna()
    hit = hit[live].drop_duplicates("_i")
    return hit.set_index("_i")["laua"].reindex(frame["_i"]).set_axis(postcodes.index)


def _band(born: pd.Series, at: pd.Series) -> pd.Series:
    """The 5-year age band (0 = 0-4, ..., 18 = 90+) at ``at``."""
    age = at.dt.year - born.dt.year - (at.dt.month < born.dt.month).astype(int)
    return np.minimum(age // 5, 18)


def _truth(root: Path, dataset: str, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's true person id and date of birth."""
    truth = pd.read_parquet(root / "truth" / "extract_rows.parquet")
    truth = truth[truth["dataset"] == dataset].set_index("row")["person_id"]
    people = pd.read_parquet(root / "truth" / "people.parquet").set_index("person_id")
    person = truth.reindex(range(rows))
    assert person.notna().all(), f"{dataset}: a row with no true person"
    born = pd.to_datetime(people["date_of_birth"]).reindex(person)
    return person.to_numpy(), born.to_numpy()


def _read(root: Path, dataset: str, rejected: Collection[int]) -> pd.DataFrame:
    """The extract's rows (index: row number from 0, after the header), less ``rejected``."""
    frame = pd.read_csv(root / "extracts" / f"{dataset}.csv", dtype=str)
    return frame.drop(index=[r for r in rejected if r in frame.index])


def ni120_from_extracts(
    root: Path, years: Collection[int], rejected: Mapping[str, Collection[int]] | None = None
) -> pd.DataFrame:
    """Per district and financial year (``2023`` → ``2023/24``): deaths, population and the
    DSR per 100,000. ``rejected``: rows (numbered from 0 after the header) of a dataset
    (``registrar/deaths``) left out, as the rows an ingest turned away are not facts."""
    rejected = rejected or {}
    lookup = pd.read_csv(root / "geography" / "postcode_lookup.csv", dtype=str)
    lookup = pd.DataFrame(
        {
            "key": lookup["pcds"].str.replace(" ", "").str.upper(),
            "dointr": pd.to_numeric(lookup["dointr"]),
            "doterm": pd.to_numeric(lookup["doterm"]),
            "laua": lookup["laua"],
        }
    )
    deaths = _read(root, "registrar/deaths", rejected.get("registrar/deaths", ()))
    died = pd.to_datetime(deaths["DOD"], format="%Y%m%d")
    _, born = _truth(root, "registrar/deaths", int(deaths.index.max()) + 1)
    d = pd.DataFrame(
        {
            "lad": _place(deaths["POSTCODE"], died, lookup),
            "fy": died.dt.year - (died.dt.month < 4).astype(int),
            "band": _band(pd.Series(born[deaths.index], index=deaths.index), died),
        }
    )
    gp = _read(root, "gp/registrations", rejected.get("gp/registrations", ()))
    start = pd.to_datetime(gp["REG_DATE"], format="%d/%m/%Y")
    end = pd.to_datetime(gp["DEREG_DATE"], format="%d/%m/%Y")
    person, gp_born = _truth(root, "gp/registrations", int(gp.index.max()) + 1)
    registrations = pd.DataFrame(
        {
            "person": person[gp.index],
            "born": gp_born[gp.index],
            "start": start,
            "end": end,
            "lad": _place(gp["POSTCODE"], end, lookup),
            "local_id": gp["PATIENT_ID"],
        }
    )
    out = []
    for year in sorted(years):
        first, after = date(year, 4, 1), date(year + 1, 4, 1)
        ref = pd.Timestamp(first + (after - first) // 2)
        live = registrations[
            (registrations["start"] <= ref)
            & (registrations["end"].isna() | (registrations["end"] > ref))
        ]
        live = live.sort_values(["person", "start", "local_id"], ascending=[True, False, True])
        live = live.drop_duplicates("person")
        live = live.assign(band=_band(live["born"], pd.Series(ref, index=live.index)))
        population = live.dropna(subset=["lad"]).groupby(["lad", "band"]).size()
        died_here = d[(d["fy"] == year)].dropna(subset=["lad"]).groupby(["lad", "band"]).size()
        places = set(population.index.get_level_values(0))
        for lad in sorted(places | set(died_here.index.get_level_values(0))):
            n = population.get(lad, pd.Series(dtype=float)).reindex(range(19), fill_value=0)
            x = died_here.get(lad, pd.Series(dtype=float)).reindex(range(19), fill_value=0)
            n, x = n.to_numpy(float), x.to_numpy(float)
            if ((x > 0) & (n == 0)).any():
                dsr = np.nan
            else:
                rates = np.divide(x, n, out=np.zeros(19), where=n > 0)
                dsr = float((ESP_2013 * rates).sum() / ESP_2013.sum() * 100_000)
            label = f"{year}/{(year + 1) % 100:02d}"
            out.append(
                {"lad": lad, "period": label, "deaths": x.sum(), "population": n.sum(), "dsr": dsr}
            )
    return pd.DataFrame(out)
