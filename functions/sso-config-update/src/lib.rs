//! Configure (or remove) an SSO provider for an email domain of the workspace.

use switchyard_api::{ProviderId, SsoConfigUpdated, UpdateSsoConfig};
use switchyard_edge::prelude::*;
use switchyard_edge::{new_id, now_rfc3339};

const ENDPOINT: Endpoint = endpoints::SSO_CONFIG_UPDATE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: UpdateSsoConfig| update(ctx, tx, input))
}

fn update(ctx: &Ctx, tx: &Db, input: UpdateSsoConfig) -> Result<Change<SsoConfigUpdated>, ApiError> {
    let workspace = ctx.workspace_id()?;
    let domain = input.domain.into_string();
    let display_name = input.display_name.map_or_else(|| input.provider.as_str().to_owned(), |n| n.into_string());
    if input.enabled {
        tx.exec(
            "INSERT INTO sso_providers (id, workspace_id, domain, provider, display_name, created_at)
             VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (workspace_id, domain, provider) DO UPDATE SET display_name = excluded.display_name",
            &[
                &new_id!(ProviderId).as_str(),
                &workspace.as_str(),
                &domain,
                &input.provider.as_str(),
                &display_name,
                &now_rfc3339(),
            ],
        )?;
    } else {
        tx.exec(
            "DELETE FROM sso_providers WHERE workspace_id = ? AND domain = ? AND provider = ?",
            &[&workspace.as_str(), &domain, &input.provider.as_str()],
        )?;
    }
    let target = format!("{domain}/{}", input.provider.as_str());
    Ok(Change::ok(target, SsoConfigUpdated { domain, provider: input.provider, enabled: input.enabled }))
}
