-- Hardening (issue 10).
--
-- maintenance-tick deletes idempotency records older than the 24 h they are
-- kept; this index makes that a range scan. (Idempotent: Spin runs every
-- migration on every start.)
CREATE INDEX IF NOT EXISTS idempotency_keys_by_age ON idempotency_keys (created_at);

-- One row `health` overwrites to learn whether the database takes writes.
CREATE TABLE IF NOT EXISTS health_probe (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at TEXT NOT NULL
);
