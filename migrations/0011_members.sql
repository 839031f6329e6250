-- Roles and permissions (issue 11): single scopes granted to a member on top
-- of their role's, and the member each PAT acts for (a PAT never carries more
-- than its member may: its scopes are cut to the member's on every request).

CREATE TABLE IF NOT EXISTS member_grants (
    member_id  TEXT NOT NULL REFERENCES members (id),
    scope      TEXT NOT NULL,
    granted_by TEXT NOT NULL,
    granted_at TEXT NOT NULL,
    PRIMARY KEY (member_id, scope)
);

CREATE TABLE IF NOT EXISTS token_members (
    token_id  TEXT PRIMARY KEY REFERENCES api_tokens (id),
    member_id TEXT NOT NULL REFERENCES members (id)
);
CREATE INDEX IF NOT EXISTS token_members_by_member ON token_members (member_id);

-- Tokens minted before members existed act for their workspace's first owner.
INSERT OR IGNORE INTO token_members (token_id, member_id)
SELECT t.id, (SELECT m.id FROM members m WHERE m.workspace_id = t.workspace_id AND m.role = 'owner'
              ORDER BY m.created_at, m.id LIMIT 1)
FROM api_tokens t
WHERE EXISTS (SELECT 1 FROM members m WHERE m.workspace_id = t.workspace_id AND m.role = 'owner');
