"""partnership.toml parsing: valid examples load; mistakes name the file, key and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from partnerhub.config import EXAMPLE_PARTNERSHIP_TOML, load_partnership, write_example
from partnerhub.errors import ConfigError, UserError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "partnership.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_loads_and_resolves_relative_paths(tmp_path: Path) -> None:
    path = write_example(tmp_path / "p" / "partnership.toml")
    settings = load_partnership(path)
    assert settings.partnership.name == "Partnershire Local Partnership"
    assert [p.id for p in settings.partners] == ["asc", "acute"]
    assert settings.partner("acute").datasets[0].contract == "builtin:acute_spells"
    lookup = settings.resolve(settings.geography.postcode_lookup)
    assert lookup == (tmp_path / "p" / "geography" / "postcode_lookup.csv").resolve()
    assert settings.vault.url.startswith("duckdb://")
    assert settings.linkage.memory_limit == "4GB"
    spill = settings.resolve(settings.linkage.temp_directory)
    assert spill == (tmp_path / "p" / "identity" / "linkage-spill").resolve()


def test_write_example_refuses_to_overwrite(tmp_path: Path) -> None:
    path = write_example(tmp_path / "partnership.toml")
    with pytest.raises(UserError, match="already exists — pass --force"):
        write_example(path)
    write_example(path, force=True)


def test_missing_file_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="partnerhub init"):
        load_partnership(tmp_path / "nope.toml")


def test_bad_toml_syntax(tmp_path: Path) -> None:
    path = write(tmp_path, "[partnership\nname = 1\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_partnership(path)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (('sector = "council"', 'sector = "counsel"'), r"partner\.0\.sector: Input should be"),
        (('name = "Partnershire Local Partnership"\n', ""), r"partnership\.name: Field required"),
        (("[vault]\n", "[vault]\nurl2 = 1\n"), r"vault\.url2: Extra inputs.*remove it"),
        (('url = "duckdb:///vault/vault.duckdb"', 'url = "mysql://x"'), r"vault.*duckdb://"),
        (('id = "acute"', 'id = "asc"'), r"partner id\(s\) \['asc'\] appear more than once"),
        (('id = "spells"', 'id = "Spells!"'), r"partner\.1\.dataset\.0\.id: String should match"),
        (('memory_limit = "4GB"', 'memory_limit = "lots"'), r"linkage\.memory_limit: String"),
    ],
)
def test_mistakes_name_file_key_and_fix(
    tmp_path: Path, edit: tuple[str, str], expected: str
) -> None:
    old, new = edit
    assert old in EXAMPLE_PARTNERSHIP_TOML
    path = write(tmp_path, EXAMPLE_PARTNERSHIP_TOML.replace(old, new, 1))
    with pytest.raises(ConfigError, match=expected) as info:
        load_partnership(path)
    message = str(info.value)
    assert str(path) in message
    assert "\n" not in message


def test_settings_are_frozen(tmp_path: Path) -> None:
    settings = load_partnership(write_example(tmp_path / "partnership.toml"))
    with pytest.raises(ValueError, match="frozen"):
        settings.partnership.name = "x"  # type: ignore[misc]
