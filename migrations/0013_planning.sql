-- Planning and intake (issue 13): projects, issues with comments and
-- relations, signals folded into issues by fingerprint, claims from the
-- queue, signal sources (Sentry) and versioned prompt templates with reviews.

CREATE TABLE IF NOT EXISTS projects (
    id             TEXT PRIMARY KEY,
    workspace_id   TEXT NOT NULL REFERENCES workspaces (id),
    name           TEXT NOT NULL,
    repository     TEXT NOT NULL,
    default_branch TEXT NOT NULL,
    goal           TEXT,
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    UNIQUE (workspace_id, name)
);

CREATE TABLE IF NOT EXISTS issues (
    id               TEXT PRIMARY KEY,
    workspace_id     TEXT NOT NULL REFERENCES workspaces (id),
    number           INTEGER NOT NULL,
    title            TEXT NOT NULL,
    body             TEXT,
    type             TEXT NOT NULL CHECK (type IN ('bug', 'feature', 'task', 'incident')),
    priority         TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    priority_rank    INTEGER NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('open', 'claimed', 'in_progress', 'done', 'cancelled')),
    project_id       TEXT REFERENCES projects (id),
    labels           TEXT NOT NULL,        -- JSON array
    source           TEXT NOT NULL,
    fingerprint      TEXT,
    signal_count     INTEGER NOT NULL DEFAULT 0,
    first_seen       TEXT,
    last_seen        TEXT,
    claimed_by       TEXT,
    claim_expires_at TEXT,
    lane_id          TEXT REFERENCES lanes (id),
    trace_files      TEXT NOT NULL DEFAULT '[]', -- JSON array: the application's files in its stack trace
    created_by       TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    UNIQUE (workspace_id, number)
);
CREATE INDEX IF NOT EXISTS issues_by_workspace ON issues (workspace_id, created_at, id);
CREATE INDEX IF NOT EXISTS issues_queue ON issues (workspace_id, status, priority_rank, created_at);
CREATE INDEX IF NOT EXISTS issues_by_fingerprint ON issues (workspace_id, fingerprint);
CREATE INDEX IF NOT EXISTS issues_by_lane ON issues (lane_id);

CREATE TABLE IF NOT EXISTS issue_comments (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    issue_id   TEXT NOT NULL REFERENCES issues (id),
    author     TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS issue_comments_by_issue ON issue_comments (issue_id, id);

-- Stored one way: `blocks` and `parent_of` (their inverses are read backwards).
CREATE TABLE IF NOT EXISTS issue_relations (
    from_id    TEXT NOT NULL REFERENCES issues (id),
    kind       TEXT NOT NULL CHECK (kind IN ('blocks', 'duplicate_of', 'parent_of')),
    to_id      TEXT NOT NULL REFERENCES issues (id),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (from_id, kind, to_id)
);
CREATE INDEX IF NOT EXISTS issue_relations_to ON issue_relations (to_id, kind);

CREATE TABLE IF NOT EXISTS signal_sources (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    provider     TEXT NOT NULL CHECK (provider IN ('sentry')),
    secret       TEXT NOT NULL,
    project_id   TEXT REFERENCES projects (id),
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS prompt_templates (
    id             TEXT PRIMARY KEY,
    workspace_id   TEXT NOT NULL REFERENCES workspaces (id),
    name           TEXT NOT NULL,
    active_version INTEGER NOT NULL,
    created_at     TEXT NOT NULL,
    UNIQUE (workspace_id, name)
);

-- Versions never change; only their review tallies do.
CREATE TABLE IF NOT EXISTS prompt_template_versions (
    template_id TEXT NOT NULL REFERENCES prompt_templates (id),
    version     INTEGER NOT NULL,
    body        TEXT NOT NULL,
    reviews     INTEGER NOT NULL DEFAULT 0,
    health_milli INTEGER,               -- the review EWMA × 1000
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (template_id, version)
);

CREATE TABLE IF NOT EXISTS prompt_reviews (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    template_id TEXT NOT NULL REFERENCES prompt_templates (id),
    version     INTEGER NOT NULL,
    score       INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    notes       TEXT,
    lane_id     TEXT,
    reviewer    TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
