-- Agent lanes, their scope claims, events, interrupts; harnesses; tools and
-- the tool log. Idempotent (see README).

CREATE TABLE IF NOT EXISTS harnesses (
    id                TEXT PRIMARY KEY,
    workspace_id      TEXT NOT NULL REFERENCES workspaces (id),
    kind              TEXT NOT NULL,
    name              TEXT NOT NULL,
    capabilities      TEXT NOT NULL,          -- JSON array
    labels            TEXT NOT NULL,          -- JSON array
    credential_hash   TEXT NOT NULL,
    lease_seconds     INTEGER NOT NULL,
    lease_expires_at  TEXT NOT NULL,
    last_heartbeat_at TEXT,
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    revoked_at        TEXT
);
CREATE INDEX IF NOT EXISTS harnesses_by_workspace ON harnesses (workspace_id);

CREATE TABLE IF NOT EXISTS lanes (
    id                TEXT PRIMARY KEY,
    workspace_id      TEXT NOT NULL REFERENCES workspaces (id),
    state             TEXT NOT NULL CHECK (state IN ('queued', 'running', 'paused', 'completed', 'failed', 'cancelled')),
    harness_kind      TEXT NOT NULL,
    brief             TEXT NOT NULL,
    repository        TEXT NOT NULL,
    claim             TEXT NOT NULL,          -- JSON array of globs
    labels            TEXT NOT NULL,          -- JSON array
    token_budget      INTEGER,
    cost_budget_cents INTEGER,
    tokens_used       INTEGER NOT NULL DEFAULT 0,
    cost_used_cents   INTEGER NOT NULL DEFAULT 0,
    attempt           INTEGER NOT NULL DEFAULT 1,
    max_attempts      INTEGER NOT NULL DEFAULT 3,
    harness_id        TEXT REFERENCES harnesses (id),
    lease_expires_at  TEXT,
    pause_reason      TEXT,
    exit_code         INTEGER,
    summary           TEXT,
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    finished_at       TEXT
);
CREATE INDEX IF NOT EXISTS lanes_by_workspace ON lanes (workspace_id, created_at, id);
CREATE INDEX IF NOT EXISTS lanes_queued ON lanes (state, created_at, id);
CREATE INDEX IF NOT EXISTS lanes_by_harness ON lanes (harness_id);

-- One row per active lane: its claim, checked for overlap before a new lane is queued.
CREATE TABLE IF NOT EXISTS lane_claims (
    lane_id      TEXT PRIMARY KEY REFERENCES lanes (id),
    workspace_id TEXT NOT NULL,
    repository   TEXT NOT NULL,
    globs        TEXT NOT NULL               -- JSON array
);
CREATE INDEX IF NOT EXISTS lane_claims_by_repo ON lane_claims (workspace_id, repository);

-- Monotonic ids: SSE `id:` and Last-Event-ID replay.
CREATE TABLE IF NOT EXISTS lane_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    lane_id      TEXT NOT NULL REFERENCES lanes (id),
    workspace_id TEXT NOT NULL,
    type         TEXT NOT NULL,
    data         TEXT NOT NULL,              -- JSON
    at           TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS lane_events_by_lane ON lane_events (lane_id, id);

CREATE TABLE IF NOT EXISTS lane_interrupts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    lane_id      TEXT NOT NULL REFERENCES lanes (id),
    workspace_id TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('note', 'redirect')),
    message      TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    acked_at     TEXT
);
CREATE INDEX IF NOT EXISTS lane_interrupts_by_lane ON lane_interrupts (lane_id, id);

CREATE TABLE IF NOT EXISTS tools (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    name         TEXT NOT NULL,
    description  TEXT NOT NULL,
    input_schema TEXT NOT NULL,              -- JSON
    mcp_url      TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    UNIQUE (workspace_id, name)
);

CREATE TABLE IF NOT EXISTS tool_calls (
    id           TEXT PRIMARY KEY,
    lane_id      TEXT NOT NULL REFERENCES lanes (id),
    workspace_id TEXT NOT NULL,
    tool         TEXT NOT NULL,
    input_digest TEXT NOT NULL,
    output       TEXT NOT NULL,              -- JSON
    status       TEXT NOT NULL CHECK (status IN ('ok', 'error')),
    duration_ms  INTEGER NOT NULL,
    at           TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tool_calls_by_lane ON tool_calls (lane_id, at);
