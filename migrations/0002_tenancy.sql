-- Workspaces, members, API tokens, SSO providers, badges, idempotency
-- records and the hash-chained audit log. Idempotent (see README).

CREATE TABLE IF NOT EXISTS workspaces (
    id         TEXT PRIMARY KEY,
    handle     TEXT NOT NULL UNIQUE,
    region     TEXT NOT NULL CHECK (region IN ('us-east-1', 'eu-west-1')),
    plan       TEXT NOT NULL CHECK (plan IN ('free', 'team', 'enterprise')),
    status     TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    created_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS members (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    email        TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    created_at   TEXT NOT NULL,
    UNIQUE (workspace_id, email)
);

-- The secret is stored only as a SHA-256 hash; `id` is the lookup half of the PAT.
CREATE TABLE IF NOT EXISTS api_tokens (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    name         TEXT NOT NULL,
    secret_hash  TEXT NOT NULL,
    scopes       TEXT NOT NULL,           -- space-separated scope names
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    revoked_at   TEXT,
    last_used_at TEXT
);
CREATE INDEX IF NOT EXISTS api_tokens_by_workspace ON api_tokens (workspace_id);

CREATE TABLE IF NOT EXISTS sso_providers (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    domain       TEXT NOT NULL,
    provider     TEXT NOT NULL,
    display_name TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    UNIQUE (workspace_id, domain, provider)
);
CREATE INDEX IF NOT EXISTS sso_providers_by_domain ON sso_providers (domain);

-- Latest build / coverage figures per workspace, written by CI ingestion.
CREATE TABLE IF NOT EXISTS workspace_badges (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    kind         TEXT NOT NULL CHECK (kind IN ('build', 'coverage')),
    value        TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (workspace_id, kind)
);

-- First responses of mutations sent with an Idempotency-Key (kept 24 h).
CREATE TABLE IF NOT EXISTS idempotency_keys (
    workspace_id   TEXT NOT NULL,
    actor          TEXT NOT NULL,
    key            TEXT NOT NULL,
    request_digest TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('running', 'done')),
    status         INTEGER,
    content_type   TEXT,
    body           BLOB,
    created_at     TEXT NOT NULL,
    PRIMARY KEY (workspace_id, actor, key)
);

-- Append-only: entry n carries the hash of entry n-1 (see shared/domain/src/audit.rs).
CREATE TABLE IF NOT EXISTS audit_log (
    workspace_id TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    target       TEXT,
    request_id   TEXT NOT NULL,
    input_digest TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL,
    PRIMARY KEY (workspace_id, seq)
) WITHOUT ROWID;

CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
