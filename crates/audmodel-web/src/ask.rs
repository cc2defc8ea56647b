//! Asking the client, whose calls block on files and networks, from a
//! blocking thread, so the server keeps answering meanwhile.

use audmodel_core::Audmodel;

use crate::State;
use crate::error::Failure;

/// Runs `question` on the client in a blocking thread.
pub(crate) async fn ask<T: Send + 'static>(
    state: &State,
    question: impl FnOnce(&Audmodel) -> Result<T, audmodel_core::Error> + Send + 'static,
) -> Result<T, Failure> {
    let client = std::sync::Arc::clone(&state.client);
    match tokio::task::spawn_blocking(move || question(&client)).await {
        Ok(answer) => answer.map_err(Failure::from),
        Err(join) => Err(Failure::internal(format!("the request failed: {join}"))),
    }
}
