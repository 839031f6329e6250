//! Review how well a template version's prompt served; its health moves by an EWMA.

use switchyard_api::{ReviewTemplate, Template};
use switchyard_edge::planning::{self, Review};
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::TEMPLATE_REVIEW;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: ReviewTemplate| review(ctx, tx, &input))
}

fn review(ctx: &Ctx, tx: &Db, input: &ReviewTemplate) -> Result<Change<Template>, ApiError> {
    let review = Review {
        version: input.version.map(|v| v.get()),
        score: input.score.get(),
        notes: input.notes.as_ref().map(|n| n.as_str()),
        lane: input.run_id.as_ref(),
        by: &ctx.caller.actor(),
    };
    let template = planning::review(tx, ctx.workspace_id()?, &input.name, &review)?;
    Ok(Change::created(template.name.clone(), template))
}
