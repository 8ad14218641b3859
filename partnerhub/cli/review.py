"""`partnerhub review list|decide`: clerical review of uncertain pairs, for identity stewards.

The only command that shows identifiers to a person: it needs an identity steward's token,
and every view and every decision is audited.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from partnerhub.cli.governance import DEFAULT_CONFIG, Config, Token
from partnerhub.config import load_partnership
from partnerhub.errors import AuthenticationError, NotFoundError, PermissionDeniedError, UserError

if TYPE_CHECKING:
    import pandas as pd

    from partnerhub.control import ControlPlane
    from partnerhub.hub import Hub
    from partnerhub.vault import IdentityStore

__all__ = ["review_app"]

console = Console(width=None if sys.stdout.isatty() else 160)
review_app = typer.Typer(
    help="Clerical review of uncertain pairs (identity stewards).", no_args_is_help=True
)
_SHOWN = ("partner", "given_name", "family_name", "dob", "sex", "postcode", "nhs_number")


def _steward(hub: Hub, token: str | None) -> str:
    from partnerhub.governance import authenticate, may

    who = authenticate(hub.control, token)
    if who.is_public:
        raise AuthenticationError("review shows identifiers: pass your --token")
    if not may(who.role, "review_pairs"):
        raise PermissionDeniedError(f"only identity stewards review pairs; you are {who.role}")
    return who.name


def _queue(control: ControlPlane, identity: IdentityStore) -> tuple[int, pd.DataFrame]:
    """The latest run's review pairs not yet decided, with their pair ids."""
    from partnerhub.identity.review import pair_id

    run = control.latest_link_run()
    if run is None:
        raise UserError("no link run yet — run `partnerhub link` first")
    pairs = identity.review_pairs(run.id)
    decided = control.review_decisions()
    done = set(zip(decided["unique_id_l"], decided["unique_id_r"], strict=True))
    pairs = pairs[
        [
            (a, b) not in done
            for a, b in zip(pairs["unique_id_l"], pairs["unique_id_r"], strict=True)
        ]
    ].reset_index(drop=True)
    pairs.insert(
        0,
        "pair",
        [pair_id(a, b) for a, b in zip(pairs["unique_id_l"], pairs["unique_id_r"], strict=True)],
    )
    return run.id, pairs


def _identifiers(control: ControlPlane, identity: IdentityStore) -> pd.DataFrame:
    import pandas as pd

    from partnerhub.identity.prepare import prepare_records

    loads = [ld.id for ld in control.current_loads().values()]
    source = identity.records_for_linkage(loads)
    if source.empty:
        return pd.DataFrame(columns=["unique_id", *_SHOWN])
    records = prepare_records(source).records
    return records[["unique_id", *[c for c in _SHOWN if c in records.columns]]].drop_duplicates(
        "unique_id"
    )


@review_app.command("list")
def review_list(
    limit: Annotated[int, typer.Option(help="How many pairs to show.")] = 20,
    token: Token = None,
    config: Config = DEFAULT_CONFIG,
) -> None:
    """The undecided pairs of the latest link run, most likely matches first, with both
    records' identifiers side by side. Audited."""
    from partnerhub.hub import open_hub

    # a reader: the identity store is read, only the audit log (control plane) written
    with open_hub(load_partnership(config)) as hub, hub.reading_identity() as identity:
        steward = _steward(hub, token)
        run_id, pairs = _queue(hub.control, identity)
        shown = pairs.head(limit)
        ids = _identifiers(hub.control, identity).set_index("unique_id")
        hub.audit.append(
            steward, "review_view", f"link run {run_id}", {"pairs": list(shown["pair"])}
        )
    table = Table(title=f"Clerical review: link run {run_id}, {len(pairs)} undecided pair(s)")
    for col in ("pair", "p(match)", "record", *_SHOWN):
        table.add_column(col, no_wrap=col in ("pair", "dob", "nhs_number"))
    for row in shown.itertuples(index=False):
        for side, uid in (("A", row.unique_id_l), ("B", row.unique_id_r)):
            values: dict[str, Any] = ids.loc[uid].to_dict() if uid in ids.index else {}
            table.add_row(
                row.pair if side == "A" else "",
                f"{row.match_probability:.3f}" if side == "A" else "",
                side,
                *(_show(values.get(c)) for c in _SHOWN),
            )
    console.print(table)
    if not len(pairs):
        console.print("nothing to review.")
    else:
        console.print(
            "decide with `partnerhub review decide PAIR --match` (or `--non-match`); "
            "decisions apply from the next `partnerhub link`."
        )


def _show(value: Any) -> str:
    import pandas as pd

    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "—"
    return str(value)


@review_app.command("decide")
def review_decide(
    pair: str,
    match: Annotated[bool, typer.Option("--match/--non-match", help="Same person, or not.")],
    token: Token = None,
    config: Config = DEFAULT_CONFIG,
) -> None:
    """Record your decision on a pair (audited). The next `partnerhub link` links or unlinks
    it, and a full run re-estimates the model's m probabilities from the match decisions."""
    from partnerhub.hub import open_hub

    with open_hub(load_partnership(config)) as hub, hub.writer() as stores:
        steward = _steward(hub, token)
        run_id, pairs = _queue(stores.control, stores.identity)
        found = pairs[pairs["pair"] == pair]
        if found.empty:
            raise NotFoundError(
                f"no undecided pair {pair!r} in link run {run_id} — `partnerhub review list` "
                "shows them"
            )
        row = found.iloc[0]
        decision = "match" if match else "non_match"
        stores.control.record_review_decision(
            row.unique_id_l,
            row.unique_id_r,
            decision,
            steward,
            run_id,
            float(row.match_probability),
            on_commit=lambda s: stores.audit.append(
                steward,
                "review_decision",
                f"pair {pair}",
                {"decision": decision, "link_run": run_id},
                session=s,
            ),
        )
        stores.audit.write_anchor()
    console.print(f"pair {pair}: {decision.replace('_', '-')} recorded.")
