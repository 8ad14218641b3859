"""Docs are tested: every command, option, config key and NI reference must be documented."""

from __future__ import annotations

import re
import tomllib
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


README = DOCS.parent / "README.md"


def _readme_command_lines() -> list[str]:
    """Every `partnerhub` command line in the README's shell blocks."""
    text = README.read_text()
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            line = line.split("  #")[0].strip()
            if line.startswith((".venv/bin/partnerhub ", "partnerhub ")):
                lines.append(line)
    return lines


def test_readme_tells_a_newcomer_how_to_run_the_cli() -> None:
    """Issue 14 item 10: prerequisites, where the CLI is, `-c`, and how to make an IG officer."""
    text = README.read_text()
    for fact in (
        "Chromium",
        "PostgreSQL",
        ".venv/bin/partnerhub",
        "source .venv/bin/activate",
        "-c demo-data/partnership.toml",
        "indicators list -c demo-data/partnership.toml",
        "--role ig_officer",
        "audit verify",
    ):
        assert fact in text, fact


def test_readme_commands_exist_with_the_options_they_use() -> None:
    """A command line the README shows must parse: each subcommand and option exists."""
    import shlex

    lines = _readme_command_lines()
    assert len(lines) >= 4
    root = typer.main.get_command(app)
    for line in lines:
        words = shlex.split(line)[1:]
        command = root  # typer's groups have `commands` (typer vendors its own click)
        while hasattr(command, "commands") and words and not words[0].startswith("-"):
            sub = command.commands.get(words[0])
            assert sub is not None, f"README: {line!r}: no command {words[0]!r}"
            command, words = sub, words[1:]
        assert not hasattr(command, "commands"), f"README: {line!r} names no command"
        options = {o for p in command.params for o in getattr(p, "opts", [])}
        for word in words:
            if word.startswith("-"):
                assert word.split("=")[0] in options, f"README: {line!r}: no option {word!r}"


def test_contributing_explains_every_marker_test_folder_and_room() -> None:
    root = DOCS.parent
    text = (root / "CONTRIBUTING.md").read_text()
    config = tomllib.loads((root / "pyproject.toml").read_text())
    markers = [m.split(":")[0].strip() for m in config["tool"]["pytest"]["ini_options"]["markers"]]
    assert {"slow", "e2e"} <= set(markers)
    for marker in markers:
        assert re.search(rf"`{marker}` — \w", text), f"marker {marker} is not explained"
    folders = [p.name for p in (root / "tests").iterdir() if p.is_dir() and p.name[0] != "_"]
    assert {"unit", "spec", "integration", "e2e"} <= set(folders)
    for folder in set(folders) - {"data"}:  # tests/data holds fixtures, not tests
        assert f"`tests/{folder}`" in text, f"tests/{folder} is not described"
    package = root / "partnerhub"
    rooms = [p.name for p in package.iterdir() if (p / "__init__.py").is_file()]
    assert "indicators" in rooms
    for room in rooms:
        assert f"| `{room}` |" in text, f"room {room} is missing from the rooms table"
