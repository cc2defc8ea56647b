//! A request that cannot be answered, as an HTML page or a JSON object with
//! the status that fits the cause.

use audmodel_core::ErrorKind;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::layout;

/// Why a page or JSON route could not answer.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
}

impl Failure {
    /// A request that names no valid ID or form (400).
    pub(crate) fn bad_request(message: impl Into<String>) -> Failure {
        Failure {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    /// Nothing at that address (404).
    pub(crate) fn not_found(message: impl Into<String>) -> Failure {
        Failure {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
        }
    }

    /// A failure of the server itself (500).
    pub(crate) fn internal(message: impl Into<String>) -> Failure {
        Failure {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: message.into(),
        }
    }

    /// The failure as an HTML page.
    pub(crate) fn page(self) -> Response {
        let title = self.status.canonical_reason().unwrap_or("Error");
        let body = maud::html! {
            h1 { (self.status.as_u16()) " " (title) }
            p.error { (self.message) }
            p { a href="/" { "All models" } }
        };
        (self.status, layout::page(title, body)).into_response()
    }

    /// The failure as a JSON object `{"error": …}`.
    pub(crate) fn json(self) -> Response {
        let body = serde_json::json!({ "error": self.message });
        (self.status, axum::Json(body)).into_response()
    }
}

impl From<audmodel_core::Error> for Failure {
    fn from(error: audmodel_core::Error) -> Failure {
        let status = match error.kind() {
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::InvalidInput => StatusCode::BAD_REQUEST,
            // A repository that is down or a damaged file: the server is
            // fine, what stands behind it is not.
            _ => StatusCode::BAD_GATEWAY,
        };
        Failure {
            status,
            message: audmodel_core::error_chain(&error),
        }
    }
}
