"""What every output kind shares: its provenance, the declarative query its fields come from,
what the gate gives it to build with, and what it hands back to be stored."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from partnerhub.disclosure import DisclosureSettings
from partnerhub.errors import UserError
from partnerhub.vault import ScopedVault, Vault

__all__ = [
    "BuildContext",
    "DatasetFields",
    "FieldQuery",
    "Output",
    "OutputRequest",
    "Provenance",
]

Field = tuple[str, str, str]  # (partner, dataset, field)


@dataclass(frozen=True)
class Provenance:
    """Typed provenance of a release (stored beside its ``query`` JSON): which capability
    made it, about what (an indicator id, a dataset), at which area level, over which periods
    (first and last label)."""

    capability: str
    subject: str
    level: str | None = None
    periods: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        if not self.capability or not self.subject:
            raise ValueError("a release's provenance names its capability and subject")


class FieldQuery(Protocol):
    """A declarative query: the gate derives the fields a release may read from it."""

    def fields(self, dataset_tables: Mapping[tuple[str, str], str]) -> list[Field]: ...


@dataclass(frozen=True)
class DatasetFields:
    """The simplest declarative query: named fields of one partner dataset."""

    partner: str
    dataset: str
    names: tuple[str, ...]

    def fields(self, dataset_tables: Mapping[tuple[str, str], str]) -> list[Field]:
        if (self.partner, self.dataset) not in dataset_tables:
            raise UserError(
                f"no dataset {self.partner}/{self.dataset} has been loaded — check the partner "
                "and dataset ids (partnerhub status lists them)"
            )
        return [(self.partner, self.dataset, n) for n in self.names]


@dataclass(frozen=True)
class Output:
    """What an output kind hands the gate to store: the released content and its metadata."""

    title: str
    query: dict[str, Any]  # stored as the release's ``query`` JSON
    provenance: Provenance
    content: str
    media_type: str
    notes: dict[str, int]  # suppression counts (for the audit and the IG officer)
    cells: int
    released_rows: int | None = None
    settings: DisclosureSettings | None = None  # when not the agreement's (public figures)
    audit: dict[str, Any] = field(default_factory=dict)  # more for the audit entry


class BuildContext:
    """What the gate gives an output kind to build with: the agreement's disclosure settings,
    the fields authorised, and a read-only vault scoped to them."""

    def __init__(
        self,
        settings: DisclosureSettings,
        fields: Sequence[Field],
        dataset_tables: Mapping[tuple[str, str], str],
        open_vault: Callable[[], Vault] | None,
        level_areas: Callable[[str], dict[str, str]],
        recipient: str = "",
    ) -> None:
        self.settings = settings
        self.recipient = recipient  # the partner that receives the output
        self.fields = list(fields)
        self.dataset_tables = dict(dataset_tables)
        self._open_vault = open_vault
        self.level_areas = level_areas  # level → every area of it → its district

    @contextmanager
    def vault(self) -> Iterator[ScopedVault]:
        """The vault, scoped to the authorised fields (closed after use)."""
        if self._open_vault is None:
            raise UserError("this gate has no vault to compute from")
        vault = self._open_vault()
        try:
            yield ScopedVault(vault, self.fields, self.dataset_tables)
        finally:
            vault.close()

    def build(self, builder: Callable[[Vault], Any]) -> Any:
        with self.vault() as scoped:
            return builder(scoped)


class OutputRequest(Protocol):
    """One output kind's request to :meth:`partnerhub.governance.Gate.release`."""

    kind: ClassVar[str]  # the release's output kind
    authorised_as: ClassVar[str]  # the output kind an agreement must permit

    @property
    def purpose(self) -> str:
        """The purpose the output is for (checked against the agreement)."""
        ...

    def fields(self, dataset_tables: Mapping[tuple[str, str], str]) -> list[Field]:
        """The fields it reads, from its declarative query (checked against the agreement)."""
        ...

    def produce(self, context: BuildContext) -> Output:
        """Build in the scoped vault, apply its disclosure rule and minimisation."""
        ...
