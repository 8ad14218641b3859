"""The person table of the vault: what capabilities may know of each linked record's person.

Indicators and models need a person's age and sex and need to count people, not records, across
partners. Dates of birth live only in the identity store, so after each link run the identity
layer writes to the vault one row per partner record with:

- ``person_id`` — the stable id of the person index (``R`` + record key where no run exists);
- ``birth_month`` — the person's date of birth *truncated to the first of its month*, the
  most common value over the person's linked records (the OpenSAFELY convention: month and
  year are enough for every age-based definition and are less identifying);
- ``sex`` — the most common recorded sex (M/F) over the person's records, U when none.

The table carries the link run it was built from, so a stale copy is detected
(:func:`people_current`) and rebuilt (:func:`ensure_people`) — by writers only: the hub's
writer brings it up to date when it finishes (after an ingest, a link run, a restore), and a
reader that finds it stale says to run `partnerhub link`. No name, full date of birth, NHS
number or address reaches the vault.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from partnerhub.control import ControlPlane
from partnerhub.vault import IdentityStore, Vault
from partnerhub.vault.stores import PERSON_INDEX, PERSON_TABLE

__all__ = [
    "PERSON_TABLE",
    "ensure_people",
    "people_current",
    "people_expression",
    "people_link_run",
    "publish_people",
]

PERSON_COLUMNS = (
    ("partner", "string"),
    ("record_key", "string"),
    ("person_id", "string"),
    ("birth_month", "date"),
    ("sex", "string"),
    ("link_run", "integer"),
)


def _mode(t: ir.Table, column: str) -> ir.Table:
    """Per person, the most common non-null value of ``column`` (ties: the smallest)."""
    known = t.filter(t[column].notnull())
    counts = known.group_by(["person_id", column]).aggregate(n=known.count())
    rank = ibis.row_number().over(
        group_by=counts.person_id, order_by=[ibis.desc(counts.n), counts[column]]
    )
    counts = counts.mutate(_rank=rank)
    return counts.filter(counts._rank == 0).select("person_id", column)


def people_expression(source: ir.Table, index: ir.Table) -> ir.Table:
    """One row per (partner, record_key) of ``source`` (identity-store rows with
    date_of_birth and sex): its person id, the person's birth month and sex — computed in
    the identity store's own database."""
    base = source.select("partner", "record_key", "date_of_birth", "sex")
    joined = base.left_join(
        index, [base.partner == index.partner, base.record_key == index.record_key]
    )
    base = joined.select(
        partner=joined.partner,
        record_key=joined.record_key,
        person_id=joined.person_id.fill_null(ibis.literal("R") + joined.record_key),
        birth_month=joined.date_of_birth.truncate("M").cast("date"),
        sex=ibis.ifelse(joined.sex.isin(["M", "F"]), joined.sex, ibis.null("string")),
    )
    # a record's rows (its identifier variants) all carry the same person id
    records = base.group_by(["partner", "record_key"]).aggregate(person_id=base.person_id.min())
    month = _mode(base, "birth_month")
    sex = _mode(base, "sex")
    out = records.left_join(month, "person_id").left_join(sex, "person_id")
    return out.select(
        "partner",
        "record_key",
        "person_id",
        "birth_month",
        sex=out.sex.fill_null("U"),
    ).order_by(["partner", "record_key"])


def publish_people(identity: IdentityStore, vault: Vault, control: ControlPlane) -> int:
    """Rebuild the vault's person table from the current loads and the latest link run, in
    one transaction. Returns its row count."""
    loads = [ld.id for ld in control.current_loads().values()]
    run = control.latest_link_run()
    con = identity.backend.ibis
    database = getattr(identity.backend, "schema", None)
    source = con.table("source_record", database=database)
    source = source.filter(source.load_id.isin(loads) if loads else ibis.literal(False))
    index_table = con.table(PERSON_INDEX, database=database)
    index = index_table.filter(index_table.link_run == (run.id if run else -1)).select(
        "partner", "record_key", "person_id"
    )
    expression = people_expression(source, index).mutate(
        link_run=ibis.literal(run.id if run else 0, "int64")
    )
    data = expression.to_pyarrow().cast(
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
    backend = vault.backend
    backend.create_table(PERSON_TABLE, list(PERSON_COLUMNS))
    with backend.transaction():
        backend.execute(f"DELETE FROM {backend.qualified(PERSON_TABLE)}")
        backend.append_arrow(PERSON_TABLE, data)
    return data.num_rows


def people_link_run(vault: Vault) -> int | None:
    """The link run the vault's person table was built from (None: not built)."""
    backend = vault.backend
    if PERSON_TABLE not in backend.table_names():
        return None
    rows = backend.query(f"SELECT max(link_run), count(*) FROM {backend.qualified(PERSON_TABLE)}")
    if not rows or rows[0][1] == 0:
        return None
    return int(rows[0][0])


def people_current(vault: Vault, control: ControlPlane) -> bool:
    """Whether the person table is built from the latest link run and holds every current
    record (reads only)."""
    run = control.latest_link_run()
    built = people_link_run(vault)
    wanted = run.id if run else 0
    return built is not None and built == wanted and not _loads_changed(vault, control)


def ensure_people(identity: IdentityStore, vault: Vault, control: ControlPlane) -> bool:
    """Rebuild the person table if it is missing or older than the latest link run or the
    current loads. Returns whether it rebuilt."""
    if people_current(vault, control):
        return False
    publish_people(identity, vault, control)
    return True


def _loads_changed(vault: Vault, control: ControlPlane) -> bool:
    """Whether some current record is missing from the person table (a load since)."""
    backend = vault.backend
    person = backend.qualified(PERSON_TABLE)
    for table_name in vault.attribute_tables:
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
