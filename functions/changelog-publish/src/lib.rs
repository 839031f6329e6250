//! Publish a public changelog entry from a merged PR: the category comes from
//! its labels, the summary from its body. Publishing the same PR again rewrites its entry.

use switchyard_api::{ChangelogEntry, PublishChangelog};
use switchyard_edge::changelog::{self, Merged};
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::CHANGELOG_PUBLISH;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: PublishChangelog| publish(ctx, tx, &input))
}

fn publish(ctx: &Ctx, tx: &Db, input: &PublishChangelog) -> Result<Change<ChangelogEntry>, ApiError> {
    let labels = input.labels.strings();
    let merged = Merged {
        repository: input.repository.as_str(),
        number: input.pr_number.get(),
        title: input.title.as_str(),
        body: input.body.as_ref().map(|b| b.as_str()),
        labels: &labels,
        author: input.author.as_ref().map(|a| a.as_str()),
        merge_commit: input.merge_commit.as_ref().map(|c| c.as_str()),
        url: input.url.as_ref().map(|u| u.as_str()),
    };
    let (entry, new) = changelog::publish(tx, ctx.workspace_id()?, &merged, &ctx.caller.actor())?;
    Ok(if new { Change::created(entry.id.clone(), entry) } else { Change::ok(entry.id.clone(), entry) })
}
