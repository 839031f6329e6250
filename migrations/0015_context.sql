-- The context engine (issue 14): entries in five dimensions with their
-- source, evidence and a confidence that decays unless reconfirmed, and a
-- full-text index (FTS5, BM25-ranked, Porter-stemmed) over them.

CREATE TABLE IF NOT EXISTS context_entries (
    seq               INTEGER PRIMARY KEY AUTOINCREMENT, -- the entry's row in context_fts
    id                TEXT NOT NULL UNIQUE,
    workspace_id      TEXT NOT NULL REFERENCES workspaces (id),
    project_id        TEXT REFERENCES projects (id),
    dimension         TEXT NOT NULL CHECK (dimension IN ('product', 'system', 'style', 'policy', 'memory')),
    title             TEXT NOT NULL,
    body              TEXT NOT NULL,
    paths             TEXT NOT NULL,    -- JSON array of globs
    source_path       TEXT,
    source_commit     TEXT,
    lane_id           TEXT REFERENCES lanes (id),
    evidence          TEXT,
    base_milli        INTEGER NOT NULL CHECK (base_milli BETWEEN 0 AND 1000),
    confidence_milli  INTEGER NOT NULL CHECK (confidence_milli BETWEEN 0 AND 1000),
    status            TEXT NOT NULL CHECK (status IN ('active', 'stale', 'retired')),
    last_confirmed_at TEXT NOT NULL,
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS context_by_workspace ON context_entries (workspace_id, created_at, id);
CREATE INDEX IF NOT EXISTS context_by_status ON context_entries (status, last_confirmed_at);

-- Only served (active) entries are indexed; rowid = context_entries.seq.
CREATE VIRTUAL TABLE IF NOT EXISTS context_fts USING fts5(title, body, paths, tokenize = 'porter unicode61');
