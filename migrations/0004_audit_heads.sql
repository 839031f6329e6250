-- Signed tree heads of each workspace's audit log (federation-publish-head). Idempotent.
CREATE TABLE IF NOT EXISTS audit_heads (
    workspace_id TEXT NOT NULL,
    tree_size    INTEGER NOT NULL,
    root_hash    TEXT NOT NULL,
    timestamp    TEXT NOT NULL,
    key_id       TEXT NOT NULL,
    signature    TEXT NOT NULL,
    PRIMARY KEY (workspace_id, timestamp, tree_size)
) WITHOUT ROWID;
