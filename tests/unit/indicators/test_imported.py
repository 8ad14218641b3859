"""Survey indicators imported as values: the National Indicator set as data, the import
file's checks (a bad file is refused whole, naming file, row and column), and the disclosure
control of imported rows."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from partnerhub.disclosure import SUPPRESSED_MARK, DisclosureSettings, protect_published_rows
from partnerhub.errors import ContractError, NotFoundError, UserError
from partnerhub.indicators.imported import read_imported
from partnerhub.indicators.national_set import (
    importable_indicator,
    national_indicator_set,
    normalise_id,
)
from partnerhub.indicators.spec import load_library

DOCS = Path(__file__).resolve().parents[3] / "docs"
AREAS = """level,code,name,parent_code,lad_code,ward_code,imd_score,imd_rank,imd_decile,ruc21ind
county,E10000001,Shire,,,,,,,
lad,E07000001,North,E10000001,E07000001,,,,,
lad,E07000002,South,E10000001,E07000002,,,,,
ward,E05000001,Abbey,E07000001,E07000001,E05000001,,,,
ward,E05000002,Brook,E07000001,E07000001,E05000002,,,,
ward,E05000003,Chase,E07000002,E07000002,E05000003,,,,
"""
HEADER = "Area Code,Time period,Value,Lower CI 95.0 limit,Upper CI 95.0 limit,Count,Denominator"
GOOD = [
    "E10000001,2008/09,75.0,74.0,76.0,3000,4000",
    "E07000001,2008/09,80.0,78.0,82.0,1600,2000",
    "E07000002,2008/09,70.0,68.0,72.0,1400,2000",
    "E05000001,2008/09,90.0,86.0,94.0,450,500",
    "E05000002,2008/09,79.0,76.0,82.0,790,1000",
    "E05000003,2008/09,[c],,,,",
]


@pytest.fixture()
def areas(tmp_path: Path) -> Path:
    path = tmp_path / "areas.csv"
    path.write_text(AREAS, encoding="utf-8")
    return path


def _file(tmp_path: Path, lines: list[str], header: str = HEADER) -> Path:
    path = tmp_path / "import.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def test_the_package_table_is_the_docs_table() -> None:
    text = (DOCS / "national-indicator-set.md").read_text(encoding="utf-8")
    rows = [
        tuple(c.strip() for c in line.strip().strip("|").split(" | "))
        for line in text.splitlines()
        if line.startswith(("| NI ", "| ASCOF"))
    ]
    assert rows == [(n.id, n.title, n.status, n.why) for n in national_indicator_set()]
    computed = {n.id for n in national_indicator_set() if n.status == "computed"}
    assert computed == {s.id for s in load_library()}
    assert sum(n.status == "importable" for n in national_indicator_set()) == 130
    ids = {n.id for n in national_indicator_set()}
    assert {f"NI {n}" for n in range(1, 200)} <= ids  # every NI of either list has a status


def test_only_importable_indicators_can_be_imported() -> None:
    assert importable_indicator("ni5").id == "NI 5"
    assert normalise_id("NI-08") == "NI 8"
    with pytest.raises(UserError, match=r"NI 15 is computed .* indicators compute"):
        importable_indicator("NI 15")
    with pytest.raises(UserError, match="NI 12 is not applicable"):
        importable_indicator("NI 12")
    with pytest.raises(NotFoundError, match="no National Indicator 'NI 999'"):
        importable_indicator("NI 999")


def test_a_good_file_is_split_by_level_with_names_and_comparisons(
    tmp_path: Path, areas: Path
) -> None:
    got = read_imported(
        _file(tmp_path, GOOD), importable_indicator("NI 5"), "Place Survey", areas, "high_is_good"
    )
    assert set(got.levels) == {"county", "lad", "ward"}
    assert got.rows == 6
    wards = got.levels["ward"].set_index("Area Code")
    assert wards.loc["E05000001", "Area Name"] == "Abbey"
    assert wards.loc["E05000001", "Area Type"] == "Ward"
    # Abbey 90 (86–94) vs its district North 80: better; Brook 79 (76–82) vs 80: similar;
    # Chase was withheld by the publisher: a missing value, not compared
    assert wards.loc["E05000001", "Compared to parent"] == "better"
    assert wards.loc["E05000002", "Compared to parent"] == "similar"
    assert math.isnan(wards.loc["E05000003", "Value"])
    assert wards.loc["E05000003", "Compared to parent"] == "not compared"
    districts = got.levels["lad"].set_index("Area Code")
    # North 80 (78–82) vs the county 75: better; South 70 (68–72): worse
    assert districts.loc["E07000001", "Compared to parent"] == "better"
    assert districts.loc["E07000002", "Compared to parent"] == "worse"
    assert wards.loc["E05000001", "Value note"] == "source: Place Survey"


@pytest.mark.parametrize(
    ("lines", "row", "column", "fragment"),
    [
        (["E99999999,2008/09,75,,,,"], 2, "Area Code", "not an area of this partnership"),
        (["E05000001,2008/09,75%,,,,"], 2, "Value", "is not a number"),
        (["E05000001,,75,,,,"], 2, "Time period", "empty"),
        (["E05000001,2008/09,75,80,90,,"], 2, "Lower CI 95.0 limit", "does not contain"),
        (["E05000001,2008/09,75,,,12,10"], 2, "Count", "larger than the Denominator"),
        (["E05000001,2008/09,75,,,-3,10"], 2, "Count", "not a whole number"),
        (["E05000001,2008/09,75,,,,", "E05000001,2008/09,76,,,,"], 3, "Area Code", "second row"),
        ([*GOOD, "E05000002,2009/10,inf,,,,"], 8, "Value", "is not a number"),
    ],
)
def test_a_bad_row_refuses_the_whole_file_naming_row_and_column(
    tmp_path: Path, areas: Path, lines: list[str], row: int, column: str, fragment: str
) -> None:
    path = _file(tmp_path, lines)
    with pytest.raises(ContractError) as info:
        read_imported(path, importable_indicator("NI 5"), "Place Survey", areas)
    message = str(info.value)
    assert message.startswith(f"{path}: row {row}, column {column!r}: "), message
    assert fragment in message
    assert message.endswith("nothing was imported")
    assert "\n" not in message


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("Area Code,Value\nE05000001,75\n", "column(s) missing: Time period"),
        (HEADER + "\n", "no rows under the header"),
        ("", "cannot be read as CSV"),
    ],
)
def test_file_level_mistakes(tmp_path: Path, areas: Path, content: str, fragment: str) -> None:
    path = tmp_path / "x.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ContractError, match=re.escape(fragment)):
        read_imported(path, importable_indicator("NI 5"), "Place Survey", areas)
    latin = tmp_path / "latin.csv"
    latin.write_bytes((HEADER + "\nE05000001,2008/09,75,,,,Ærø\n").encode("latin-1"))
    with pytest.raises(ContractError, match="not UTF-8"):
        read_imported(latin, importable_indicator("NI 5"), "Place Survey", areas)
    with pytest.raises(ContractError, match="no area list"):
        read_imported(_file(tmp_path, GOOD), importable_indicator("NI 5"), "x", None)


counts = st.one_of(st.none(), st.integers(min_value=0, max_value=60))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(counts, counts), min_size=1, max_size=20))
def test_imported_rows_never_release_a_small_count(
    rows: list[tuple[int | None, int | None]],
) -> None:
    rules = DisclosureSettings()
    table = pd.DataFrame(
        {
            "Count": [np.nan if c is None else float(c) for c, _ in rows],
            "Denominator": [np.nan if d is None else float(d) for _, d in rows],
            "Value": [float(i) for i in range(len(rows))],
        }
    )
    out, notes = protect_published_rows(table, ["Count", "Denominator"], ["Value"], rules)
    withheld = 0
    for (c, d), (_, released) in zip(rows, out.iterrows(), strict=True):
        small = any(x is not None and x <= rules.threshold for x in (c, d))
        withheld += small
        if small:  # the counts and what is derived from them are all withheld
            assert list(released) == [SUPPRESSED_MARK] * 3
            continue
        for true, shown in ((c, released["Count"]), (d, released["Denominator"])):
            if true is None:
                assert shown is None
            else:
                assert shown % rules.rounding_base == 0 and abs(shown - true) <= 2
                assert shown > rules.threshold
    assert notes == {"primary": withheld, "secondary": 0}
