//! The pages, one module each, every one with its JSON twin.

pub(crate) mod aliases;
pub(crate) mod compare;
pub(crate) mod download;
pub(crate) mod model;
pub(crate) mod models;
pub(crate) mod version;

use audmodel_core::ModelId;
use axum::response::{IntoResponse, Response};
use maud::Markup;

use crate::error::Failure;

/// An HTML answer, or the failure as a page.
fn html(result: Result<Markup, Failure>) -> Response {
    match result {
        Ok(markup) => markup.into_response(),
        Err(failure) => failure.page(),
    }
}

/// A JSON answer, or the failure as a JSON object.
fn json(result: Result<serde_json::Value, Failure>) -> Response {
    match result {
        Ok(value) => axum::Json(value).into_response(),
        Err(failure) => failure.json(),
    }
}

/// `id` when it is a model ID in any form, else 400: nothing but valid IDs
/// reaches the repositories.
fn valid_id(id: &str) -> Result<ModelId, Failure> {
    ModelId::parse(id).map_err(|e| Failure::bad_request(format!("'{id}' is no model ID: {e}")))
}

/// Every address without a route.
pub(crate) async fn not_found(uri: axum::http::Uri) -> Response {
    let failure = Failure::not_found(format!("nothing at '{}'", uri.path()));
    match uri.path().starts_with("/api/") {
        true => failure.json(),
        false => failure.page(),
    }
}
