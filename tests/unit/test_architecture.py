"""The layers of DESIGN.md are enforced in the test suite: a broken import-linter contract,
or a room the contracts do not name, is a failing test rather than a review comment."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "partnerhub"


def _contracts() -> list[dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return config["tool"]["importlinter"]["contracts"]


def _layer_names() -> tuple[set[str], set[str]]:
    """(rooms named plainly, rooms named as optional ``(room)``) in the layers contract."""
    (layers,) = [c for c in _contracts() if c["type"] == "layers"]
    plain: set[str] = set()
    optional: set[str] = set()
    for layer in layers["layers"]:
        for name in re.split(r"[|:]", layer):
            name = name.strip()
            if name.startswith("(") and name.endswith(")"):
                optional.add(name[1:-1].strip())
            else:
                plain.add(name)
    return plain, optional


def _rooms() -> set[str]:
    return {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}


def test_import_linter_contracts_are_kept() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"Contracts: (\d+) kept, 0 broken", done.stdout), done.stdout
    kept = int(re.search(r"Contracts: (\d+) kept", done.stdout).group(1))  # type: ignore[union-attr]
    assert kept == len(_contracts())


def test_every_room_is_in_the_layers_and_none_that_exists_is_optional() -> None:
    plain, optional = _layer_names()
    rooms = _rooms()
    # synth sits outside the layers: its own two contracts say who may import it and what it uses
    assert rooms - plain - {"synth"} == set(), "add the new room to the layers contract"
    assert optional & rooms == set(), "a room that exists must not be marked optional: (room)"
    modules = {p.stem for p in PACKAGE.glob("*.py")}  # errors, hub, keys: modules, not packages
    assert plain - rooms - modules == set()


def test_capabilities_are_independent_of_each_other() -> None:
    (layers,) = [c for c in _contracts() if c["type"] == "layers"]
    capabilities = {"indicators", "models", "causal", "events", "outcomes"}
    (layer,) = [line for line in layers["layers"] if "indicators" in re.split(r"[|:()\s]+", line)]
    names = {n.strip(" ()") for n in layer.split("|")}
    assert names == capabilities
    assert ":" not in layer  # `:` would let siblings import each other


HEAVY = ("pandas", "numpy", "scipy", "sqlalchemy", "alembic", "ibis", "duckdb", "splink")
HEAVY += ("altair", "vl_convert", "fastapi", "sklearn", "policyengine_uk", "pyarrow", "lifelines")


def test_the_cli_starts_without_heavy_libraries() -> None:
    """`partnerhub --help` (and typer's parsing of any command) loads none of them: each
    command imports what it needs when it runs."""
    code = (
        "import sys, partnerhub.cli\n"
        f"print(' '.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == []
