"""The person table of the vault: what capabilities may know of each linked record's person.

Indicators and models need a person's age and sex and need to count people, not records, across
partners. Dates of birth live only in the identity store, so after each link run the identity
layer writes to the vault one row per partner record with:

- ``person_id`` — the stable id of the person index (``R`` + record key where no run exists);
- ``birth_month`` — the person's date of birth *truncated to the first of its month*, the
  most common value over the person's linked records (the OpenSAFELY convention: month and
  year are enough for every age-based definition and are less identifying);
- ``sex`` — the most common recorded sex (M/F) over the person's records, U when none.

The table carries the link run it was built from, so a stale copy is detected and rebuilt
(:func:`ensure_people`). No name, full date of birth, NHS number or address reaches the vault.
"""

from __future__ import annotations

import ibis
import pandas as pd
import pyarrow as pa

from partnerhub.control import ControlPlane
from partnerhub.vault import IdentityStore, Vault
from partnerhub.vault.stores import PERSON_INDEX

__all__ = ["PERSON_TABLE", "ensure_people", "people_link_run", "publish_people"]

PERSON_TABLE = "person"
PERSON_COLUMNS = (
    ("partner", "string"),
    ("record_key", "string"),
    ("person_id", "string"),
    ("birth_month", "date"),
    ("sex", "string"),
    ("link_run", "integer"),
)


def _mode(frame: pd.DataFrame, column: str) -> pd.Series:
    """Per person, the most common non-null value of ``column`` (ties: the smallest)."""
    known = frame.dropna(subset=[column])
    if known.empty:
        return pd.Series(dtype=object)
    counts = known.groupby(["person_id", column]).size().reset_index(name="n")
    counts = counts.sort_values(["person_id", "n", column], ascending=[True, False, True])
    return counts.drop_duplicates("person_id").set_index("person_id")[column]


def build_people(records: pd.DataFrame, index: pd.DataFrame) -> pd.DataFrame:
    """One row per (partner, record_key) of ``records`` (identity-store rows with
    date_of_birth and sex): its person id, the person's birth month and sex."""
    base = records[["partner", "record_key", "date_of_birth", "sex"]].drop_duplicates(
        ["partner", "record_key", "date_of_birth", "sex"]
    )
    base = base.merge(index[["partner", "record_key", "person_id"]], how="left")
    missing = base["person_id"].isna()
    base.loc[missing, "person_id"] = "R" + base.loc[missing, "record_key"].astype(str)
    dob = pd.to_datetime(base["date_of_birth"], errors="coerce")
    base["birth_month"] = dob.dt.to_period("M").dt.to_timestamp()
    base["sex"] = base["sex"].where(base["sex"].isin(["M", "F"]))
    month = _mode(base, "birth_month")
    sex = _mode(base, "sex")
    out = base[["partner", "record_key", "person_id"]].drop_duplicates(["partner", "record_key"])
    out["birth_month"] = out["person_id"].map(month)
    out["sex"] = out["person_id"].map(sex).fillna("U")
    out["birth_month"] = pd.to_datetime(out["birth_month"]).dt.date
    return out.sort_values(["partner", "record_key"]).reset_index(drop=True)


def publish_people(identity: IdentityStore, vault: Vault, control: ControlPlane) -> int:
    """Rebuild the vault's person table from the current loads and the latest link run, in
    one transaction. Returns its row count."""
    loads = [ld.id for ld in control.current_loads().values()]
    run = control.latest_link_run()
    con = identity.backend.ibis
    database = getattr(identity.backend, "schema", None)
    # only the columns needed, as Arrow (millions of records: no Python tuples)
    source = con.table("source_record", database=database)
    source = source.filter(source.load_id.isin(loads) if loads else ibis.literal(False))
    records = source.select("partner", "record_key", "date_of_birth", "sex").to_pandas()
    index_table = con.table(PERSON_INDEX, database=database)
    index = (
        index_table.filter(index_table.link_run == (run.id if run else -1))
        .select("partner", "record_key", "person_id")
        .to_pandas()
    )
    people = build_people(records, index)
    people["link_run"] = run.id if run else 0
    backend = vault.backend
    backend.create_table(PERSON_TABLE, list(PERSON_COLUMNS))
    data = pa.Table.from_pandas(people, preserve_index=False).cast(
        pa.schema(
            [
                ("partner", pa.string()),
                ("record_key", pa.string()),
                ("person_id", pa.string()),
                ("birth_month", pa.date32()),
                ("sex", pa.string()),
                ("link_run", pa.int64()),
            ]
        )
    )
    with backend.transaction():
        backend.execute(f"DELETE FROM {backend.qualified(PERSON_TABLE)}")
        backend.append_arrow(PERSON_TABLE, data)
    return len(people)


def people_link_run(vault: Vault) -> int | None:
    """The link run the vault's person table was built from (None: not built)."""
    backend = vault.backend
    if PERSON_TABLE not in backend.table_names():
        return None
    rows = backend.query(f"SELECT max(link_run), count(*) FROM {backend.qualified(PERSON_TABLE)}")
    if not rows or rows[0][1] == 0:
        return None
    return int(rows[0][0])


def ensure_people(identity: IdentityStore, vault: Vault, control: ControlPlane) -> bool:
    """Rebuild the person table if it is missing or older than the latest link run or the
    current loads. Returns whether it rebuilt."""
    run = control.latest_link_run()
    built = people_link_run(vault)
    wanted = run.id if run else 0
    if built is not None and built == wanted and not _loads_changed(vault, control):
        return False
    publish_people(identity, vault, control)
    return True


def _loads_changed(vault: Vault, control: ControlPlane) -> bool:
    """Whether some current record is missing from the person table (a load since)."""
    backend = vault.backend
    person = backend.qualified(PERSON_TABLE)
    for table_name in vault.loaded_tables:
        sql = (
            f"SELECT count(*) FROM {backend.qualified(table_name)} t WHERE t.load_id IN "
            f"(SELECT load_id FROM {backend.qualified('_current_load')}) AND NOT EXISTS "
            f"(SELECT 1 FROM {person} p WHERE p.partner = t.partner "
            "AND p.record_key = t.record_key)"
        )
        if int(backend.query(sql)[0][0]):
            return True
    del control
    return False
