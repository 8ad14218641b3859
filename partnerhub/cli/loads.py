"""`partnerhub loads restore LOAD`: make an earlier load of a dataset current again.

An operator's command, like `ingest` (run on the hub machine, audited as the operator): after a
bad extract was loaded, the dataset goes back to a load it had before, without re-sending it.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

from partnerhub.cli.governance import DEFAULT_CONFIG, Config
from partnerhub.config import load_partnership

__all__ = ["loads_app"]

console = Console(width=None if sys.stdout.isatty() else 120)
loads_app = typer.Typer(
    help="Manage a dataset's loads (which one is current).", no_args_is_help=True
)


@loads_app.command("restore")
def loads_restore(
    load: Annotated[int, typer.Argument(help="Load number (see `partnerhub status`).")],
    config: Config = DEFAULT_CONFIG,
) -> None:
    """Make an earlier load of its dataset current again; later loads are withdrawn (kept)."""
    from partnerhub.hub import open_hub
    from partnerhub.ingest.load import restore_load

    with open_hub(load_partnership(config)) as hub, hub.writer() as stores:
        restored = restore_load(stores, load)
    ld = restored.load
    withdrawn = ", ".join(str(i) for i in restored.withdrawn) or "none"
    console.print(
        f"Load {ld.id} ({ld.partner}/{ld.dataset}, {ld.loaded or 0:,} rows) is current again; "
        f"withdrawn: {withdrawn}. Run `partnerhub link` to rebuild the person index from the "
        "current loads.",
        highlight=False,
    )
