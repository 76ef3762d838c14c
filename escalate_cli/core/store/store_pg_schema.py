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
    # What each case adds to `escalate metrics` (core/documents/metrics.py `figures`), beside the
    # case, so metrics sums a narrow table in SQL instead of reading every case. `exact` is false
    # for a case whose figures these columns cannot hold: metrics then reads the cases, as on a
    # JSON store, and reports what is wrong. Rows of cases written before are filled by `prepare`.
    """
    CREATE TABLE case_metrics (
        number bigint PRIMARY KEY,
        matrix text,
        created_at timestamptz,
        active boolean NOT NULL,
        reopened boolean NOT NULL,
        ack_s double precision,
        resolve_s double precision,
        breached text[],
        escalated_to text[],
        escalated_path text[],
        exact boolean NOT NULL
    );
    CREATE INDEX case_metrics_created ON case_metrics (created_at);
    CREATE INDEX case_metrics_inexact ON case_metrics (number) WHERE NOT exact;
    CREATE INDEX case_metrics_undated ON case_metrics (number) WHERE created_at IS NULL;
    """,
    # When a sweep may first act on each case (core/engine/wake.py), and the key of the matrix that
    # was worked out under: a sweep reads the cases due by its `now` under its own key, and
    # every case whose wake was worked out under another key, or never (`due_key` NULL).
    # And the cases with open dated items, closed ones too, with when the next reminder is
    # due (core/cases/reminders.py), for `sweep` and `agenda`; and each case's external id (`open
    # --external-id`, `import`), one case per id and team.
    """
    ALTER TABLE cases ADD COLUMN due_key text;
    DROP INDEX cases_open_due;
    CREATE INDEX cases_open_wake ON cases (due_key, due_at) WHERE NOT archived;
    CREATE TABLE tracked (number bigint PRIMARY KEY, due_at timestamptz);
    ALTER TABLE cases ADD COLUMN external_id text;
    CREATE UNIQUE INDEX cases_external ON cases (matrix, external_id)
        WHERE external_id IS NOT NULL;
    """,
    # `escalate search` (core/cases/search.py): each distinct word of a case, folded in Python as
    # search folds it, and their tsvector under the language-neutral 'simple' configuration,
    # GIN-indexed. A case whose words would not fit a tsvector has NULL words, and every search
    # reads it. Rows of cases written before are filled by `prepare`.
    """
    ALTER TABLE cases ADD COLUMN search_words text;
    ALTER TABLE cases ADD COLUMN search tsvector
        GENERATED ALWAYS AS (to_tsvector('simple', coalesce(search_words, ''))) STORED;
    CREATE INDEX cases_search ON cases USING gin (search);
    CREATE INDEX cases_unsearchable ON cases (number) WHERE search_words IS NULL;
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)
