"""The change feed that keeps every process's index in step with the database.

Database triggers (migration 0008) write a row to `IndexChange` for every change that can alter a
recommendation, in the transaction of the change: an opportunity written or deleted, its themes,
languages, eligibility or embedding, a match that took or freed capacity, an organization that moved
country, a country that joined or left a group, a vocabulary term, the stored ranking weights. Each row names what to read again
("opportunity 42"), never what changed, so applying a row twice does no harm; what matters is that no
row is missed. Each process reads the rows it has not seen at every call (one indexed query).

PostgreSQL: rows are read by the id of the transaction that wrote them. Transactions commit in any
order, so a reader keeps a horizon, the oldest transaction still running when it last read
(`pg_snapshot_xmin`): every transaction below it has ended, and every row it wrote was visible to
that read. The next read asks again for rows of transactions at or above the horizon and skips
those it has seen. A long transaction holds the horizon back; it does not lose rows.

SQLite: one transaction writes at a time and the row ids follow the commits: the reader keeps the
last id read.

Its own uncommitted writes are visible to a process's connection: they are applied at once (a
request sees what it just wrote), and their keys are read again at every call until the
transaction has ended, so that a rollback is undone in the index as well. An index built inside such
a transaction takes its rows as its own from the start (on SQLite, where they cannot be told apart,
it is built anew once the transaction has ended).

Rows older than RETENTION are deleted by the readers (at most once an hour per process); a process
that has not read for half of RETENTION builds its index again instead of reading.
"""

import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from matchmaking.models import IndexChange

RETENTION = timedelta(days=1)
PRUNE_EVERY = 3600.0  # seconds

_TABLE = IndexChange._meta.db_table


@dataclass
class Changes:
    """What a read of the feed asks to read again."""

    opportunities: set = field(default_factory=set)
    organizations: set = field(default_factory=set)
    countries: set = field(default_factory=set)
    weights: bool = False  # the stored ranking weights changed
    everything: bool = False  # the vocabulary changed, or the opportunities were emptied

    def add(self, kind, key):
        if kind == IndexChange.Kind.OPPORTUNITY:
            self.opportunities.add(int(key))
        elif kind == IndexChange.Kind.ORGANIZATION:
            self.organizations.add(int(key))
        elif kind == IndexChange.Kind.COUNTRY:
            self.countries.add(key)
        elif kind == IndexChange.Kind.WEIGHTS:
            self.weights = True
        else:
            self.everything = True

    def __bool__(self):
        return bool(
            self.opportunities or self.organizations or self.countries or self.weights or self.everything
        )


class Feed:
    """Where one process stands in the change feed. Not thread-safe: the index reads it under its lock."""

    def __init__(self):
        self.postgresql = connection.vendor == "postgresql"
        self.horizon = 0  # PostgreSQL: rows of transactions from here on may still be unseen
        self.seen = {}  # PostgreSQL: id -> transaction of rows read at or above the horizon
        self.last_id = 0  # SQLite: the last row read outside a transaction
        self.own = {}  # transaction (None on SQLite) -> (kind, key) written by this process, not yet ended
        self.started_in_transaction = False  # SQLite: built from a transaction's uncommitted writes
        self.read_at = time.monotonic()
        self.pruned_at = time.monotonic()

    @classmethod
    def start(cls):
        """A reader positioned before everything the caller reads next: rows written from now on,
        and rows of transactions still running, will be read."""
        feed = cls()
        with connection.cursor() as cursor:
            if feed.postgresql:
                cursor.execute(
                    "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint,"
                    " pg_current_xact_id_if_assigned()::text::bigint"
                )
                feed.horizon, own = cursor.fetchone()
                if own is not None:  # what is read next includes this transaction's writes: own them
                    cursor.execute(f"SELECT kind, key FROM {_TABLE} WHERE txid = %s", [own])
                    feed.own[own] = set(cursor.fetchall())
            else:
                # which rows are this transaction's is not known: built anew once it has ended
                feed.started_in_transaction = connection.in_atomic_block
                cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {_TABLE}")
                feed.last_id = cursor.fetchone()[0]
        return feed

    @property
    def idle_too_long(self):
        """True when rows this process has not read may have been pruned."""
        return time.monotonic() - self.read_at > RETENTION.total_seconds() / 2

    def read(self):
        """The changes since the last read (as Changes)."""
        changes = Changes()
        if self.postgresql:
            self._read_postgresql(changes)
        else:
            self._read_sqlite(changes)
        self.read_at = time.monotonic()
        if self.read_at - self.pruned_at > PRUNE_EVERY:
            self.pruned_at = self.read_at
            prune()
        return changes

    def _read_postgresql(self, changes):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint,"
                " pg_current_xact_id_if_assigned()::text::bigint, c.id, c.txid, c.kind, c.key"
                f" FROM (SELECT 1) AS one LEFT JOIN {_TABLE} AS c ON c.txid >= %s ORDER BY c.id",
                [self.horizon],
            )
            rows = cursor.fetchall()
        horizon, own = rows[0][0], rows[0][1]
        for _, _, row_id, txid, kind, key in rows:
            if row_id is None or row_id in self.seen:
                continue
            self.seen[row_id] = txid
            changes.add(kind, key)
            if txid == own:
                self.own.setdefault(txid, set()).add((kind, key))
        for txid, keys in list(self.own.items()):
            for kind, key in keys:
                changes.add(kind, key)
            if txid != own and txid < horizon:  # ended: this was the read after its end
                del self.own[txid]
        self.horizon = horizon
        self.seen = {row_id: txid for row_id, txid in self.seen.items() if txid >= horizon}

    def _read_sqlite(self, changes):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id, kind, key FROM {_TABLE} WHERE id > %s ORDER BY id", [self.last_id])
            rows = cursor.fetchall()
        in_transaction = connection.in_atomic_block
        if self.started_in_transaction and not in_transaction:
            changes.everything = True
        for _, kind, key in rows:
            changes.add(kind, key)
            if in_transaction:  # maybe this transaction's own rows: read again until it ended
                self.own.setdefault(None, set()).add((kind, key))
        for kind, key in self.own.get(None, ()):
            changes.add(kind, key)
        if not in_transaction:
            self.own.clear()
            if rows:
                self.last_id = rows[-1][0]


def prune(now=None):
    """Deletes the rows older than RETENTION."""
    IndexChange.objects.filter(created_at__lt=(now or timezone.now()) - RETENTION).delete()
