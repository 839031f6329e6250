//! One lane event log, projected onto the open agent protocols: A2A 1.0
//! tasks (ProtoJSON: camelCase keys, enum names, empty fields left out) and
//! AG-UI 1.0 events. Pure functions of a lane and its events; the edge
//! (`a2a.rs`, `agui.rs`) reads them and writes the frames.

use serde_json::{Value, json};
use switchyard_api::{Lane, LaneEvent, LaneEventData, LaneResult, LaneState};

/// A2A's `TaskState` name for a lane's state.
pub fn a2a_state(state: LaneState) -> &'static str {
    match state {
        LaneState::Queued => "TASK_STATE_SUBMITTED",
        LaneState::Running | LaneState::Paused => "TASK_STATE_WORKING",
        LaneState::AwaitingApproval | LaneState::InputRequired => "TASK_STATE_INPUT_REQUIRED",
        LaneState::Completed | LaneState::Merged => "TASK_STATE_COMPLETED",
        LaneState::Failed => "TASK_STATE_FAILED",
        LaneState::Cancelled => "TASK_STATE_CANCELED",
    }
}

/// Whether an A2A stream ends at this state: terminal, or waiting for the client (interrupted).
pub fn a2a_stream_ends(state: LaneState) -> bool {
    !matches!(state, LaneState::Queued | LaneState::Running | LaneState::Paused)
}

fn agent_message(lane: &Lane, id: &str, text: &str) -> Value {
    json!({
        "messageId": id,
        "contextId": lane.run_id.as_str(),
        "taskId": lane.run_id.as_str(),
        "role": "ROLE_AGENT",
        "parts": [{"text": text}],
    })
}

/// Why the lane is in its state, in a sentence (none while it simply runs).
fn status_text(lane: &Lane) -> Option<String> {
    match lane.state {
        LaneState::Queued => Some("queued for a harness".to_owned()),
        LaneState::Running => None,
        LaneState::Paused => Some(format!("paused: {}", lane.pause_reason.as_deref().unwrap_or("by a member"))),
        LaneState::AwaitingApproval => Some("waiting for a member's approval".to_owned()),
        LaneState::InputRequired => {
            Some("the agent asked a question; answer it with a message to this task".to_owned())
        }
        LaneState::Completed | LaneState::Merged | LaneState::Failed => lane.summary.clone(),
        LaneState::Cancelled => Some(lane.pause_reason.clone().unwrap_or_else(|| "cancelled".to_owned())),
    }
}

/// A lane's status: its state, why, and when it last changed.
pub fn a2a_status(lane: &Lane) -> Value {
    let mut status = json!({"state": a2a_state(lane.state), "timestamp": lane.updated_at});
    if let Some(text) = status_text(lane) {
        let id = format!("{}-status-{}", lane.run_id, lane.updated_at);
        status["message"] = agent_message(lane, &id, &text);
    }
    status
}

/// A lane as an A2A `Task`: the id and context are its run id, the history
/// its brief, the artifact its result summary once it has one.
pub fn a2a_task(lane: &Lane) -> Value {
    let brief = json!({
        "messageId": format!("{}-brief", lane.run_id),
        "contextId": lane.run_id.as_str(),
        "taskId": lane.run_id.as_str(),
        "role": "ROLE_USER",
        "parts": [{"text": lane.brief}],
    });
    let mut task = json!({
        "id": lane.run_id.as_str(),
        "contextId": lane.run_id.as_str(),
        "status": a2a_status(lane),
        "history": [brief],
        "metadata": {
            "repository": lane.repository,
            "claim": lane.claim,
            "harnessKind": lane.harness_kind,
            "switchyardState": lane.state.as_str(),
            "tokensUsed": lane.tokens_used,
        },
    });
    if let Some(summary) = lane.summary.as_deref().filter(|_| !lane.state.is_active()) {
        task["artifacts"] = json!([summary_artifact(summary)]);
    }
    task
}

fn summary_artifact(summary: &str) -> Value {
    json!({"artifactId": "summary", "name": "summary", "parts": [{"text": summary}]})
}

/// What one lane event adds to an A2A stream (`StreamResponse` results):
/// state changes become status updates (`lane` is the lane as read after
/// the event), output lines an appended `output` artifact, the result its
/// `summary` artifact.
pub fn a2a_updates(lane: &Lane, event: &LaneEvent, output_started: &mut bool) -> Vec<Value> {
    let ids = json!({"taskId": lane.run_id.as_str(), "contextId": lane.run_id.as_str()});
    let with = |key: &str, mut body: Value| {
        for (k, v) in ids.as_object().into_iter().flatten() {
            body[k] = v.clone();
        }
        json!({ key: body })
    };
    match &event.event {
        LaneEventData::State { to, reason, .. } => {
            let mut status = json!({"state": a2a_state(*to), "timestamp": event.at});
            if let Some(reason) = reason {
                status["message"] = agent_message(lane, &format!("{}-event-{}", lane.run_id, event.id), reason);
            }
            vec![with("statusUpdate", json!({"status": status}))]
        }
        LaneEventData::Output { line, .. } => {
            let mut artifact = json!({"artifact": {"artifactId": "output", "name": "output", "parts": [{"text": format!("{line}\n")}]}});
            if *output_started {
                artifact["append"] = json!(true);
            }
            *output_started = true;
            vec![with("artifactUpdate", artifact)]
        }
        LaneEventData::Result(result) => {
            let summary = match result {
                LaneResult::Completed { summary, .. } => summary.clone().unwrap_or_default(),
                LaneResult::Failed { error, .. } => error.clone(),
            };
            if summary.is_empty() {
                return Vec::new();
            }
            vec![with("artifactUpdate", json!({"artifact": summary_artifact(&summary), "lastChunk": true}))]
        }
        LaneEventData::QuestionAsked { question, options, .. } => {
            let mut text = question.clone();
            if !options.is_empty() {
                text.push_str(&format!(" (options: {})", options.join(", ")));
            }
            let message = agent_message(lane, &format!("{}-event-{}", lane.run_id, event.id), &text);
            vec![with(
                "statusUpdate",
                json!({"status": {"state": "TASK_STATE_INPUT_REQUIRED", "message": message, "timestamp": event.at}}),
            )]
        }
        _ => Vec::new(),
    }
}

/// MCP's task status for a lane, and why (the pause reason, the summary, what it waits for).
pub fn mcp_task_status(lane: &Lane) -> (&'static str, String) {
    let status = match lane.state {
        LaneState::Queued | LaneState::Running | LaneState::Paused => "working",
        LaneState::AwaitingApproval | LaneState::InputRequired => "input_required",
        LaneState::Completed | LaneState::Merged => "completed",
        LaneState::Failed => "failed",
        LaneState::Cancelled => "cancelled",
    };
    (status, status_text(lane).unwrap_or_else(|| lane.state.as_str().to_owned()))
}

/// AG-UI's events for a lane, as a UI run: `RUN_STARTED` (thread = the
/// lane, run = the attempt), a `STATE_SNAPSHOT` of the lane, then per event.
pub fn agui_start(lane: &Lane, run_id: &str) -> Vec<Value> {
    vec![
        json!({"type": "RUN_STARTED", "threadId": lane.run_id.as_str(), "runId": run_id, "protocolVersion": "1.0"}),
        json!({"type": "STATE_SNAPSHOT", "snapshot": serde_json::to_value(lane).expect("a lane always serialises")}),
    ]
}

/// What one lane event becomes in AG-UI: output lines are text messages
/// (one per stream of lines, `TEXT_MESSAGE_START` on the first), tool
/// calls tool-call events, state and usage `STATE_DELTA` patches, anything
/// else a `CUSTOM` event named `switchyard.<type>` carrying the event.
pub fn agui_events(event: &LaneEvent, open_message: &mut Option<String>) -> Vec<Value> {
    let mut out = Vec::new();
    let close = |out: &mut Vec<Value>, open: &mut Option<String>| {
        if let Some(id) = open.take() {
            out.push(json!({"type": "TEXT_MESSAGE_END", "messageId": id}));
        }
    };
    match &event.event {
        LaneEventData::Output { line, .. } => {
            let id = match open_message {
                Some(id) => id.clone(),
                None => {
                    let id = format!("{}-output-{}", event.run_id, event.id);
                    out.push(json!({"type": "TEXT_MESSAGE_START", "messageId": id, "role": "assistant"}));
                    *open_message = Some(id.clone());
                    id
                }
            };
            out.push(json!({"type": "TEXT_MESSAGE_CONTENT", "messageId": id, "delta": format!("{line}\n")}));
        }
        LaneEventData::ToolCall { call_id, tool, status, duration_ms } => {
            close(&mut out, open_message);
            let id = call_id.as_str();
            out.push(json!({"type": "TOOL_CALL_START", "toolCallId": id, "toolCallName": tool}));
            out.push(json!({"type": "TOOL_CALL_END", "toolCallId": id}));
            out.push(json!({
                "type": "TOOL_CALL_RESULT", "messageId": format!("{id}-result"), "toolCallId": id, "role": "tool",
                "content": format!("{status} in {duration_ms} ms"),
            }));
        }
        LaneEventData::State { to, .. } => {
            close(&mut out, open_message);
            out.push(
                json!({"type": "STATE_DELTA", "delta": [{"op": "replace", "path": "/state", "value": to.as_str()}]}),
            );
        }
        LaneEventData::Tokens { tokens_used, cost_used_cents, .. } => out.push(json!({
            "type": "STATE_DELTA",
            "delta": [
                {"op": "replace", "path": "/tokens_used", "value": tokens_used},
                {"op": "replace", "path": "/cost_used_cents", "value": cost_used_cents},
            ],
        })),
        other => {
            close(&mut out, open_message);
            out.push(json!({
                "type": "CUSTOM",
                "name": format!("switchyard.{}", other.kind().as_str()),
                "value": other.data(),
            }));
        }
    }
    out
}

/// How an AG-UI run ends for a finished lane: `RUN_FINISHED` (success,
/// cancelled, or an interrupt while it waits for a person), or `RUN_ERROR`.
pub fn agui_finish(lane: &Lane, run_id: &str, open_message: &mut Option<String>) -> Vec<Value> {
    let mut out = Vec::new();
    if let Some(id) = open_message.take() {
        out.push(json!({"type": "TEXT_MESSAGE_END", "messageId": id}));
    }
    let finished = |outcome: Value| {
        json!({
            "type": "RUN_FINISHED", "threadId": lane.run_id.as_str(), "runId": run_id,
            "result": {"state": lane.state.as_str(), "summary": lane.summary, "exit_code": lane.exit_code},
            "outcome": outcome,
        })
    };
    out.push(match lane.state {
        LaneState::Failed => json!({
            "type": "RUN_ERROR",
            "message": lane.summary.clone().unwrap_or_else(|| "the lane failed".to_owned()),
            "code": "LANE_FAILED",
        }),
        LaneState::Cancelled => finished(json!({"type": "cancelled"})),
        LaneState::AwaitingApproval | LaneState::InputRequired => finished(json!({
            "type": "interrupt",
            "interrupts": [{"id": format!("{}-{}", lane.run_id, lane.updated_at), "reason": lane.state.as_str(),
                            "message": status_text(lane).unwrap_or_default()}],
        })),
        _ => finished(json!({"type": "success"})),
    });
    out
}

/// Whether an AG-UI run ends at this state (finished, or waiting for a person).
pub fn agui_run_ends(state: LaneState) -> bool {
    a2a_stream_ends(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_api::{LaneId, Stream};

    fn lane(state: LaneState) -> Lane {
        serde_json::from_value(json!({
            "run_id": "lane_abc", "state": state.as_str(), "harness_kind": "script", "brief": "Do it.",
            "repository": "shop", "claim": ["src/**"], "labels": [], "token_budget": null, "cost_budget_cents": null,
            "tokens_used": 7, "cost_used_cents": 0, "attempt": 1, "max_attempts": 1, "harness_id": null,
            "pause_reason": null, "exit_code": 0, "summary": "done", "created_at": "2026-12-02T00:00:00Z",
            "updated_at": "2026-12-02T00:00:01Z", "finished_at": null,
        }))
        .unwrap()
    }

    fn event(id: u64, event: LaneEventData) -> LaneEvent {
        LaneEvent { id, run_id: LaneId::parse("lane_abc").unwrap(), event, at: "2026-12-02T00:00:02Z".into() }
    }

    #[test]
    fn states_map_onto_a2a_and_streams_end_when_the_client_must_act() {
        assert_eq!(a2a_state(LaneState::Queued), "TASK_STATE_SUBMITTED");
        assert_eq!(a2a_state(LaneState::Paused), "TASK_STATE_WORKING");
        assert_eq!(a2a_state(LaneState::InputRequired), "TASK_STATE_INPUT_REQUIRED");
        assert_eq!(a2a_state(LaneState::Merged), "TASK_STATE_COMPLETED");
        assert_eq!(a2a_state(LaneState::Cancelled), "TASK_STATE_CANCELED");
        assert!(!a2a_stream_ends(LaneState::Paused) && a2a_stream_ends(LaneState::AwaitingApproval));
        let task = a2a_task(&lane(LaneState::Completed));
        assert_eq!(task["id"], "lane_abc");
        assert_eq!(task["history"][0]["role"], "ROLE_USER");
        assert_eq!(task["artifacts"][0]["parts"][0]["text"], "done");
        assert!(a2a_task(&lane(LaneState::Running)).get("artifacts").is_none());
        assert_eq!(mcp_task_status(&lane(LaneState::Paused)).0, "working");
        assert_eq!(mcp_task_status(&lane(LaneState::AwaitingApproval)).0, "input_required");
        assert_eq!(mcp_task_status(&lane(LaneState::Completed)), ("completed", "done".to_owned()));
        assert_eq!(mcp_task_status(&lane(LaneState::Running)), ("working", "running".to_owned()));
    }

    #[test]
    fn output_lines_append_to_one_artifact_and_one_text_message() {
        let l = lane(LaneState::Running);
        let line = |id, text: &str| event(id, LaneEventData::Output { stream: Stream::Stdout, line: text.into() });
        let mut started = false;
        let first = a2a_updates(&l, &line(1, "a"), &mut started);
        let second = a2a_updates(&l, &line(2, "b"), &mut started);
        assert!(first[0]["artifactUpdate"].get("append").is_none());
        assert_eq!(second[0]["artifactUpdate"]["append"], true);
        let mut open = None;
        let a = agui_events(&line(1, "a"), &mut open);
        let b = agui_events(&line(2, "b"), &mut open);
        assert_eq!(
            a.iter().map(|e| e["type"].as_str().unwrap()).collect::<Vec<_>>(),
            ["TEXT_MESSAGE_START", "TEXT_MESSAGE_CONTENT"]
        );
        assert_eq!(b.iter().map(|e| e["type"].as_str().unwrap()).collect::<Vec<_>>(), ["TEXT_MESSAGE_CONTENT"]);
        assert_eq!(a[1]["messageId"], b[0]["messageId"]);
        let end = agui_finish(&lane(LaneState::Failed), "r1", &mut open);
        assert_eq!(end[0]["type"], "TEXT_MESSAGE_END");
        assert_eq!((end[1]["type"].as_str(), end[1]["code"].as_str()), (Some("RUN_ERROR"), Some("LANE_FAILED")));
        assert!(open.is_none());
    }

    #[test]
    fn a_lane_waiting_for_a_person_ends_the_ui_run_with_an_interrupt() {
        let end = agui_finish(&lane(LaneState::InputRequired), "r1", &mut None);
        assert_eq!(end[0]["outcome"]["type"], "interrupt");
        assert_eq!(end[0]["outcome"]["interrupts"][0]["reason"], "input_required");
        let state = event(3, LaneEventData::State { from: None, to: LaneState::Paused, reason: None, attempt: 1 });
        assert_eq!(agui_events(&state, &mut None)[0]["delta"][0]["value"], "paused");
    }
}
