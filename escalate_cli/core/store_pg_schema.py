"""The PostgreSQL store's schema: an ordered list of migrations, recorded in `schema_version`.

Add a migration at the end, never change one that has shipped: `escalate init` (or the first
write) runs, in order and under an advisory lock, those a database has not had yet.
"""

from __future__ import annotations

# MIGRATIONS[i] brings a schema at version i to version i + 1.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE store_meta (
        id integer PRIMARY KEY CHECK (id = 1),
        last_number bigint NOT NULL DEFAULT 0,
        doc json NOT NULL DEFAULT '{}'
    );
    INSERT INTO store_meta (id) VALUES (1);
    CREATE TABLE cases (
        number bigint PRIMARY KEY CHECK (number >= 1),
        id text NOT NULL,
        status text,
        level text,
        owner text,
        matrix text,
        severity text,
        type text,
        due_at timestamptz,
        created_at timestamptz,
        closed_at timestamptz,
        archived boolean NOT NULL DEFAULT false,
        doc json NOT NULL,
        brief json NOT NULL
    );
    CREATE INDEX cases_open ON cases (number) WHERE NOT archived;
    CREATE INDEX cases_open_status ON cases (status, level) WHERE NOT archived;
    CREATE INDEX cases_open_owner ON cases (owner) WHERE NOT archived;
    CREATE INDEX cases_open_matrix ON cases (matrix, severity, type) WHERE NOT archived;
    CREATE INDEX cases_open_due ON cases (due_at) WHERE NOT archived;
    CREATE INDEX cases_created ON cases (created_at);
    CREATE INDEX cases_closed ON cases (closed_at) WHERE archived;
    CREATE TABLE outbox (
        seq bigserial PRIMARY KEY,
        id text NOT NULL UNIQUE,
        status text NOT NULL,
        doc json NOT NULL
    );
    CREATE INDEX outbox_status ON outbox (status);
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)
