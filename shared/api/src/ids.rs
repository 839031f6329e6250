//! Prefixed ids (`ws_…`, `tok_…`, `req_…`). Parsing checks the prefix and the
//! alphabet, so an id from the wrong family is refused at the edge.

use serde::{Deserialize, Deserializer, Serialize};

/// Characters an id body may use (lowercase base32, Crockford-like).
pub const ID_ALPHABET: &[u8] = b"0123456789abcdefghjkmnpqrstvwxyz";
/// Length of the random part of a generated id.
pub const ID_BODY_LEN: usize = 20;

macro_rules! prefixed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// Builds an id from random bytes (one alphabet character per byte).
            pub fn from_random(bytes: &[u8; ID_BODY_LEN]) -> Self {
                let body: String = bytes.iter().map(|b| ID_ALPHABET[(*b as usize) % 32] as char).collect();
                Self(format!("{}{body}", $prefix))
            }

            pub fn parse(s: &str) -> Option<Self> {
                let body = s.strip_prefix($prefix)?;
                let ok = !body.is_empty()
                    && body.len() <= 64
                    && body.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                ok.then(|| Self(s.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "type": "string",
                    "pattern": concat!("^", $prefix, "[A-Za-z0-9_-]{1,64}$"),
                })
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).ok_or_else(|| {
                    serde::de::Error::custom(format!("expected an id starting with `{}`", $prefix))
                })
            }
        }
    };
}

prefixed_id!(/// A workspace.
    WorkspaceId, "ws_");
prefixed_id!(/// An API token (the public half of a PAT).
    TokenId, "tok_");
prefixed_id!(/// One request, echoed in `x-request-id` and in every error.
    RequestId, "req_");
prefixed_id!(/// A workspace member.
    MemberId, "mem_");
prefixed_id!(/// A configured SSO provider.
    ProviderId, "sso_");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_keep_their_prefix() {
        let id = WorkspaceId::from_random(&[7; ID_BODY_LEN]);
        assert!(id.as_str().starts_with("ws_"));
        assert_eq!(WorkspaceId::parse(id.as_str()), Some(id));
        assert_eq!(WorkspaceId::parse("tok_abc"), None);
        assert_eq!(WorkspaceId::parse("ws_"), None);
        assert_eq!(WorkspaceId::parse("ws_a b"), None);
        let err = serde_json::from_str::<TokenId>("\"ws_abc\"").unwrap_err().to_string();
        assert!(err.contains("tok_"), "{err}");
    }
}

prefixed_id!(/// An agent lane (the reference's `run_id`).
    LaneId, "lane_");
prefixed_id!(/// A registered harness.
    HarnessId, "hns_");
prefixed_id!(/// A registered tool.
    ToolId, "tool_");
prefixed_id!(/// One recorded tool call.
    ToolCallId, "call_");
prefixed_id!(/// A request for a member's approval.
    ApprovalId, "apr_");
prefixed_id!(/// A question an agent asked, in the workspace's inbox.
    InboxId, "inb_");
prefixed_id!(/// A workspace's connection to a forge (GitHub or GitLab) and its webhook secret.
    ConnectionId, "conn_");
prefixed_id!(/// An outbound webhook endpoint a workspace registered.
    EndpointId, "ep_");
prefixed_id!(/// One outbound webhook message (the Standard Webhooks `webhook-id`, the same on every retry).
    MessageId, "msg_");
prefixed_id!(/// One message's delivery to one endpoint, with its attempts.
    DeliveryId, "dlv_");
prefixed_id!(/// A published changelog entry.
    ChangelogId, "chg_");
prefixed_id!(/// A project (a repository and what it is for).
    ProjectId, "prj_");
prefixed_id!(/// An issue in the workspace's queue.
    IssueId, "iss_");
prefixed_id!(/// A provider (Sentry) sending signed signals.
    SignalSourceId, "src_");
prefixed_id!(/// A prompt template (its versions are numbered).
    TemplateId, "tpl_");
prefixed_id!(/// A goal: a target to reach by a deadline; its issues weigh more in the queue.
    GoalId, "goal_");
prefixed_id!(/// A sprint taking a goal's issues through the SDLC.
    SprintId, "spr_");
prefixed_id!(/// An entry of the context engine (product, system, style, policy or memory).
    ContextId, "ctx_");
