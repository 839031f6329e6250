//! A handler's answer before the edge adds the common headers.

use serde::Serialize;

/// Status, content type, body and extra headers.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
    pub headers: Vec<(String, String)>,
}

impl Reply {
    pub fn json<T: Serialize>(status: u16, value: &T) -> Self {
        // Our response types have no maps with non-string keys, so this cannot fail;
        // if it ever did, the client gets a 500 envelope, never an empty 200.
        match serde_json::to_vec(value) {
            Ok(body) => Self::bytes(status, "application/json", body),
            Err(e) => {
                eprintln!("response serialisation failed: {e}");
                let body = br#"{"error":{"code":"INTERNAL","message":"internal error","request_id":""}}"#;
                Self::bytes(500, "application/json", body.to_vec())
            }
        }
    }

    pub fn bytes(status: u16, content_type: &str, body: Vec<u8>) -> Self {
        Self { status, content_type: content_type.to_owned(), body, headers: Vec::new() }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    pub(crate) fn replayed(self) -> Self {
        self.header("idempotency-replayed", "true")
    }

    pub(crate) fn has_header(&self, name: &str) -> bool {
        self.headers.iter().any(|(n, _)| n == name)
    }
}
