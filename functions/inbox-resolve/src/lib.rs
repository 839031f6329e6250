//! Answer a question an agent asked: the answer reaches the agent once and in
//! order, as an interrupt of kind `answer`, and a lane waiting in
//! `input_required` runs again. Exactly one answer is taken per question.

use switchyard_edge::operations;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::INBOX_RESOLVE;

#[http_component]
fn handle(req: Request) -> Response {
    ENDPOINT.mutate(req, operations::answer_inbox)
}
