//! The one error type of every endpoint, and its mapping to a response.

use switchyard_api::{ErrorBody, ErrorCode, ErrorDetail, Problem, Scope};

/// An error a client sees. Internal causes are logged with the request id
/// and answered with a generic message.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub field: Option<String>,
    pub scope: Option<Scope>,
    /// Structured context for the client (see `ErrorDetail::details`).
    pub details: Option<serde_json::Value>,
    /// Extra response headers (`Allow`, `Retry-After`, …).
    pub headers: Vec<(String, String)>,
    /// Logged, never shown.
    pub cause: Option<String>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
            scope: None,
            details: None,
            headers: Vec::new(),
            cause: None,
        }
    }

    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }

    /// Names the request field the error is about.
    pub fn with_field(mut self, field: &str) -> Self {
        self.field = Some(field.to_owned());
        self
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthorized, message)
    }

    /// VALIDATION_FAILED naming `field`.
    pub fn validation(field: impl Into<String>, message: impl std::fmt::Display) -> Self {
        let field = field.into();
        let mut e = Self::new(ErrorCode::ValidationFailed, format!("{field}: {message}"));
        e.field = Some(field);
        e
    }

    /// VALIDATION_FAILED for a list field, naming the entry (`labels[2]`) when known.
    pub fn validation_at(field: &str, index: Option<usize>, message: impl std::fmt::Display) -> Self {
        match index {
            Some(i) => Self::validation(format!("{field}[{i}]"), message),
            None => Self::validation(field, message),
        }
    }

    pub fn scope_denied(scope: Scope) -> Self {
        let mut e = Self::new(ErrorCode::ScopeDenied, format!("this call needs the `{scope}` scope"));
        e.scope = Some(scope);
        e
    }

    /// NOT_FOUND for `what` (e.g. "token tok_…"); also the answer for another workspace's ids.
    pub fn not_found(what: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }

    /// INTERNAL with a generic message; `cause` goes to the log only.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let mut e = Self::new(ErrorCode::Internal, "internal error; quote the request_id when reporting it");
        e.cause = Some(cause.to_string());
        e
    }

    pub fn status(&self) -> u16 {
        self.code.status()
    }

    pub(crate) fn body(&self, request_id: &str) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message.clone(),
                request_id: request_id.to_owned(),
                field: self.field.clone(),
                scope: self.scope.map(|s| s.as_str().to_owned()),
                details: self.details.clone(),
            },
        }
    }

    /// `(content type, body)`: the envelope, or RFC 9457 problem details.
    pub(crate) fn render(&self, request_id: &str, path: &str, problem: bool) -> (&'static str, Vec<u8>) {
        // Both bodies hold strings, integers and already-parsed JSON: serialising cannot fail.
        if !problem {
            let body = serde_json::to_vec(&self.body(request_id)).expect("an error body always serialises");
            return ("application/json", body);
        }
        let doc = Problem {
            kind: format!("urn:switchyard:error:{}", self.code.as_str()),
            title: self.code.title().to_owned(),
            status: self.status(),
            detail: self.message.clone(),
            instance: path.to_owned(),
            code: self.code,
            request_id: request_id.to_owned(),
            field: self.field.clone(),
            scope: self.scope.map(|s| s.as_str().to_owned()),
            details: self.details.clone(),
        };
        ("application/problem+json", serde_json::to_vec(&doc).expect("a problem document always serialises"))
    }
}

impl From<crate::db::DbError> for ApiError {
    /// A busy, locked, read-only or full database is a passing condition the
    /// client can retry (503); anything else is a bug (500).
    fn from(e: crate::db::DbError) -> Self {
        if e.is_unavailable() {
            let mut error = Self::new(
                ErrorCode::StorageUnavailable,
                "the database is busy or cannot be written right now; retry after the Retry-After seconds",
            )
            .with_header("retry-after", STORAGE_RETRY_AFTER_SECS.to_string());
            error.cause = Some(e.to_string());
            error
        } else {
            Self::internal(e)
        }
    }
}

/// What a client is told to wait when the database is unavailable.
const STORAGE_RETRY_AFTER_SECS: u64 = 2;
