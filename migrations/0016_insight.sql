-- The rest of issue 14: context from repositories, context handed to lanes,
-- and lane insight (diff checkpoints with a snapshot commit each, restores).

-- An entry an extraction found: its repository and key, so a later run on the
-- same repository confirms, updates or retires it.
ALTER TABLE context_entries ADD COLUMN extract_repository TEXT;
ALTER TABLE context_entries ADD COLUMN extract_key TEXT;
CREATE INDEX IF NOT EXISTS context_by_extract_key ON context_entries (workspace_id, extract_repository, extract_key);

-- A lane that is an extraction job: the harness reads the repository, runs no agent.
CREATE TABLE IF NOT EXISTS lane_jobs (
    lane_id    TEXT PRIMARY KEY REFERENCES lanes (id),
    job        TEXT NOT NULL CHECK (job IN ('context', 'map')),
    project_id TEXT REFERENCES projects (id)
);

-- The context entries handed to a lane's agent, best first (per attempt: a
-- retry is ranked again).
CREATE TABLE IF NOT EXISTS lane_context (
    lane_id     TEXT NOT NULL REFERENCES lanes (id),
    attempt     INTEGER NOT NULL,
    position    INTEGER NOT NULL,
    entry_id    TEXT NOT NULL,
    score_milli INTEGER NOT NULL,
    PRIMARY KEY (lane_id, attempt, position)
);

-- A lane's diff checkpoints, each with the snapshot commit the harness kept.
CREATE TABLE IF NOT EXISTS lane_checkpoints (
    lane_id          TEXT NOT NULL REFERENCES lanes (id),
    attempt          INTEGER NOT NULL,
    seq              INTEGER NOT NULL,
    commit_sha       TEXT NOT NULL,
    files            TEXT NOT NULL, -- JSON array of CheckpointFile
    files_changed    INTEGER NOT NULL,
    insertions       INTEGER NOT NULL,
    deletions        INTEGER NOT NULL,
    total_files      INTEGER NOT NULL,
    total_insertions INTEGER NOT NULL,
    total_deletions  INTEGER NOT NULL,
    created_at       TEXT NOT NULL,
    PRIMARY KEY (lane_id, attempt, seq)
);

-- A lane whose worktree starts from another lane's snapshot.
CREATE TABLE IF NOT EXISTS lane_restores (
    lane_id      TEXT PRIMARY KEY REFERENCES lanes (id),
    from_lane_id TEXT NOT NULL REFERENCES lanes (id),
    seq          INTEGER NOT NULL,
    commit_sha   TEXT NOT NULL
);

-- Where a language model is configured: each served entry's embedding (of
-- its title and body), by the model that made it; little-endian f32s.
CREATE TABLE IF NOT EXISTS context_embeddings (
    seq       INTEGER PRIMARY KEY REFERENCES context_entries (seq),
    model     TEXT NOT NULL,
    text_hash TEXT NOT NULL, -- SHA-256 of the text embedded: unchanged text is not embedded again
    vector    BLOB NOT NULL
);

-- The index now holds each entry's dimension with its title (a question that
-- says "style" finds style entries): rebuilt for the entries already served.
DELETE FROM context_fts;
INSERT INTO context_fts (rowid, title, body, paths)
    SELECT seq, dimension || ' ' || title, body, paths FROM context_entries WHERE status = 'active';
