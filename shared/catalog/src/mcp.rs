//! `docs/mcp-tools.json`: the MCP server's tool list, each tool's input and
//! output schema rendered from its endpoint's wire types (self-contained JSON
//! Schema 2020-12 with `$defs`, as MCP asks), embedded by `mcp-server`.

use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};
use switchyard_api::endpoints::{self, Media, Operation, SchemaFn};
use switchyard_api::mcp::TOOLS;

/// A root schema for one wire type: the type's own object schema at the
/// root, every type it refers to under `$defs`.
fn root_schema(schema: SchemaFn) -> Value {
    let mut settings = SchemaSettings::draft2020_12();
    settings.meta_schema = None;
    let mut generator = settings.into_generator();
    let reference = schema(&mut generator).to_value();
    let mut defs = generator.take_definitions(true);
    let mut root = match reference.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/$defs/")) {
        Some(name) => defs.get(name).cloned().unwrap_or(reference.clone()),
        None => reference,
    };
    // A tool takes and answers JSON objects; `NoInput` has no properties.
    if root.get("type").and_then(Value::as_str) != Some("object") {
        root = json!({"type": "object", "properties": {}, "additionalProperties": false});
    }
    if !defs.is_empty() {
        defs.retain(|_, v| !v.is_null());
        root["$defs"] = Value::Object(std::mem::take(&mut defs));
    }
    crate::openapi::bound_integers(&mut root);
    root
}

fn operation(name: &str) -> &'static Operation {
    endpoints::OPERATIONS.iter().find(|o| o.endpoint.name == name).expect("every MCP tool is an endpoint of the table")
}

/// The tools document: `{"tools": [...]}` in `tools/list`'s shape.
pub fn tools() -> Value {
    let tools: Vec<Value> = TOOLS
        .iter()
        .map(|tool| {
            let op = operation(tool.endpoint.name);
            let output = op.responses.iter().find(|o| o.status < 300 && o.media == Media::Json).and_then(|o| o.schema);
            let mut entry = Map::new();
            entry.insert("name".into(), json!(tool.endpoint.name));
            entry.insert("title".into(), json!(tool.title));
            entry.insert("description".into(), json!(tool.endpoint.summary));
            entry.insert("inputSchema".into(), root_schema(op.request));
            if let Some(output) = output {
                entry.insert("outputSchema".into(), root_schema(output));
            }
            entry.insert(
                "annotations".into(),
                json!({
                    "title": tool.title,
                    "readOnlyHint": !tool.endpoint.mutation,
                    "destructiveHint": tool.destructive,
                    "idempotentHint": !tool.endpoint.mutation,
                    "openWorldHint": false,
                }),
            );
            if tool.task {
                entry.insert("execution".into(), json!({"taskSupport": "optional"}));
            }
            Value::Object(entry)
        })
        .collect();
    json!({ "tools": tools })
}
