-- Idempotent on purpose: Spin users apply migrations with
-- `spin up --sqlite @migrations/0001_schema_version.sql`, which runs on every start.
CREATE TABLE IF NOT EXISTS switchyard_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT OR IGNORE INTO switchyard_meta (key, value) VALUES ('schema', 'switchyard');
