//! Switchyard's wire contract, shared by the functions, the tests and any
//! native client: error codes and the error envelope, scopes, rate families,
//! prefixed ids, and the request and response bodies of every endpoint.
//!
//! JSON is `snake_case`; ids are prefixed strings; times are RFC 3339 UTC.
//! Request bodies refuse unknown fields (no mass assignment).

#![forbid(unsafe_code)]

mod audit;
mod context;
pub mod endpoints;
mod error;
mod governance;
mod ids;
mod insight;
mod integrations;
mod lanes;
pub mod mcp;
mod observability;
mod planning;
mod scope;
mod sprints;
mod types;
pub mod valid;

pub use audit::*;
pub use context::*;
pub use endpoints::{Auth, Endpoint, Media, Verb};
pub use error::{ErrorBody, ErrorCode, ErrorDetail, Problem};
pub use governance::*;
pub use ids::{
    ApprovalId, ChangelogId, ConnectionId, ContextId, DeliveryId, EndpointId, GoalId, HarnessId, ID_ALPHABET,
    ID_BODY_LEN, InboxId, IssueId, LaneId, MemberId, MessageId, ProjectId, ProviderId, RequestId, SignalSourceId,
    SprintId, TemplateId, TokenId, ToolCallId, ToolId, WorkspaceId,
};
pub use insight::*;
pub use integrations::*;
pub use lanes::*;
pub use observability::*;
pub use planning::*;
pub use scope::{RateFamily, Scope, UnknownScope};
pub use sprints::*;
pub use types::*;
pub use valid::{
    Brief, Description, Domain, Email, EventFilter, Glob, Handle, HttpUrl, List, Message, Name, Ranged, RelPath,
    Repository, TimeBound, ToolName, WebhookSecret, Word,
};
