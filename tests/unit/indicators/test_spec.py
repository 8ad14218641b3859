"""Indicator specs: the library loads; a mistake names the file, the field and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from partnerhub.indicators.periods import parse_period, periods_between
from partnerhub.indicators.spec import LIBRARY, IndicatorSpecError, load_library, load_spec

GOOD = (LIBRARY / "ni_015.toml").read_text()


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "ni_999.toml"
    path.write_text(text)
    return path


def test_every_spec_cites_its_definition() -> None:
    specs = load_library()
    assert len(specs) >= 30
    for s in specs:
        assert "20" in s.definition, s.id  # a dated source (Handbook of Definitions 2008, ...)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('polarity = "low_is_good"', 'polarity = "lowish"'), "polarity"),
        (('statistic = "crude_rate"', 'statistic = "ratio"'), "statistic"),
        (('table = "crime"', 'table = "crimes"'), "no attribute table 'crimes'"),
        (('field = "offence_group"', 'field = "offence"'), "has no field 'offence'"),
        (('[denominator]\npopulation = "registered"\n', ""), "needs a population"),
        (("multiplier = 1000\n", 'multiplier = 1000\ncolour = "red"\n'), "colour"),
        (
            ('sources = ["police/crimes", "gp/registrations"]', 'sources = ["police"]'),
            "partner/dataset",
        ),
    ],
)
def test_a_mistake_names_file_field_and_fix(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    old, new = change
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(IndicatorSpecError) as err:
        load_spec(path)
    message = str(err.value)
    assert str(path) in message and expected in message
    assert "—" in message and "\n" not in message  # one line, with the fix


def test_not_toml_and_duplicate_ids(tmp_path: Path) -> None:
    with pytest.raises(IndicatorSpecError, match="not valid TOML"):
        load_spec(_write(tmp_path, "id = "))
    (tmp_path / "a.toml").write_text(GOOD)
    (tmp_path / "b.toml").write_text(GOOD)
    (tmp_path / "ni_999.toml").unlink()
    with pytest.raises(IndicatorSpecError, match="also the id of"):
        load_library(tmp_path)


def test_periods() -> None:
    quarters = periods_between(
        "quarter", __import__("datetime").date(2021, 4, 1), __import__("datetime").date(2022, 3, 31)
    )
    assert [q.label for q in quarters] == ["2021/22 Q1", "2021/22 Q2", "2021/22 Q3", "2021/22 Q4"]
    assert (
        quarters[3].start.isoformat() == "2022-01-01"
        and quarters[3].end.isoformat() == "2022-04-01"
    )
    fy = parse_period("financial_year", "2023/24")
    assert (fy.start.isoformat(), fy.end.isoformat(), fy.reference().isoformat()) == (
        "2023-04-01",
        "2024-04-01",
        "2023-10-01",
    )
