-- Lane dispatch at scale.
--
-- The literal prefix of each glob an active lane claims
-- (switchyard_domain::glob::literal_prefix). Two globs can overlap only if one
-- prefix starts the other, so agent-run loads just those lanes' globs before
-- deciding overlap exactly, instead of every active lane of the repository.
CREATE TABLE IF NOT EXISTS lane_claim_prefixes (
    lane_id      TEXT NOT NULL REFERENCES lanes (id),
    workspace_id TEXT NOT NULL,
    repository   TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    PRIMARY KEY (lane_id, prefix)
);
CREATE INDEX IF NOT EXISTS lane_claim_prefixes_by_repo ON lane_claim_prefixes (workspace_id, repository, prefix);

-- Claims made before this table existed get the empty prefix, which is
-- compatible with every glob: they are always checked, exactly as before.
-- (Idempotent: Spin runs every migration on every start.)
INSERT OR IGNORE INTO lane_claim_prefixes (lane_id, workspace_id, repository, prefix)
    SELECT lane_id, workspace_id, repository, '' FROM lane_claims
    WHERE lane_id NOT IN (SELECT lane_id FROM lane_claim_prefixes);

-- harness-dispatch reads the queue oldest first for one workspace and harness kind.
CREATE INDEX IF NOT EXISTS lanes_queue ON lanes (workspace_id, state, harness_kind, created_at, id);
