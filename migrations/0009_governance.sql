-- Governance (issue 11): versioned workspace policies and requests for approval.
--
-- Lanes gain the states `awaiting_approval` and `input_required`, interrupts
-- the kind `answer` (an inbox answer). SQLite cannot widen a CHECK in place,
-- so both tables are rebuilt by SQLite's own procedure
-- (create the new table, copy, drop the old, rename): the host runs migrations
-- with foreign keys off and checks them before each commit. Run again (as
-- `spin up --sqlite` does on every start) the rebuild copies the table once
-- more and leaves the same schema and rows: idempotent, if not free.

DROP TABLE IF EXISTS lanes_0009;
CREATE TABLE lanes_0009 (
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
INSERT INTO lanes_0009 (id, workspace_id, state, harness_kind, brief, repository, claim, labels, token_budget, cost_budget_cents, tokens_used, cost_used_cents, attempt, max_attempts, harness_id, lease_expires_at, pause_reason, exit_code, summary, created_by, created_at, updated_at, finished_at)
SELECT id, workspace_id, state, harness_kind, brief, repository, claim, labels, token_budget, cost_budget_cents, tokens_used, cost_used_cents, attempt, max_attempts, harness_id, lease_expires_at, pause_reason, exit_code, summary, created_by, created_at, updated_at, finished_at FROM lanes;
DROP TABLE lanes;
ALTER TABLE lanes_0009 RENAME TO lanes;
CREATE INDEX IF NOT EXISTS lanes_by_workspace ON lanes (workspace_id, created_at, id);
CREATE INDEX IF NOT EXISTS lanes_queued ON lanes (state, created_at, id);
CREATE INDEX IF NOT EXISTS lanes_by_harness ON lanes (harness_id);
CREATE INDEX IF NOT EXISTS lanes_queue ON lanes (workspace_id, state, harness_kind, created_at, id);

DROP TABLE IF EXISTS lane_interrupts_0009;
CREATE TABLE lane_interrupts_0009 (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    lane_id      TEXT NOT NULL REFERENCES lanes (id),
    workspace_id TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('note', 'redirect', 'answer')),
    message      TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    acked_at     TEXT,
    in_reply_to  TEXT                        -- an answer: the inbox item it answers
);
INSERT INTO lane_interrupts_0009 (id, lane_id, workspace_id, kind, message, created_at, acked_at)
SELECT id, lane_id, workspace_id, kind, message, created_at, acked_at FROM lane_interrupts;
DROP TABLE lane_interrupts;
ALTER TABLE lane_interrupts_0009 RENAME TO lane_interrupts;
CREATE INDEX IF NOT EXISTS lane_interrupts_by_lane ON lane_interrupts (lane_id, id);

-- Every version of a workspace's rules; the highest is in force (none: version 0, no rules).
CREATE TABLE IF NOT EXISTS policies (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    version      INTEGER NOT NULL CHECK (version > 0),
    rules        TEXT NOT NULL,               -- JSON array of rules, in order
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (workspace_id, version)
);

-- Requests for a member's decision; at most one pending per lane.
CREATE TABLE IF NOT EXISTS approvals (
    id             TEXT PRIMARY KEY,
    workspace_id   TEXT NOT NULL REFERENCES workspaces (id),
    lane_id        TEXT NOT NULL REFERENCES lanes (id),
    state          TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'expired', 'withdrawn')),
    subject        TEXT NOT NULL CHECK (subject IN ('dispatch', 'tool_call', 'action', 'completion')),
    action         TEXT NOT NULL,             -- JSON: what waits
    reason         TEXT NOT NULL,
    rule           TEXT,
    policy_version INTEGER NOT NULL,
    requested_by   TEXT NOT NULL,
    requested_at   TEXT NOT NULL,
    expires_at     TEXT NOT NULL,
    decided_by     TEXT,
    decided_at     TEXT,
    note           TEXT,
    consumed_at    TEXT                       -- an approved tool call, once it ran
);
CREATE INDEX IF NOT EXISTS approvals_by_workspace ON approvals (workspace_id, requested_at, id);
CREATE INDEX IF NOT EXISTS approvals_due ON approvals (state, expires_at);
CREATE UNIQUE INDEX IF NOT EXISTS approvals_one_pending_per_lane ON approvals (lane_id) WHERE state = 'pending';

-- Questions agents ask through their harness, and the answers (issue 11's inbox).
CREATE TABLE IF NOT EXISTS inbox_items (
    id             TEXT PRIMARY KEY,
    workspace_id   TEXT NOT NULL REFERENCES workspaces (id),
    lane_id        TEXT NOT NULL REFERENCES lanes (id),
    state          TEXT NOT NULL CHECK (state IN ('pending', 'answered', 'expired', 'withdrawn')),
    question       TEXT NOT NULL,
    options        TEXT NOT NULL,             -- JSON array (empty: free text)
    priority       TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    default_answer TEXT,                      -- given at expiry; none: the lane is paused
    asked_at       TEXT NOT NULL,
    expires_at     TEXT NOT NULL,
    answer         TEXT,
    answered_by    TEXT,
    answered_at    TEXT
);
CREATE INDEX IF NOT EXISTS inbox_by_workspace ON inbox_items (workspace_id, asked_at, id);
CREATE INDEX IF NOT EXISTS inbox_due ON inbox_items (state, expires_at);
