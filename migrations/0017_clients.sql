-- Clients and protocols (issue 15).

-- MCP sessions (Streamable HTTP's `Mcp-Session-Id`), bound to the member
-- that opened them; only the id's hash is stored.
CREATE TABLE mcp_sessions (
    id_hash TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    actor TEXT NOT NULL,
    protocol_version TEXT NOT NULL,
    client_name TEXT,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
CREATE INDEX mcp_sessions_seen ON mcp_sessions (last_seen_at);

-- observability-snapshot counts a workspace's recent tool calls.
CREATE INDEX tool_calls_by_workspace ON tool_calls (workspace_id, at);
