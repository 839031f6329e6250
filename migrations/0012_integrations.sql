-- Integrations (issue 12): forge connections and their inbound deliveries,
-- what a lane's work became on the forge (branch, pull request, checks,
-- verification), outbound webhooks (endpoints, the outbox of messages, one
-- delivery per endpoint with its attempts) and the public changelog.
--
-- Lanes gain the terminal state `merged` (a completed lane whose pull request
-- merged). SQLite cannot widen a CHECK in place, so `lanes` is rebuilt as in
-- 0009 — whose own rebuild lists `merged` too since this migration, so that
-- `spin up --sqlite`, which runs every file on every start, can copy merged
-- lanes through 0009 again. What a lane's work became lives beside it in
-- `lane_links` rather than in new `lanes` columns for the same reason.

DROP TABLE IF EXISTS lanes_0012;
CREATE TABLE lanes_0012 (
    id                TEXT PRIMARY KEY,
    workspace_id      TEXT NOT NULL REFERENCES workspaces (id),
    state             TEXT NOT NULL CHECK (state IN ('queued', 'running', 'paused', 'completed', 'failed', 'cancelled',
                                                'awaiting_approval', 'input_required', 'merged')),
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
INSERT INTO lanes_0012 (id, workspace_id, state, harness_kind, brief, repository, claim, labels, token_budget, cost_budget_cents, tokens_used, cost_used_cents, attempt, max_attempts, harness_id, lease_expires_at, pause_reason, exit_code, summary, created_by, created_at, updated_at, finished_at)
SELECT id, workspace_id, state, harness_kind, brief, repository, claim, labels, token_budget, cost_budget_cents, tokens_used, cost_used_cents, attempt, max_attempts, harness_id, lease_expires_at, pause_reason, exit_code, summary, created_by, created_at, updated_at, finished_at FROM lanes;
DROP TABLE lanes;
ALTER TABLE lanes_0012 RENAME TO lanes;
CREATE INDEX IF NOT EXISTS lanes_by_workspace ON lanes (workspace_id, created_at, id);
CREATE INDEX IF NOT EXISTS lanes_queued ON lanes (state, created_at, id);

CREATE TABLE IF NOT EXISTS lane_links (
    lane_id      TEXT PRIMARY KEY REFERENCES lanes (id),
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    branch       TEXT,
    pr_number    INTEGER,
    pr_url       TEXT,
    pr_state     TEXT CHECK (pr_state IN ('open', 'merged', 'closed')),
    verified     INTEGER CHECK (verified IN (0, 1)),
    verified_at  TEXT,
    updated_at   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS lane_links_by_branch ON lane_links (workspace_id, branch);
CREATE INDEX IF NOT EXISTS lane_links_by_pr ON lane_links (workspace_id, pr_number);

CREATE TABLE IF NOT EXISTS lane_checks (
    lane_id    TEXT NOT NULL REFERENCES lanes (id),
    name       TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('queued', 'running', 'success', 'failure', 'cancelled', 'skipped')),
    url        TEXT,
    summary    TEXT,
    source     TEXT NOT NULL CHECK (source IN ('github', 'gitlab', 'ci')),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (lane_id, name)
);

CREATE TABLE IF NOT EXISTS forge_connections (
    id                     TEXT PRIMARY KEY,
    workspace_id           TEXT NOT NULL REFERENCES workspaces (id),
    provider               TEXT NOT NULL CHECK (provider IN ('github', 'gitlab')),
    secret                 TEXT NOT NULL,
    previous_secret        TEXT,
    previous_valid_until   TEXT,
    bot_handle             TEXT,
    dispatch_harness_kind  TEXT NOT NULL,
    dispatch_claim         TEXT NOT NULL,   -- JSON array of globs
    ci_follow_up           INTEGER NOT NULL DEFAULT 0,
    auto_changelog         INTEGER NOT NULL DEFAULT 0,
    required_checks        TEXT NOT NULL,   -- JSON array of names
    created_by             TEXT NOT NULL,
    created_at             TEXT NOT NULL,
    updated_at             TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS forge_connections_by_workspace ON forge_connections (workspace_id, created_at);

-- A delivery is stored before it is answered and processed from here; the
-- forge's delivery id makes a redelivery a no-op.
CREATE TABLE IF NOT EXISTS forge_deliveries (
    connection_id TEXT NOT NULL REFERENCES forge_connections (id),
    delivery_id   TEXT NOT NULL,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id),
    event         TEXT NOT NULL,
    payload       TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('queued', 'processed', 'ignored', 'failed')),
    tries         INTEGER NOT NULL DEFAULT 0,
    outcome       TEXT,
    received_at   TEXT NOT NULL,
    processed_at  TEXT,
    PRIMARY KEY (connection_id, delivery_id)
);
CREATE INDEX IF NOT EXISTS forge_deliveries_queued ON forge_deliveries (state, received_at);

CREATE TABLE IF NOT EXISTS webhook_endpoints (
    id              TEXT PRIMARY KEY,
    workspace_id    TEXT NOT NULL REFERENCES workspaces (id),
    url             TEXT NOT NULL,
    event_types     TEXT NOT NULL,          -- JSON array of filters; empty: every event
    description     TEXT,
    secret          TEXT NOT NULL,          -- whsec_…
    state           TEXT NOT NULL CHECK (state IN ('active', 'disabled')),
    disabled_reason TEXT,
    failing_since   TEXT,
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_endpoints_by_workspace ON webhook_endpoints (workspace_id, state);

-- The outbox: written in the same transaction as the change it reports.
CREATE TABLE IF NOT EXISTS webhook_messages (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    event_type   TEXT NOT NULL,
    payload      TEXT NOT NULL,
    created_at   TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS webhook_deliveries (
    id              TEXT PRIMARY KEY,
    message_id      TEXT NOT NULL REFERENCES webhook_messages (id),
    endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints (id),
    workspace_id    TEXT NOT NULL REFERENCES workspaces (id),
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivering', 'succeeded', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    lease_until     TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
CREATE INDEX IF NOT EXISTS webhook_deliveries_by_workspace ON webhook_deliveries (workspace_id, created_at, id);

CREATE TABLE IF NOT EXISTS webhook_attempts (
    delivery_id      TEXT NOT NULL REFERENCES webhook_deliveries (id),
    attempt          INTEGER NOT NULL,
    at               TEXT NOT NULL,
    status           INTEGER,
    latency_ms       INTEGER NOT NULL,
    response_excerpt TEXT,
    error            TEXT,
    PRIMARY KEY (delivery_id, attempt)
);

CREATE TABLE IF NOT EXISTS changelog_entries (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    repository   TEXT NOT NULL,
    pr_number    INTEGER NOT NULL,
    title        TEXT NOT NULL,
    summary      TEXT NOT NULL,
    category     TEXT NOT NULL,
    labels       TEXT NOT NULL,
    author       TEXT,
    merge_commit TEXT,
    url          TEXT,
    published_by TEXT NOT NULL,
    published_at TEXT NOT NULL,
    UNIQUE (workspace_id, repository, pr_number)
);
CREATE INDEX IF NOT EXISTS changelog_by_workspace ON changelog_entries (workspace_id, published_at);
