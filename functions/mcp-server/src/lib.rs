//! The control plane as an MCP server (Streamable HTTP, JSON-RPC 2.0): sessions, tools that are this API's endpoints, and `agent-run` as an MCP task.
//!
//! The protocol lives in `switchyard_edge::mcp`; each tool call runs its
//! endpoint's own scope, rate limit, input rules and audit.

use switchyard_api::mcp::McpMessage;
use switchyard_edge::mcp::{self, Transport};
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::MCP_SERVER;

#[http_component]
fn handle(req: Request) -> Response {
    let header = |name: &str| req.header(name).and_then(|v| v.as_str()).map(str::to_owned);
    let transport = Transport {
        session_id: header("mcp-session-id"),
        protocol_version: header("mcp-protocol-version"),
        accept: header("accept"),
    };
    let post = matches!(req.method(), spin_sdk::http::Method::Post);
    ENDPOINT.respond(
        req,
        |ctx, message: McpMessage| {
            if post { mcp::serve(ctx, &transport, &message.0) } else { mcp::describe(&transport) }
        },
    )
}
