//! An HTTP answer as the REST and GraphQL handlers give it, before the front door
//! (`http.rs`) adds its headers and hands it to wiremock. A leaf: it knows nothing
//! of routing, the store's rules or wiremock.

use serde_json::{Value, json};

use crate::state::to_bytes;

/// An HTTP answer: status, extra headers, JSON body bytes.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    /// A JSON answer.
    pub(crate) fn json(status: u16, body: &Value) -> Self {
        Self::bytes(status, to_bytes(body))
    }

    /// An answer whose JSON body is already bytes.
    pub(crate) fn bytes(status: u16, body: Vec<u8>) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body,
        }
    }

    /// The same answer with one more header. `name` must be a lowercase literal:
    /// the front door makes it a header name without parsing it
    /// (`HeaderName::from_static`, which panics on anything else; the tests send
    /// every header there is).
    pub(crate) fn header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    /// Shopify's 404: `{"errors":"Not Found"}`.
    pub(crate) fn not_found() -> Self {
        Self::json(404, &json!({"errors": "Not Found"}))
    }

    /// `{"errors": {key: message}}` with status 400.
    pub(crate) fn bad_request(key: &str, message: String) -> Self {
        Self::json(400, &json!({"errors": {key: message}}))
    }

    /// `{"errors": {key: [message]}}` with status 422.
    pub(crate) fn unprocessable(key: &str, message: String) -> Self {
        Self::json(422, &json!({"errors": {key: [message]}}))
    }
}
