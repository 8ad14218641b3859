"""Docs are tested: every command, option, config key and NI reference must be documented."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from partnerhub.cli import app
from partnerhub.config import Partnership
from partnerhub.schema import builtin_contract

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_cli_command_and_option_is_in_docs_cli() -> None:
    text = (DOCS / "cli.md").read_text()
    group = typer.main.get_command(app)
    assert hasattr(group, "commands")
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        assert f"`partnerhub {name}" in text, name
        sub = getattr(command, "commands", {})
        for sub_name in sub:  # a group: each subcommand is named too
            assert re.search(rf"{name} [a-z|]*\b{sub_name}\b", text), f"{name} {sub_name}"
        for c in [command, *sub.values()]:
            for param in c.params:
                for opt in getattr(param, "opts", []):
                    if opt.startswith("--") and opt != "--help":
                        assert opt in text, f"{name} {opt}"


def _keys(model: type, prefix: str = "") -> list[str]:
    out = []
    for name, field in model.model_fields.items():  # type: ignore[attr-defined]
        if field.exclude:
            continue
        key = field.alias or name
        ann = field.annotation
        args = getattr(ann, "__args__", ())
        inner = next((a for a in (ann, *args) if hasattr(a, "model_fields")), None)
        if inner is not None:
            sub = f"{prefix}{key}[]." if args and ann is not inner else f"{prefix}{key}."
            out += _keys(inner, sub)
        else:
            out.append(f"{prefix}{key}")
    return out


def test_every_config_key_is_in_docs_configuration() -> None:
    text = (DOCS / "configuration.md").read_text()
    keys = _keys(Partnership)
    assert "partner[].dataset[].contract" in keys
    for key in keys:
        assert f"`{key}`" in text, key


def test_national_indicator_table_matches_the_contracts() -> None:
    text = (DOCS / "national-indicators.md").read_text()
    rows = [line for line in text.splitlines() if line.startswith(("| NI ", "| ASCOF"))]
    indicators = {row.split("|")[1].strip() for row in rows}
    assert len(indicators) >= 30
    refs = re.findall(r"`([a-z_]+):([a-z_,0-9]+)`", "\n".join(rows))
    assert refs
    for contract_name, fields in refs:
        contract = builtin_contract(contract_name)
        targets = {c.maps_to for c in contract.columns} | set(contract.constants)
        for field in fields.split(","):
            assert field in targets, f"{contract_name}:{field}"


def test_every_indicator_spec_is_in_docs_indicators() -> None:
    from partnerhub.indicators.spec import load_library

    text = (DOCS / "indicators.md").read_text()
    for spec in load_library():
        assert f"| {spec.id} |" in text, spec.id
        assert spec.path is not None and f"`{spec.path.name}`" in text, spec.id
