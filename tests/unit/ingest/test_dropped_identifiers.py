"""Issue 14, item 2: a bad *optional identifier* must not cost the fact.

A death whose NHS number fails its check digit, or whose date of birth is impossible, is still
a death: the identifier is dropped, the row loads, and the quality report counts the dropped
identifiers per column and reason. A wrong *required* value still quarantines the row.
"""

from __future__ import annotations

import tomllib
from datetime import date
from importlib import resources
from pathlib import Path

import duckdb
import pytest

from partnerhub.errors import ContractError
from partnerhub.ingest import quality_report, read_extract, stage_extract, validate_extract
from partnerhub.ingest.validate import NHS_REASON, validate_staged
from partnerhub.schema import builtin_contract, parse_contract

TODAY = date(2025, 4, 1)
DEATHS_HEADER = (
    "REG_ID,NHSNO,FORENAMES,SURNAME,DOB,SEX,POSTCODE,ADDRESS,DOD,DOR,PLACE_OF_DEATH,UCOD"
)
DEATHS = [
    # line 2: all good
    "R1,9434765919,Ann,Smith,19300105,2,XP1 4DJ,1 High St,20240103,20240105,H,I21.9",
    # line 3: NHS number fails modulus 11 — a real death all the same
    "R2,9434765918,Bob,Jones,19280412,1,XP1 4DJ,2 High St,20240110,20240112,HOSP,C34.9",
    # line 4: 31 February as the date of birth, and a postcode that is not one
    "R3,,Cy,Brown,19350231,1,not a postcode,3 High St,20240115,20240116,CH,F03",
    # line 5: the date of death (required) is missing: the row is quarantined, and lists
    # its bad NHS number too
    "R4,12345,Di,Green,19400101,2,XP1 4DJ,4 High St,,20240120,H,I48",
    # line 6: a date of birth in the future
    "R5,,Ed,White,20990101,1,XP1 4DJ,5 High St,20240120,20240121,H,I21.9",
]


def write_deaths(path: Path, rows: list[str] = DEATHS) -> Path:
    path.write_text("\n".join([DEATHS_HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_a_death_with_a_bad_nhs_number_or_date_of_birth_is_kept(tmp_path: Path) -> None:
    c = builtin_contract("registrar_deaths")
    checked = validate_extract(read_extract(write_deaths(tmp_path / "d.csv"), c), c, TODAY)
    assert checked.received == 5
    assert checked.valid["local_id"].tolist() == ["R1", "R2", "R3", "R5"]
    assert checked.valid["date_of_death"].tolist() == [
        date(2024, 1, 3),
        date(2024, 1, 10),
        date(2024, 1, 15),
        date(2024, 1, 20),
    ]
    by_id = checked.valid.set_index("local_id")
    assert by_id.loc["R1", "nhs_number"] == "9434765919"
    assert by_id.loc["R2", "nhs_number"] is None  # dropped, not loaded wrong
    assert by_id.loc["R3", "date_of_birth"] is None
    assert by_id.loc["R3", "postcode"] is None
    assert by_id.loc["R5", "date_of_birth"] is None
    assert by_id.loc["R2", "date_of_birth"] == date(1928, 4, 12)  # the rest of the row stays
    # Only the row missing its required date of death is quarantined; it lists every problem.
    assert checked.quarantined_rows == 1
    assert sorted(zip(checked.quarantine["column"], checked.quarantine["reason"], strict=True)) == [
        ("DOD", "required value missing"),
        ("NHSNO", NHS_REASON),
    ]
    d = checked.dropped
    dropped = sorted(zip(d["line"], d["column"], d["value"], strict=True))
    assert dropped == [
        (3, "NHSNO", "9434765918"),
        (4, "DOB", "19350231"),
        (4, "POSTCODE", "not a postcode"),
        (6, "DOB", "20990101"),
    ]


def test_the_quality_report_counts_dropped_identifiers_per_column_and_reason(
    tmp_path: Path,
) -> None:
    c = builtin_contract("registrar_deaths")
    con = duckdb.connect()
    staged = stage_extract(con, write_deaths(tmp_path / "d.csv"), c)
    counts = validate_staged(con, c, TODAY, staged.ragged)
    report = quality_report(con, staged, counts, c)
    assert (report["received"], report["valid"], report["quarantined"]) == (5, 4, 1)
    assert report["dropped_identifiers"] == {
        "values": 4,
        "rows": 3,
        "by_column": {
            "DOB": {
                "date is in the future (after 2025-04-01)": 1,
                "not a date in the format %Y%m%d (or an impossible date)": 1,
            },
            "NHSNO": {NHS_REASON: 1},
            "POSTCODE": {"not a UK postcode": 1},
        },
    }
    columns = {col["column"]: col for col in report["columns"]}
    assert columns["NHSNO"]["dropped"] == {NHS_REASON: 1}
    assert columns["NHSNO"]["reasons"] == {NHS_REASON: 1}  # the quarantined row's problem
    assert columns["NHSNO"]["invalid"] == 2
    assert columns["NHSNO"]["on_invalid"] == "drop"
    assert columns["DOD"]["on_invalid"] == "quarantine"
    assert columns["UCOD"]["on_invalid"] == "quarantine"  # a fact, not an identifier


def _deaths_contract(**changes: object) -> dict[str, object]:
    resource = resources.files("partnerhub.schema") / "contracts" / "registrar_deaths.toml"
    text = resource.read_text()
    data = tomllib.loads(text)
    for col in data["column"]:  # type: ignore[union-attr]
        if col["name"] in changes:
            col.update(changes[col["name"]])  # type: ignore[arg-type]
    return data


def test_a_contract_can_keep_quarantining_an_identifier(tmp_path: Path) -> None:
    c = parse_contract(_deaths_contract(NHSNO={"on_invalid": "quarantine"}), "deaths.toml")
    checked = validate_extract(read_extract(write_deaths(tmp_path / "d.csv"), c), c, TODAY)
    assert checked.valid["local_id"].tolist() == ["R1", "R3", "R5"]
    assert checked.quarantined_rows == 2


def test_a_required_identifier_still_quarantines(tmp_path: Path) -> None:
    c = parse_contract(_deaths_contract(NHSNO={"required": True}), "deaths.toml")
    assert not c.drops_invalid(c.columns[1])
    checked = validate_extract(read_extract(write_deaths(tmp_path / "d.csv"), c), c, TODAY)
    # R2 (bad number), R3 and R5 (no number) and R4 are quarantined; R1 alone loads
    assert checked.valid["local_id"].tolist() == ["R1"]
    assert checked.quarantined_rows == 4


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"NHSNO": {"on_invalid": "drop", "required": True}}, "column NHSNO: on_invalid"),
        ({"REG_ID": {"on_invalid": "drop"}}, "column REG_ID: on_invalid"),
        ({"UCOD": {"on_invalid": "drop"}}, "only for optional identifier columns"),
        ({"NHSNO": {"on_invalid": "skip"}}, "on_invalid"),
    ],
)
def test_drop_is_only_for_optional_identifiers(
    changes: dict[str, dict[str, object]], message: str
) -> None:
    with pytest.raises(ContractError, match=message):
        parse_contract(_deaths_contract(**changes), "deaths.toml")


def test_a_fact_that_is_also_an_identifier_quarantines() -> None:
    """A birth's date of birth is the event itself: a wrong one is never dropped."""
    births = builtin_contract("registrar_births")
    dob = births.column_for("date_of_birth")
    assert dob is not None and not births.drops_invalid(dob)
    deaths = builtin_contract("registrar_deaths")
    assert [c.name for c in deaths.columns if deaths.drops_invalid(c)] == [
        "NHSNO",
        "FORENAMES",
        "SURNAME",
        "DOB",
        "SEX",
        "POSTCODE",
        "ADDRESS",
    ]
