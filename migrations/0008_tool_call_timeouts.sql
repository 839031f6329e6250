-- Tool calls that did not answer in time (issue 10). `tool_calls.status`
-- allows only 'ok' and 'error' (a CHECK SQLite cannot widen in place, and a
-- table rebuild cannot be written idempotently for Spin, which runs every
-- migration on every start): such a call is stored as 'error' and listed
-- here, and read back as 'timeout'.
CREATE TABLE IF NOT EXISTS tool_call_timeouts (
    call_id TEXT PRIMARY KEY REFERENCES tool_calls (id)
);
