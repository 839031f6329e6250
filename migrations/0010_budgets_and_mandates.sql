-- Workspace budgets and mandates (issue 11): daily ceilings, grants of more for one day,
-- and usage by lane and UTC day (what the ceilings and cost-summary read).

CREATE TABLE IF NOT EXISTS workspace_budgets (
    workspace_id     TEXT PRIMARY KEY REFERENCES workspaces (id),
    daily_tokens     INTEGER,                 -- none: no ceiling
    daily_cost_cents INTEGER,
    updated_by       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);

-- "Grant more": extra allowance for one UTC day.
CREATE TABLE IF NOT EXISTS budget_grants (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    day          TEXT NOT NULL,               -- YYYY-MM-DD (UTC)
    tokens       INTEGER NOT NULL,
    cost_cents   INTEGER NOT NULL,
    granted_by   TEXT NOT NULL,
    note         TEXT,
    granted_at   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS budget_grants_by_day ON budget_grants (workspace_id, day);

CREATE TABLE IF NOT EXISTS lane_usage (
    lane_id      TEXT NOT NULL REFERENCES lanes (id),
    day          TEXT NOT NULL,               -- YYYY-MM-DD (UTC)
    workspace_id TEXT NOT NULL,
    repository   TEXT NOT NULL,
    harness_kind TEXT NOT NULL,
    tokens       INTEGER NOT NULL,
    cost_cents   INTEGER NOT NULL,
    PRIMARY KEY (lane_id, day)
);
CREATE INDEX IF NOT EXISTS lane_usage_by_day ON lane_usage (workspace_id, day);

-- Every version of a workspace's mandates (its own rules, the built-ins it
-- switched off, what a blocking violation does); the highest is in force.
CREATE TABLE IF NOT EXISTS mandates (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    version      INTEGER NOT NULL CHECK (version > 0),
    config       TEXT NOT NULL,               -- JSON: rules, disabled_builtins, on_violation
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (workspace_id, version)
);
