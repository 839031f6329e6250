-- Proof of domain ownership for SSO (issue 10).
--
-- A workspace claims a domain when it configures a provider for it, and
-- verifies it by serving `challenge` at the domain's well-known URL
-- (`sso-domain-verify`). Providers are offered at sign-in only for verified
-- domains, and a domain is verified by at most one workspace. Providers
-- configured before this table existed stay unoffered until verified.
-- (Idempotent: Spin runs every migration on every start.)
CREATE TABLE IF NOT EXISTS sso_domains (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    domain       TEXT NOT NULL,
    challenge    TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    verified_at  TEXT,
    PRIMARY KEY (workspace_id, domain)
);
CREATE UNIQUE INDEX IF NOT EXISTS sso_domains_one_owner ON sso_domains (domain) WHERE verified_at IS NOT NULL;
