"""One database behind an Ibis connection, in the style of Splink's database API.

A :class:`Backend` knows how to run SQL, append an Arrow table and hold a transaction on one
engine; everything above it (the vault, the identity store) is written once against this small
interface. DuckDB (a file, the embedded default) and PostgreSQL (a schema in a database) are the
two engines now; a Spark backend would add a subclass, not change its callers.

URLs: ``duckdb:///vault/vault.duckdb`` (relative to the partnership folder),
``duckdb:////abs/path.duckdb``, ``postgresql://user@host:5432/dbname?schema=vault``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, unquote, urlsplit

import duckdb
import ibis
import pandas as pd
import pyarrow as pa
from ibis.backends import BaseBackend

from partnerhub.errors import ConfigError

__all__ = [
    "Backend",
    "DuckDBBackend",
    "PostgresBackend",
    "StagedRows",
    "connect_backend",
    "quote",
]

# canonical column type → SQL type understood by DuckDB and PostgreSQL alike
SQL_TYPES: dict[str, str] = {
    "string": "TEXT",
    "code": "TEXT",
    "integer": "BIGINT",
    "float": "DOUBLE PRECISION",
    "date": "DATE",
    "boolean": "BOOLEAN",
}


@dataclass(frozen=True)
class StagedRows:
    """Rows staged in a :meth:`Backend.staging` connection of the store itself: the query
    ``select`` (its columns are ``columns``, in that order), run on ``con`` — inside ``con``'s
    own transaction — so that they are inserted without leaving the database."""

    con: duckdb.DuckDBPyConnection
    columns: tuple[str, ...]
    select: str


def quote(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


class Backend(ABC):
    """A database the vault or identity store lives in."""

    dialect: ClassVar[str]

    def __init__(self, url: str, connection: BaseBackend) -> None:
        self.url = url
        self._ibis = connection
        self._in_transaction = False

    # -- what each engine provides -------------------------------------------------------
    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        """Run one statement."""

    @abstractmethod
    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run one query and return its rows (used for counts and bookkeeping only)."""

    @abstractmethod
    def append_arrow(self, table: str, data: pa.Table) -> None:
        """Insert ``data`` (columns named as the table's) into ``table``."""

    @abstractmethod
    def table_names(self) -> list[str]:
        """Tables of this store."""

    @abstractmethod
    def qualified(self, table: str) -> str:
        """The table's name as SQL, qualified by schema where the engine needs it."""

    # -- shared behaviour ------------------------------------------------------------------
    @property
    def ibis(self) -> BaseBackend:
        """The Ibis connection: how capabilities read the store (never to return rows to a
        person)."""
        return self._ibis

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything inside commits together or not at all."""
        if self._in_transaction:
            raise RuntimeError("transactions do not nest")
        self.execute("BEGIN")
        self._in_transaction = True
        try:
            yield
        except BaseException:
            self.execute("ROLLBACK")
            raise
        else:
            self.execute("COMMIT")
        finally:
            self._in_transaction = False

    def create_table(self, table: str, columns: Sequence[tuple[str, str]]) -> None:
        """Create ``table`` with (name, canonical type) columns if it does not exist."""
        cols = ", ".join(f"{quote(name)} {SQL_TYPES.get(kind, kind)}" for name, kind in columns)
        self.execute(f"CREATE TABLE IF NOT EXISTS {self.qualified(table)} ({cols})")

    def query_frame(
        self, sql: str, columns: Sequence[str], params: Sequence[Any] | None = None
    ) -> pd.DataFrame:
        """Run one query and return its rows as a DataFrame with ``columns`` (values as
        :meth:`query` gives them: str/None, ``datetime.date``, ...)."""
        return pd.DataFrame(self.query(sql, params), columns=list(columns))

    def count(self, table: str, where: str = "", params: Sequence[Any] | None = None) -> int:
        sql = f"SELECT count(*) FROM {self.qualified(table)}" + (f" WHERE {where}" if where else "")
        return int(self.query(sql, params)[0][0])

    def staging(self) -> duckdb.DuckDBPyConnection | None:
        """A private DuckDB connection to this database for staging a load (its temporary
        tables are its own and vanish when it closes), or None where the engine is not DuckDB
        (ingest then stages in memory and appends Arrow tables)."""
        return None

    def insert_staged(self, table: str, rows: StagedRows) -> None:
        """Insert rows staged in a :meth:`staging` connection (DuckDB only)."""
        raise NotImplementedError(f"{type(self).__name__} has no staging connection")

    def close(self) -> None:
        self._ibis.disconnect()


class DuckDBBackend(Backend):
    """A DuckDB database file (the embedded default)."""

    dialect = "duckdb"

    def __init__(self, url: str, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        super().__init__(url, ibis.duckdb.connect(str(path)))
        self._con: Any = self._ibis.con

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        self._con.execute(sql, params)

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        return list(self._con.execute(sql, params).fetchall())

    def query_frame(
        self, sql: str, columns: Sequence[str], params: Sequence[Any] | None = None
    ) -> pd.DataFrame:
        # through Arrow: the same values as query's tuples, without a Python tuple per row
        frame: pd.DataFrame = self._con.sql(sql, params=params).to_arrow_table().to_pandas()
        frame.columns = list(columns)
        return frame

    def append_arrow(self, table: str, data: pa.Table) -> None:
        self._con.register("_partnerhub_incoming", data)
        try:
            cols = ", ".join(quote(c) for c in data.column_names)
            self._con.execute(
                f"INSERT INTO {self.qualified(table)} ({cols}) "
                f"SELECT {cols} FROM _partnerhub_incoming"
            )
        finally:
            self._con.unregister("_partnerhub_incoming")

    def table_names(self) -> list[str]:
        rows = self.query(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'main' AND table_catalog = current_database() ORDER BY 1"
        )
        return [r[0] for r in rows]

    def qualified(self, table: str) -> str:
        return quote(table)

    def staging(self) -> duckdb.DuckDBPyConnection:
        cursor: duckdb.DuckDBPyConnection = self._con.cursor()
        return cursor

    def insert_staged(self, table: str, rows: StagedRows) -> None:
        cols = ", ".join(quote(c) for c in rows.columns)
        rows.con.execute(f"INSERT INTO {self.qualified(table)} ({cols}) {rows.select}")

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the file."""
        self._con.execute("CHECKPOINT")


class PostgresBackend(Backend):
    """A schema in a PostgreSQL database."""

    dialect = "postgres"

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        self.schema = query.get("schema", ["public"])[0]
        try:
            connection = ibis.postgres.connect(
                host=parts.hostname or "127.0.0.1",
                port=parts.port or 5432,
                user=unquote(parts.username or "postgres"),
                password=unquote(parts.password) if parts.password else None,
                database=parts.path.lstrip("/") or "postgres",
            )
        except Exception as exc:  # psycopg raises OperationalError subclasses
            raise ConfigError(
                f"cannot connect to the PostgreSQL store {_redact(url)}: {exc} — check the url "
                "and that the server is running"
            ) from None
        super().__init__(url, connection)
        self._con: Any = self._ibis.con
        self._con.autocommit = True
        self.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(self.schema)}")

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        with self._con.cursor() as cur:
            cur.execute(_pg_params(sql), params)

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        with self._con.cursor() as cur:
            cur.execute(_pg_params(sql), params)
            return list(cur.fetchall())

    def append_arrow(self, table: str, data: pa.Table) -> None:
        cols = ", ".join(quote(c) for c in data.column_names)
        with (
            self._con.cursor() as cur,
            cur.copy(f"COPY {self.qualified(table)} ({cols}) FROM STDIN") as copy,
        ):
            for batch in data.to_batches(max_chunksize=50_000):
                columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
                for row in zip(*columns, strict=True):
                    copy.write_row(row)

    def table_names(self) -> list[str]:
        rows = self.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY 1",
            [self.schema],
        )
        return [r[0] for r in rows]

    def qualified(self, table: str) -> str:
        return f"{quote(self.schema)}.{quote(table)}"


def _pg_params(sql: str) -> str:
    """DuckDB-style ``?`` placeholders → psycopg's ``%s`` (our SQL has no literal ``?``/``%``)."""
    return sql.replace("%", "%%").replace("?", "%s")


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url


def connect_backend(url: str, root: Path) -> Backend:
    """Open the store at ``url``; relative DuckDB paths are relative to ``root``."""
    scheme = url.split("://", 1)[0]
    if scheme == "duckdb":
        rest = url.split("://", 1)[1]
        if not rest.startswith("/"):
            raise ConfigError(f"{url}: a DuckDB url is duckdb:///relative/path or duckdb:////abs")
        path = Path(rest[1:])  # "/rel/path" → rel/path; "//abs" → /abs
        return DuckDBBackend(url, path if path.is_absolute() else root / path)
    if scheme in {"postgresql", "postgres"}:
        return PostgresBackend(url)
    raise ConfigError(f"{url}: a store url starts duckdb:// or postgresql://")
