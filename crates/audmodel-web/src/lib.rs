//! `audmodel serve`: a read-only web page to browse, search and compare the
//! models of audmodel repositories, each page also a JSON route under
//! `/api/` in the forms of the CLI's `--json`.
//!
//! The pages ask an [`Audmodel`] client, whose calls block, on tokio's
//! blocking threads; every asset is embedded; no route writes anything. The
//! crate installs no signal handler: the caller says when to stop with the
//! `shutdown` future of [`serve`].
//!
//! ```no_run
//! # async fn run() -> Result<(), audmodel_web::Error> {
//! use std::sync::Arc;
//! let client = Arc::new(audmodel_core::Audmodel::from_env().expect("configuration"));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! let stop = async { tokio::time::sleep(std::time::Duration::from_secs(60)).await };
//! audmodel_web::serve(client, listener, audmodel_web::ServeOptions::default(), stop).await
//! # }
//! ```

mod ask;
mod assets;
mod auth;
mod catalog;
mod error;
mod filter;
mod layout;
mod pages;
mod plot;
mod values;

use std::future::Future;
use std::sync::Arc;

use audmodel_core::Audmodel;
use axum::Router;
use axum::routing::get;

pub use auth::Token;

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Serving on the listener failed.
    #[error("cannot serve: {0}")]
    Io(#[from] std::io::Error),
    /// The token is unusable (empty, or not printable ASCII).
    #[error("invalid token: {0}")]
    Token(String),
}

/// How [`serve`] answers.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ServeOptions {
    /// When set, every request must send `Authorization: Bearer TOKEN`,
    /// else it is refused with 401.
    pub token: Option<Token>,
}

impl ServeOptions {
    /// Requires `token` of every request.
    pub fn token(mut self, token: Token) -> Self {
        self.token = Some(token);
        self
    }
}

/// What every handler shares.
#[derive(Clone)]
struct State {
    client: Arc<Audmodel>,
}

/// The routes: the five pages, their JSON twins under `/api/`, the archive
/// download and the embedded assets.
pub fn router(client: Arc<Audmodel>, options: ServeOptions) -> Router {
    let state = State { client };
    let routes = Router::new()
        .route("/", get(pages::models::page))
        .route("/api/models", get(pages::models::api))
        .route("/models/{sid}", get(pages::model::page))
        .route("/api/models/{sid}", get(pages::model::api))
        .route("/versions/{id}", get(pages::version::page))
        .route("/api/versions/{id}", get(pages::version::api))
        .route("/versions/{id}/archive", get(pages::download::archive))
        .route("/compare", get(pages::compare::page))
        .route("/api/compare", get(pages::compare::api))
        .route("/compare/plot.svg", get(pages::compare::plot))
        .route("/aliases", get(pages::aliases::page))
        .route("/api/aliases", get(pages::aliases::api))
        .route("/assets/{file}", get(assets::asset))
        .fallback(pages::not_found)
        .with_state(state)
        .layer(axum::middleware::map_response(assets::security_headers));
    match options.token {
        Some(token) => routes.layer(axum::middleware::from_fn_with_state(
            Arc::new(token),
            auth::require_token,
        )),
        None => routes,
    }
}

/// Serves [`router`] on `listener` until `shutdown` completes, then lets
/// the requests under way finish.
pub async fn serve(
    client: Arc<Audmodel>,
    listener: tokio::net::TcpListener,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    axum::serve(listener, router(client, options))
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}
