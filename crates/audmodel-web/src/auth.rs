//! The bearer token a server bound beyond this machine can require.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::Error;

/// A secret every request must send as `Authorization: Bearer TOKEN`.
/// Never printed: its `Debug` form hides it.
#[derive(Clone)]
pub struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(…)")
    }
}

impl Token {
    /// A token from the text of a token file, surrounding white space
    /// removed; empty or non-printable text is refused.
    pub fn new(text: &str) -> Result<Token, Error> {
        let token = text.trim();
        if token.is_empty() {
            return Err(Error::Token("the token is empty".into()));
        }
        if !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::Token(
                "the token holds characters other than printable ASCII".into(),
            ));
        }
        Ok(Token(token.to_owned()))
    }

    /// Whether `sent` is the token, in time that depends on the lengths
    /// only, so a client cannot find it out a byte at a time.
    fn matches(&self, sent: &[u8]) -> bool {
        let want = self.0.as_bytes();
        let differ = want.iter().zip(sent).fold(0u8, |acc, (a, b)| acc | (a ^ b));
        differ == 0 && want.len() == sent.len()
    }
}

/// Refuses a request without the token with 401.
pub(crate) async fn require_token(
    State(token): State<Arc<Token>>,
    request: Request,
    next: Next,
) -> Response {
    let sent = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.as_bytes().strip_prefix(b"Bearer "));
    if sent.is_some_and(|sent| token.matches(sent)) {
        return next.run(request).await;
    }
    let mut refused = (
        StatusCode::UNAUTHORIZED,
        "401 Unauthorized: send the server's token as `Authorization: Bearer TOKEN`\n",
    )
        .into_response();
    refused.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"audmodel\""),
    );
    refused
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn only_the_whole_token_matches() {
        let token = Token::new(" s3cret\n").unwrap();
        assert!(token.matches(b"s3cret"));
        assert!(!token.matches(b"s3cre"));
        assert!(!token.matches(b"s3crett"));
        assert!(!token.matches(b"S3cret"));
        assert!(!token.matches(b""));
    }

    #[test]
    fn empty_and_unprintable_tokens_are_refused_and_never_shown() {
        assert!(Token::new(" \n").is_err());
        assert!(Token::new("a b").is_err());
        assert_eq!(format!("{:?}", Token::new("s3cret").unwrap()), "Token(…)");
    }
}
