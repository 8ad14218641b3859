"""The link threshold reaches DuckDB as a bound parameter, never as text in the SQL (the
ruff S608 exemption of ``partnerhub/identity`` claims every value is bound)."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from partnerhub.identity import link_records, prepare_records
from partnerhub.identity import model as link_model

THRESHOLD = 0.987654321  # a value no SQL text would contain by chance
GIVEN = ["ANN", "BOB", "CY", "DI", "EVE", "FAY", "GUS", "HAL", "IDA", "JO", "KAY", "LEN"]
FAMILY = ["LEE", "SMITH", "JONES", "BROWN", "GREEN", "WHITE", "BLACK", "GREY", "HILL", "WOOD"]


def _people(n: int, seed: int) -> pd.DataFrame:
    """``n`` people known to housing; most also known to revenues, some with a typo or a
    move, so pairs are scored on both sides of the threshold."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        dob = f"19{rng.randint(30, 99)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
        postcode = f"XP{rng.randint(1, 4)} {rng.randint(1, 9)}AB"
        person = {"given_name": given, "family_name": family, "date_of_birth": dob}
        rows.append({"partner": "housing", "record_key": f"h{i}", **person, "postcode": postcode})
        if rng.random() < 0.7:
            twin = dict(person)
            if rng.random() < 0.3:
                twin["given_name"] = given[:-1] + "X"
            moved = f"XP{rng.randint(1, 4)} {rng.randint(1, 9)}CD"
            rows.append(
                {
                    "partner": "revenues",
                    "record_key": f"r{i}",
                    **twin,
                    "postcode": postcode if rng.random() < 0.6 else moved,
                }
            )
    frame = pd.DataFrame(rows)
    frame["nhs_number"] = None
    frame["sex"] = None
    return frame


def _logged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Make every linkage engine log its queries to a folder (the engine is closed at the
    end of a run, so the log is kept in files)."""
    logs = tmp_path / "query-log"
    engine = link_model.connect_engine

    def logging_engine(memory_limit: str, temp_directory: Path) -> duckdb.DuckDBPyConnection:
        con = engine(memory_limit, temp_directory)
        con.execute(
            "CALL enable_logging('QueryLog', storage = 'file', storage_path = ?)",
            [str(logs)],
        )
        return con

    monkeypatch.setattr(link_model, "connect_engine", logging_engine)
    return logs


def _queries(logs: Path) -> list[str]:
    with (logs / "duckdb_log_entries.csv").open(newline="") as file:
        return [row["message"] for row in csv.DictReader(file) if row["type"] == "QueryLog"]


@pytest.mark.slow  # two small link runs and the diagnostics charts: about 10 s
def test_the_link_threshold_is_bound_not_written_into_sql(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    logs = _logged(tmp_path, monkeypatch)
    source = _people(60, seed=7)
    full = link_records(prepare_records(source).records, threshold=THRESHOLD)
    # the run really compared scores with the threshold: links at or above it, review below
    assert len(full.edges) > 0 and len(full.review) > 0
    assert (full.review["match_probability"] < THRESHOLD).all()
    queries = _queries(logs)
    assert not [q for q in queries if "987654" in q]
    assert any("match_probability >= ?" in q for q in queries)
    assert any("match_probability < $threshold" in q for q in queries)

    # incremental: new records scored against the earlier model, links kept
    more = pd.concat([source, _people(8, seed=8).assign(partner="fire")], ignore_index=True)
    prepared = prepare_records(more).records
    incremental = link_records(
        prepared,
        threshold=THRESHOLD,
        model=full.model,
        previous_edges=full.edges,
        previous_nodes=set(prepare_records(source).records["unique_id"]),
        diagnostics=tmp_path / "diagnostics",
    )
    assert len(incremental.edges) >= len(full.edges)
    queries = _queries(logs)
    assert not [q for q in queries if "987654" in q]
    assert any("match_probability >= $threshold" in q for q in queries)  # diagnostics
