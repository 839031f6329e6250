-- Goals, sprints through the SDLC, the signal log the dashboard counts,
-- and PostHog as a second signal provider (issue 13).

CREATE TABLE IF NOT EXISTS goals (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    project_id   TEXT REFERENCES projects (id),
    title        TEXT NOT NULL,
    metric       TEXT,
    target       REAL,
    current      REAL,
    unit         TEXT,
    deadline     TEXT,
    weight       INTEGER NOT NULL CHECK (weight BETWEEN 0 AND 3),
    status       TEXT NOT NULL CHECK (status IN ('active', 'achieved', 'abandoned')),
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS goals_by_workspace ON goals (workspace_id, created_at);

ALTER TABLE issues ADD COLUMN goal_id TEXT REFERENCES goals (id);
CREATE INDEX IF NOT EXISTS issues_by_goal ON issues (goal_id, status);

-- Every signal received (repeats included), for the dashboard's funnel.
CREATE TABLE IF NOT EXISTS signal_arrivals (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    issue_id     TEXT NOT NULL REFERENCES issues (id),
    source       TEXT NOT NULL,
    arrived_at   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS signal_arrivals_by_day ON signal_arrivals (workspace_id, arrived_at);

-- PostHog joins Sentry: the provider CHECK is rebuilt.
CREATE TABLE signal_sources_0014 (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    provider     TEXT NOT NULL CHECK (provider IN ('sentry', 'posthog')),
    secret       TEXT NOT NULL,
    project_id   TEXT REFERENCES projects (id),
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
INSERT INTO signal_sources_0014 SELECT id, workspace_id, provider, secret, project_id, created_by, created_at
    FROM signal_sources;
DROP TABLE signal_sources;
ALTER TABLE signal_sources_0014 RENAME TO signal_sources;

CREATE TABLE IF NOT EXISTS sprints (
    id                 TEXT PRIMARY KEY,
    workspace_id       TEXT NOT NULL REFERENCES workspaces (id),
    title              TEXT NOT NULL,
    goal_id            TEXT REFERENCES goals (id),
    project_id         TEXT REFERENCES projects (id),
    repository         TEXT NOT NULL,
    harness_kind       TEXT NOT NULL,
    default_claim      TEXT NOT NULL,   -- JSON array
    max_issues         INTEGER NOT NULL,
    state              TEXT NOT NULL
        CHECK (state IN ('intake', 'plan', 'build', 'review', 'ship', 'complete', 'cancelled')),
    token_budget       INTEGER,
    budget_exhausted   INTEGER NOT NULL DEFAULT 0,
    starts_at          TEXT,
    repeat_every_hours INTEGER,
    created_by         TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    finished_at        TEXT
);
CREATE INDEX IF NOT EXISTS sprints_by_workspace ON sprints (workspace_id, created_at, id);
CREATE INDEX IF NOT EXISTS sprints_due ON sprints (state, starts_at);

-- The sprint's issues in plan order, each with its current lane.
CREATE TABLE IF NOT EXISTS sprint_items (
    sprint_id TEXT NOT NULL REFERENCES sprints (id),
    issue_id  TEXT NOT NULL REFERENCES issues (id),
    position  INTEGER NOT NULL,
    claim     TEXT NOT NULL,            -- JSON array
    dispatch  TEXT NOT NULL CHECK (dispatch IN ('planned', 'dispatched', 'refused')),
    reason    TEXT,
    lane_id   TEXT REFERENCES lanes (id),
    PRIMARY KEY (sprint_id, issue_id)
);

-- Every lane a sprint dispatched (retries included): its token use counts.
CREATE TABLE IF NOT EXISTS sprint_lanes (
    lane_id   TEXT PRIMARY KEY REFERENCES lanes (id),
    sprint_id TEXT NOT NULL REFERENCES sprints (id),
    issue_id  TEXT NOT NULL REFERENCES issues (id)
);
CREATE INDEX IF NOT EXISTS sprint_lanes_by_sprint ON sprint_lanes (sprint_id);

CREATE TABLE IF NOT EXISTS sprint_events (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    sprint_id TEXT NOT NULL REFERENCES sprints (id),
    type      TEXT NOT NULL,
    data      TEXT NOT NULL,            -- JSON
    actor     TEXT NOT NULL,
    at        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sprint_events_by_sprint ON sprint_events (sprint_id, id);
