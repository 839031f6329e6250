//! The edge: everything a Switchyard function needs between the HTTP request
//! and its one domain call. A handler reads like
//!
//! ```ignore
//! const ENDPOINT: Endpoint = endpoints::API_TOKEN_REVOKE;
//!
//! #[http_component]
//! fn handle(req: Request) -> Response {
//!     ENDPOINT.mutate(req, |ctx, tx, input: RevokeToken| tokens::revoke(ctx, tx, input))
//! }
//! ```
//!
//! and cannot forget tenancy, scopes, rate limits, idempotency or audit:
//! [`Serve`] runs them for the [`Endpoint`] (from the table in
//! `switchyard_api::endpoints`) in a fixed order, and [`ApiError`] is the one error
//! type, mapped to a response in one place.

pub mod a2a;
pub mod agui;
pub mod archive;
pub mod audit;
mod auth;
pub mod budgets;
pub mod changelog;
pub mod checks;
mod clock;
pub mod context;
pub mod cursor;
pub mod dashboard;
mod db;
pub mod dispatch;
mod endpoint;
mod error;
pub mod forge;
pub mod goals;
pub mod governance;
pub mod harnesses;
pub mod idempotency;
pub mod inbox;
pub mod insight;
pub mod lanes;
pub mod mandates;
pub mod mcp;
pub mod members;
pub mod observability;
pub mod operations;
pub mod outbound;
pub mod planning;
pub mod rate;
mod response;
pub mod sprints;
pub mod sso;
pub mod stream;
pub mod tokens;
pub mod tools;
pub mod webhooks;
pub mod workspaces;

pub use audit::append as append_audit;
pub use auth::{Caller, HarnessPrincipal, Principal, WorkspaceRef, deployment_region};
pub use clock::{now_rfc3339, now_unix, random_bytes, rfc3339_after, rfc3339_before};
pub use db::{Db, DbError, Row, Sql};
pub use endpoint::{Change, Ctx, Invoke, MAX_BODY_BYTES, OpenStream, Serve};
pub use error::ApiError;
pub use response::Reply;
pub use switchyard_api::{Auth, Endpoint, Verb, endpoints};
pub use tokens::{issue_token, revoke_token};

/// A fresh random id of any prefixed family (`WorkspaceId`, `TokenId`, …).
#[macro_export]
macro_rules! new_id {
    ($ty:ty) => {
        <$ty>::from_random(&$crate::random_bytes())
    };
}

/// What a handler file usually needs.
pub mod prelude {
    pub use crate::{ApiError, Caller, Change, Ctx, Db, Endpoint, Reply, Serve, Sql, endpoints};
    pub use spin_sdk::http::{Request, Response};
    pub use spin_sdk::http_component;
    pub use switchyard_api::{RateFamily, Scope};
}
