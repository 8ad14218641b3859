"""Dataset contracts: every shipped contract is valid; mistakes are named precisely."""

from __future__ import annotations

import tomllib
from importlib import resources

import pytest

from partnerhub.errors import ContractError, NotFoundError
from partnerhub.schema import (
    CANONICAL_TABLES,
    CODE_LISTS,
    builtin_contract,
    builtin_contract_names,
    diagnosis_group,
    parse_contract,
)

EXPECTED_PARTNERS = {
    "asc",
    "acute",
    "gp",
    "registrar",
    "police",
    "housing",
    "revenues",
    "education",
    "fire",
    "voluntary",
    "areas",  # the area-level returns (operation, resource)
}


def raw(name: str) -> dict[str, object]:
    text = (resources.files("partnerhub.schema") / "contracts" / f"{name}.toml").read_text()
    return tomllib.loads(text)


def test_every_builtin_contract_is_valid_and_partners_are_covered() -> None:
    names = builtin_contract_names()
    contracts = [builtin_contract(n) for n in names]
    assert {c.partner for c in contracts} == EXPECTED_PARTNERS
    for name, c in zip(names, contracts, strict=True):
        assert name == f"{c.partner}_{c.dataset}"
        table = CANONICAL_TABLES[c.table]
        # a dataset of people names its local id; an area-level one holds no person
        assert (c.column_for("local_id") is not None) == (table.kind == "attribute")
        assert c.is_area_level == (table.kind == "area")
        targets = {col.maps_to for col in c.columns} | set(c.constants)
        for column in table.columns:
            if column.required and column.name not in {"partner", "record_key"}:
                assert column.name in targets, (name, column.name)


def test_partners_look_different() -> None:
    """Each partner has its own column names and date formats (no copy-paste extracts)."""
    contracts = [builtin_contract(n) for n in builtin_contract_names()]
    dob_names = {c.partner: c.column_for("date_of_birth") for c in contracts}
    names = {col.name for col in dob_names.values() if col is not None}
    assert len(names) >= 5
    formats = {c.file.date_format for c in contracts}
    assert len(formats) >= 4
    encodings = {c.file.encoding for c in contracts}
    assert {"utf-8", "cp1252"} <= encodings
    assert len({c.file.delimiter for c in contracts}) >= 2


def test_codes_map_onto_canonical_lists() -> None:
    c = builtin_contract("acute_spells")
    method = c.column_for("admission_method")
    assert method is not None and method.codes is not None
    assert method.codes["21"] == "emergency"
    assert set(method.codes.values()) <= set(CODE_LISTS["admission_method"])
    assert c.local_codes(method)["elective"] == "11"


def test_unknown_builtin_lists_the_known_ones() -> None:
    with pytest.raises(NotFoundError, match="acute_spells"):
        builtin_contract("acute_spelz")


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.update(table="hospital"), "not a canonical attribute or area table"),
        (lambda d: d["column"][9].update(maps_to="admision_date"), "is not a field of"),
        (lambda d: d["column"].pop(0), "no column maps to `local_id`"),
        (lambda d: d["column"][11].update(codes={"21": "urgent"}), "unknown canonical codes"),
        (lambda d: d["column"][9].update(format="%d/%m"), "does not hold a full date"),
        (lambda d: d["column"][9].update(type="string"), "type string but admission_date is date"),
        (lambda d: d["file"].update(encoding="klingon"), "unknown encoding"),
        (lambda d: d["column"].pop(9), "required hospital_spell columns not mapped"),
        (lambda d: d["column"].append(dict(d["column"][1])), "appears twice"),
    ],
)
def test_contract_mistakes(mutate: object, expected: str) -> None:
    data = raw("acute_spells")
    mutate(data)  # type: ignore[operator]
    with pytest.raises(ContractError, match=expected) as info:
        parse_contract(data, "contracts/acute_spells.toml")
    assert str(info.value).startswith("contracts/acute_spells.toml: ")


@pytest.mark.parametrize(
    ("code", "group"),
    [
        ("S72.0", "hip_fracture"),
        ("S722", "hip_fracture"),
        ("S52.5", "other"),
        ("W19", "fall"),
        ("F03", "dementia"),
        ("F10.2", "alcohol_specific"),
        ("I48", "alcohol_related"),
        ("I21.9", "circulatory"),
        ("C34.9", "cancer"),
        ("X61", "self_harm"),
        ("", None),
        (None, None),
    ],
)
def test_diagnosis_groups(code: str | None, group: str | None) -> None:
    assert diagnosis_group(code) == group


def area_raw() -> dict[str, object]:
    return raw("areas_operations")


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda d: d["column"].append({"name": "ID", "maps_to": "local_id"}),
            "maps_to 'local_id' is not a field of operation",
        ),
        (
            lambda d: d["column"].append({"name": "NHS", "maps_to": "nhs_number"}),
            "holds no person",
        ),
        (lambda d: d["column"].pop(1), "required operation columns not mapped: area_code"),
        (
            lambda d: d["column"][6].update(type="string", minimum=None),
            "type string but value is float",
        ),
        (lambda d: d["column"][1].update(minimum=0), "`minimum` applies only to number columns"),
        (lambda d: d["column"][5].update(codes={"x": "hours"}), "unknown canonical codes"),
        (lambda d: d.update(encoded=True), "never encoded"),
        (lambda d: d["column"].append(dict(d["column"][1])), "appears twice"),
    ],
)
def test_area_contract_mistakes(mutate: object, expected: str) -> None:
    data = area_raw()
    mutate(data)  # type: ignore[operator]
    with pytest.raises(ContractError, match=expected):
        parse_contract(data, "contracts/areas_operations.toml")


def test_area_contract_partner_defaults_to_the_contracts_partner() -> None:
    """A partner sending only its own figures may leave out the partner column."""
    data = area_raw()
    data["column"] = [c for c in data["column"] if c["maps_to"] != "partner"]  # type: ignore[attr-defined,union-attr]
    c = parse_contract(data, "x")
    assert c.is_area_level and c.column_for("partner") is None
