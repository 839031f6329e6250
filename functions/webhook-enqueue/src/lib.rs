//! Queue an event of your own (`custom.…`) or a test ping (`webhook.test`)
//! to every endpoint of the workspace that subscribes to it.

use switchyard_api::{EnqueueWebhook, WebhookEnqueued};
use switchyard_edge::prelude::*;
use switchyard_edge::webhooks;

const ENDPOINT: Endpoint = endpoints::WEBHOOK_ENQUEUE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, |ctx, tx, input: EnqueueWebhook| enqueue(ctx, tx, input))
}

fn enqueue(ctx: &Ctx, tx: &Db, input: EnqueueWebhook) -> Result<Change<WebhookEnqueued>, ApiError> {
    let event_type = input.event_type.as_str();
    let own = event_type.strip_prefix("custom.").is_some_and(|rest| !rest.contains('*'));
    if !own && event_type != "webhook.test" {
        return Err(ApiError::validation(
            "event_type",
            "must be `webhook.test` or your own `custom.<name>`; Switchyard's own events are sent only by Switchyard",
        ));
    }
    let (message, deliveries) = webhooks::emit(tx, ctx.workspace_id()?, event_type, input.data)?;
    let Some(message_id) = message else {
        return Err(ApiError::conflict(format!("no active webhook endpoint subscribes to `{event_type}`")));
    };
    let queued = WebhookEnqueued { message_id: message_id.clone(), event_type: event_type.to_owned(), deliveries };
    let mut change = Change::created(message_id, queued);
    change.status = 202;
    Ok(change)
}
