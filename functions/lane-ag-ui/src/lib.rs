//! A lane as an AG-UI event stream for UIs: run, state snapshot and deltas, output as text messages, tool calls, and how the run ended.

use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use switchyard_api::mcp::FollowLaneUi;
use switchyard_edge::prelude::*;
use switchyard_edge::{agui, stream};

const ENDPOINT: Endpoint = endpoints::LANE_AG_UI;

#[http_component]
async fn handle(incoming: IncomingRequest, out: ResponseOutparam) {
    let req = match stream::read_request(incoming).await {
        Ok(req) => req,
        Err(response) => return stream::send(out, response).await,
    };
    let open = match ENDPOINT.open_stream(&req, |ctx, input: &FollowLaneUi| agui::open(ctx, input)) {
        Ok(open) => open,
        Err(response) => return stream::send(out, response).await,
    };
    let Some(mut body) = stream::start(out, "text/event-stream", &open.headers) else { return };
    let mut run = open.checked;
    let _ = stream::follow(&mut body, agui::STREAM_FOR, || agui::next(&open.ctx, &mut run)).await;
}
