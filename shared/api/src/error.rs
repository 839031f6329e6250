use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Every error code the API answers with, and its HTTP status. The first
/// eight are the reference contract's; the rest name protocol failures
/// that the contract folds into "the full list".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    Unauthorized,
    ScopeDenied,
    PolicyDenied,
    LaneScopeDenied,
    RateLimited,
    NotFound,
    ValidationFailed,
    Internal,
    /// The token's workspace lives in another region.
    WrongRegion,
    /// A malformed request that is not about the body's fields (e.g. an over-long Idempotency-Key).
    BadRequest,
    MethodNotAllowed,
    PayloadTooLarge,
    /// The resource is not in a state that allows the operation, or a
    /// request with the same Idempotency-Key is still running.
    Conflict,
    /// An Idempotency-Key was reused with a different request body.
    IdempotencyKeyReused,
    /// The request body did not arrive within the host's body timeout (answered by the host).
    BodyTimeout,
    /// The host is at its concurrency, queue or body-memory limit; retry after `Retry-After`.
    Overloaded,
    /// The database is locked or cannot be written (disk full); retry after `Retry-After`.
    StorageUnavailable,
    /// The request passed its deadline before a response was ready (answered by the host).
    DeadlineExceeded,
    /// A policy rule holds the action for a member's decision; `details.approval_id` names the request.
    ApprovalRequired,
    /// The workspace's daily token or cost ceiling is reached; `budget-grant` grants more.
    BudgetExhausted,
    /// A lane's changes break a blocking mandate; `details.violations` name rule, file and line.
    MandateViolation,
}

impl ErrorCode {
    pub const ALL: &'static [ErrorCode] = &[
        Self::Unauthorized,
        Self::ScopeDenied,
        Self::PolicyDenied,
        Self::LaneScopeDenied,
        Self::RateLimited,
        Self::NotFound,
        Self::ValidationFailed,
        Self::Internal,
        Self::WrongRegion,
        Self::BadRequest,
        Self::MethodNotAllowed,
        Self::PayloadTooLarge,
        Self::Conflict,
        Self::IdempotencyKeyReused,
        Self::BodyTimeout,
        Self::Overloaded,
        Self::StorageUnavailable,
        Self::DeadlineExceeded,
        Self::ApprovalRequired,
        Self::BudgetExhausted,
        Self::MandateViolation,
    ];

    pub const fn status(self) -> u16 {
        match self {
            Self::Unauthorized => 401,
            Self::ScopeDenied | Self::PolicyDenied | Self::LaneScopeDenied | Self::ApprovalRequired => 403,
            Self::RateLimited | Self::BudgetExhausted => 429,
            Self::NotFound => 404,
            Self::ValidationFailed | Self::IdempotencyKeyReused => 422,
            Self::Internal => 500,
            Self::WrongRegion => 421,
            Self::BadRequest => 400,
            Self::MethodNotAllowed => 405,
            Self::PayloadTooLarge => 413,
            Self::Conflict | Self::MandateViolation => 409,
            Self::BodyTimeout => 408,
            Self::Overloaded | Self::StorageUnavailable => 503,
            Self::DeadlineExceeded => 504,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Unauthorized => "UNAUTHORIZED",
            Self::ScopeDenied => "SCOPE_DENIED",
            Self::PolicyDenied => "POLICY_DENIED",
            Self::LaneScopeDenied => "LANE_SCOPE_DENIED",
            Self::RateLimited => "RATE_LIMITED",
            Self::NotFound => "NOT_FOUND",
            Self::ValidationFailed => "VALIDATION_FAILED",
            Self::Internal => "INTERNAL",
            Self::WrongRegion => "WRONG_REGION",
            Self::BadRequest => "BAD_REQUEST",
            Self::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Self::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Self::Conflict => "CONFLICT",
            Self::IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            Self::BodyTimeout => "BODY_TIMEOUT",
            Self::Overloaded => "OVERLOADED",
            Self::StorageUnavailable => "STORAGE_UNAVAILABLE",
            Self::DeadlineExceeded => "DEADLINE_EXCEEDED",
            Self::ApprovalRequired => "APPROVAL_REQUIRED",
            Self::BudgetExhausted => "BUDGET_EXHAUSTED",
            Self::MandateViolation => "MANDATE_VIOLATION",
        }
    }

    /// A short human title, used as RFC 9457 `title`.
    pub const fn title(self) -> &'static str {
        match self {
            Self::Unauthorized => "Missing or invalid credentials",
            Self::ScopeDenied => "Token lacks a required scope",
            Self::PolicyDenied => "Blocked by policy",
            Self::LaneScopeDenied => "Scope claim conflicts with an active lane",
            Self::RateLimited => "Rate limit exceeded",
            Self::NotFound => "Not found",
            Self::ValidationFailed => "Request validation failed",
            Self::Internal => "Internal error",
            Self::WrongRegion => "Workspace is served by another region",
            Self::BadRequest => "Bad request",
            Self::MethodNotAllowed => "Method not allowed",
            Self::PayloadTooLarge => "Request body too large",
            Self::Conflict => "Conflict",
            Self::IdempotencyKeyReused => "Idempotency-Key reused with a different request",
            Self::BodyTimeout => "Request body timed out",
            Self::Overloaded => "Server busy",
            Self::StorageUnavailable => "Storage unavailable",
            Self::DeadlineExceeded => "Deadline exceeded",
            Self::ApprovalRequired => "Waiting for approval",
            Self::BudgetExhausted => "Workspace budget exhausted",
            Self::MandateViolation => "Mandate violation",
        }
    }
}

/// `{"error": {...}}` — the envelope of every error response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
    pub request_id: String,
    /// The offending request field, for VALIDATION_FAILED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The missing scope, for SCOPE_DENIED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Structured context, e.g. the conflicting lane and globs of LANE_SCOPE_DENIED,
    /// or the current state of a CONFLICT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

/// RFC 9457 problem details: the error body with `Accept: application/problem+json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Problem {
    /// `urn:switchyard:error:<CODE>`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The request path.
    pub instance: String,
    pub code: ErrorCode,
    pub request_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}
