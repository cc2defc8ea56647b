//! Server-side copies that set the `checksum` metadata of the copy:
//! `CopyObject` with `x-amz-metadata-directive: REPLACE` up to 5 GiB (the
//! limit of one copy request) and, above, a multipart copy (`UploadPartCopy`
//! of ranges), so staged archives of any size are copied into place.
//!
//! `object_store` copies keep the source's metadata and have no ranged part
//! copy, so these few requests are built here, signed by `object_store`'s
//! own SigV4 signer ([`AwsAuthorizer`]) and sent by its HTTP client; only
//! the request lines and the two fields read from the answers (`UploadId`,
//! `ETag`) are ours.

use futures::{StreamExt, TryStreamExt};
use http::Method;
use object_store::aws::AwsAuthorizer;
use object_store::client::{HttpRequest, HttpRequestBody};

use super::{S3, s3_code};
use crate::{BackendPath, Error};
use audmodel_uid::user_name;

/// The largest object one `CopyObject` copies.
pub(super) const MAX_COPY: u64 = 5 << 30;

/// Bytes per `UploadPartCopy` of a multipart copy (S3 takes 5 MiB to 5 GiB).
const COPY_PART: u64 = 1 << 30;

impl S3 {
    /// Copies `src` (of `size` bytes) to `dst` with the metadata `checksum`
    /// and `owner`, replacing the source's.
    pub(super) fn copy_replacing_metadata(
        &self,
        src: &BackendPath,
        dst: &BackendPath,
        size: u64,
        checksum: &str,
    ) -> Result<(), Error> {
        let metadata = [
            ("x-amz-meta-checksum", checksum.to_owned()),
            ("x-amz-meta-owner", user_name()),
        ];
        let source = (
            "x-amz-copy-source",
            format!("{}/{}", self.bucket, src.key()),
        );
        let url = self.object_url(dst);
        self.runtime.block_on(async {
            if size <= MAX_COPY {
                let mut headers = vec![source, ("x-amz-metadata-directive", "REPLACE".to_owned())];
                headers.extend(metadata);
                self.send(Method::PUT, &url, &headers, String::new(), dst)
                    .await
                    .map(drop)
            } else {
                self.copy_in_parts(&url, source, &metadata, size, dst).await
            }
        })
    }

    /// A multipart upload of `dst` whose parts are ranges of the source.
    async fn copy_in_parts(
        &self,
        url: &str,
        source: (&'static str, String),
        metadata: &[(&'static str, String)],
        size: u64,
        dst: &BackendPath,
    ) -> Result<(), Error> {
        let started = self
            .send(
                Method::POST,
                &format!("{url}?uploads="),
                metadata,
                String::new(),
                dst,
            )
            .await?;
        let upload_id = xml_field(&started, "UploadId")
            .ok_or_else(|| unexpected(dst, "no UploadId in the answer to CreateMultipartUpload"))?
            .to_owned();
        let upload = format!("uploadId={upload_id}");
        let ranges: Vec<(usize, u64, u64)> = (0..size.div_ceil(COPY_PART))
            .map(|i| {
                (
                    i as usize + 1,
                    i * COPY_PART,
                    ((i + 1) * COPY_PART).min(size) - 1,
                )
            })
            .collect();
        let copied: Result<Vec<(usize, String)>, Error> = futures::stream::iter(ranges)
            .map(|(number, first, last)| {
                let headers = [
                    source.clone(),
                    ("x-amz-copy-source-range", format!("bytes={first}-{last}")),
                ];
                let part_url = format!("{url}?partNumber={number}&{upload}");
                async move {
                    let answer = self
                        .send(Method::PUT, &part_url, &headers, String::new(), dst)
                        .await?;
                    let etag = xml_field(&answer, "ETag").ok_or_else(|| {
                        unexpected(dst, "no ETag in the answer to UploadPartCopy")
                    })?;
                    Ok((number, etag.to_owned()))
                }
            })
            .buffered(self.parallel)
            .try_collect()
            .await;
        let parts = match copied {
            Ok(parts) => parts,
            Err(e) => {
                // Best effort: the store drops the parts of an abandoned
                // upload after its own expiry otherwise.
                let abort = format!("{url}?{upload}");
                let _ = self
                    .send(Method::DELETE, &abort, &[], String::new(), dst)
                    .await;
                return Err(e);
            }
        };
        let mut body = String::from("<CompleteMultipartUpload>");
        for (number, etag) in parts {
            body.push_str(&format!(
                "<Part><PartNumber>{number}</PartNumber><ETag>{etag}</ETag></Part>"
            ));
        }
        body.push_str("</CompleteMultipartUpload>");
        self.send(Method::POST, &format!("{url}?{upload}"), &[], body, dst)
            .await
            .map(drop)
    }

    /// The URL of the object `path`.
    pub(super) fn object_url(&self, path: &BackendPath) -> String {
        // Keys are of the backend path alphabet (letters, digits, `/._-`):
        // nothing to percent-encode.
        format!("{}/{}", self.flavor.object_base, path.key())
    }

    /// [`S3::request`] of a copy to `dst`.
    async fn send(
        &self,
        method: Method,
        url: &str,
        headers: &[(&'static str, String)],
        body: String,
        dst: &BackendPath,
    ) -> Result<String, Error> {
        self.request("copy to", method, url, headers, body, dst)
            .await
    }

    /// Sends a signed request, again while the connection breaks or stalls
    /// or the server answers 5xx, within the retry bounds (object_store
    /// retries its own requests, not these); the answer's body, or the
    /// error it holds, saying it could not `what` `dst`.
    pub(super) async fn request(
        &self,
        what: &str,
        method: Method,
        url: &str,
        headers: &[(&'static str, String)],
        body: String,
        dst: &BackendPath,
    ) -> Result<String, Error> {
        let started = std::time::Instant::now();
        let mut attempt = 0;
        loop {
            let sent = self
                .send_once(what, method.clone(), url, headers, body.clone(), dst)
                .await;
            match sent {
                Err((_, true))
                    if attempt < self.transfer.retries
                        && started.elapsed() < self.transfer.retry_timeout =>
                {
                    attempt += 1;
                    let wait = std::time::Duration::from_millis(100 << attempt.min(5));
                    tokio::time::sleep(wait).await;
                }
                other => return other.map_err(|(e, _)| e),
            }
        }
    }

    /// Sends one signed request; the answer's body, or the error it holds
    /// (S3 may answer a copy with status 200 and an error in the body) and
    /// whether trying again may help.
    async fn send_once(
        &self,
        what: &str,
        method: Method,
        url: &str,
        headers: &[(&'static str, String)],
        body: String,
        dst: &BackendPath,
    ) -> Result<String, (Error, bool)> {
        let mut builder = http::Request::builder().method(method).uri(url);
        for (name, value) in headers {
            builder = builder.header(*name, value);
        }
        let mut request: HttpRequest = builder.body(HttpRequestBody::from(body)).map_err(|e| {
            (
                Error::other(format!("cannot {what} '{}'", dst.as_str()), e),
                false,
            )
        })?;
        if self.signed {
            let credential = self
                .flavor
                .aws
                .credentials()
                .get_credential()
                .await
                .map_err(|e| (self.error(e, dst.as_str(), what), false))?;
            AwsAuthorizer::new(&credential, "s3", &self.flavor.region)
                .with_sign_payload(false)
                .try_authorize(&mut request, None)
                .map_err(|e| (self.error(e, dst.as_str(), what), false))?;
        }
        let response = self.http.execute(request).await.map_err(|e| {
            let err = object_store::Error::Generic {
                store: "S3",
                source: Box::new(e),
            };
            (self.error(err, dst.as_str(), what), true)
        })?;
        let status = response.status();
        let body = response.into_body().bytes().await.map_err(|e| {
            (
                Error::other(format!("cannot {what} '{}'", dst.as_str()), e),
                true,
            )
        })?;
        let text = String::from_utf8_lossy(&body).into_owned();
        if status.is_success() && !text.contains("<Error>") {
            return Ok(text);
        }
        let again = status.is_server_error();
        Err((
            match s3_code(&text) {
                Some("NoSuchBucket") => Error::NotFound {
                    path: format!("bucket '{}' on '{}'", self.bucket, self.host),
                },
                Some("AccessDenied" | "InvalidAccessKeyId" | "SignatureDoesNotMatch") => {
                    self.refused(text, what)
                }
                _ => Error::other(
                    format!("cannot {what} '{}'", dst.as_str()),
                    format!("the server answered {status}: {text}"),
                ),
            },
            again,
        ))
    }
}

/// The text of the first `<name>` element of an XML answer.
pub(super) fn xml_field<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let len = xml[start..].find(&format!("</{name}>"))?;
    Some(&xml[start..start + len])
}

fn unexpected(dst: &BackendPath, what: &str) -> Error {
    Error::other(
        format!("cannot copy to '{}'", dst.as_str()),
        what.to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_of_an_answer() {
        let xml = "<CopyPartResult><LastModified>x</LastModified>\
                   <ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag></CopyPartResult>";
        assert_eq!(
            xml_field(xml, "ETag"),
            Some("&quot;9b2cf535f27731c974343645a3985328&quot;")
        );
        assert_eq!(xml_field(xml, "UploadId"), None);
    }
}
