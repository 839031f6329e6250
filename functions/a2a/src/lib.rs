//! Lanes as Agent2Agent (A2A 1.0, JSON-RPC) tasks: send dispatches a lane or answers it, get, list, cancel, and streams of a task's updates.
//!
//! The protocol is `switchyard_edge::a2a`; each action runs its endpoint
//! (agent-run, inbox-resolve, agent-interrupt, agent-cancel) with its checks
//! and audit.

use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use switchyard_api::mcp::A2aMessage;
use switchyard_domain::projection::a2a_task;
use switchyard_edge::a2a;
use switchyard_edge::prelude::*;
use switchyard_edge::stream;

const ENDPOINT: Endpoint = endpoints::A2A;

#[http_component]
async fn handle(incoming: IncomingRequest, out: ResponseOutparam) {
    let req = match stream::read_request(incoming).await {
        Ok(req) => req,
        Err(response) => return stream::send(out, response).await,
    };
    let version = req.header("a2a-version").and_then(|v| v.as_str()).map(str::to_owned);
    let call = a2a::parse(req.body());
    let streaming = matches!(&call, Ok(c) if a2a::streams(c)) && a2a::check_version(version.as_deref()).is_ok();
    let (Ok(call), true) = (&call, streaming) else {
        let answered = ENDPOINT.respond(req, |ctx, _: A2aMessage| Ok(a2a::answer(ctx, &call, version.as_deref())));
        return stream::send(out, answered).await;
    };
    let open = match ENDPOINT.open_stream(&req, |_, _: &A2aMessage| Ok(())) {
        Ok(open) => open,
        Err(response) => return stream::send(out, response).await,
    };
    let mut follow = match a2a::open(&open.ctx, call) {
        Ok(follow) => follow,
        // Refused before the first event: a plain JSON-RPC error, as the binding asks.
        Err(e) => {
            let mut builder = Response::builder();
            builder.status(200).header("content-type", "application/json");
            for (name, value) in &open.headers {
                builder.header(name.as_str(), value.as_str());
            }
            return stream::send(out, builder.body(e.to_json(&call.id).to_string()).build()).await;
        }
    };
    let Some(mut body) = stream::start(out, "text/event-stream", &open.headers) else { return };
    let first = a2a::frame(&call.id, serde_json::json!({"task": a2a_task(&follow.lane)}));
    if !stream::write(&mut body, format!("data: {first}\n\n").into_bytes()).await {
        return;
    }
    let mut output_started = false;
    let next = || {
        let (frames, done) = a2a::next_frames(&open.ctx, &mut follow, &mut output_started)?;
        Ok((frames.into_iter().map(|f| a2a::frame(&call.id, f)).collect(), done))
    };
    let _ = stream::follow(&mut body, a2a::STREAM_FOR, next).await;
}
