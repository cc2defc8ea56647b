//! What a bucket holds, for [`Backend::inventory`](crate::Backend::inventory)
//! and [`Backend::discard`](crate::Backend::discard): its objects with size
//! and time, and its unfinished multipart uploads, which a writer killed
//! (or cut off from the server) mid-upload leaves and which are no objects:
//! no listing shows them, yet the store keeps their parts until they are
//! aborted or a lifecycle rule of the bucket expires them.
//!
//! object_store 0.14 aborts an upload (`MultipartStore::abort_multipart`)
//! but has no call that lists them, so `ListMultipartUploads` and, for each
//! upload, `ListParts` (its size and the time of its latest part: a live
//! upload keeps sending parts) are sent here, signed as the copies of
//! `copy.rs` are; only the few fields read from the answers are ours.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::Method;
use object_store::multipart::MultipartStore;

use super::super::key;
use super::copy::xml_field;
use super::{S3, s3_code};
use crate::{BackendPath, Error, StoreEntry, StoreEntryKind};
use audmodel_uid::error_chain;

/// An unfinished upload as `ListMultipartUploads` names it.
struct Upload {
    key: String,
    id: String,
    initiated: Option<SystemTime>,
}

impl S3 {
    /// The objects below `prefix` and the unfinished uploads of keys below it.
    pub(super) fn inventory_of(&self, prefix: &BackendPath) -> Result<Vec<StoreEntry>, Error> {
        let mut found = self.objects_below(prefix)?;
        for upload in self.unfinished_uploads(prefix)? {
            let Ok(path) = BackendPath::new(&format!("/{}", upload.key)) else {
                continue;
            };
            let (size, latest) = self.parts_of(&path, &upload.id)?;
            let modified = match (upload.initiated, latest) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
            found.push(StoreEntry::new(
                path,
                StoreEntryKind::Upload { id: upload.id },
                size,
                modified,
            ));
        }
        Ok(found)
    }

    /// Removes an object, or aborts an unfinished upload (its parts go).
    pub(super) fn discard_entry(&self, entry: &StoreEntry) -> Result<(), Error> {
        match &entry.kind {
            StoreEntryKind::File => crate::Backend::delete(self, &entry.path),
            StoreEntryKind::Upload { id } => {
                let location = key(&entry.path)?;
                let aborted = self.again(|| {
                    self.runtime
                        .block_on(self.flavor.aws.abort_multipart(&location, &id.clone()))
                });
                match aborted {
                    Ok(()) => Ok(()),
                    Err(e) if s3_code(&error_chain(&e)) == Some("NoSuchUpload") => {
                        Err(Error::NotFound {
                            path: entry.path.as_str().to_owned(),
                        })
                    }
                    Err(e) => Err(self.error(e, entry.path.as_str(), "abort the upload of")),
                }
            }
            other => Err(Error::Unsupported {
                what: format!("removing {other} '{}'", entry.path.as_str()),
            }),
        }
    }

    /// The URL of the bucket itself: path-style `object_base` is
    /// `…/{bucket}`; virtual-hosted it is the host `{bucket}.…`, whose
    /// root is the bucket.
    fn bucket_url(&self) -> String {
        match self
            .flavor
            .object_base
            .ends_with(&format!("/{}", self.bucket))
        {
            true => self.flavor.object_base.clone(),
            false => format!("{}/", self.flavor.object_base),
        }
    }

    /// Every unfinished upload of a key below `prefix`, page by page.
    fn unfinished_uploads(&self, prefix: &BackendPath) -> Result<Vec<Upload>, Error> {
        let mut query = String::from("?uploads=");
        if !prefix.key().is_empty() {
            query.push_str(&format!(
                "&prefix={}",
                encode(&format!("{}/", prefix.key()))
            ));
        }
        let mut uploads = Vec::new();
        let mut markers: Option<(String, String)> = None;
        loop {
            let mut url = format!("{}{query}", self.bucket_url());
            if let Some((key_marker, id_marker)) = &markers {
                url.push_str(&format!(
                    "&key-marker={}&upload-id-marker={}",
                    encode(key_marker),
                    encode(id_marker)
                ));
            }
            let answer = self.runtime.block_on(self.request(
                "list the unfinished uploads below",
                Method::GET,
                &url,
                &[],
                String::new(),
                prefix,
            ))?;
            for block in elements(&answer, "Upload") {
                let (Some(key), Some(id)) = (field(block, "Key"), field(block, "UploadId")) else {
                    continue;
                };
                uploads.push(Upload {
                    key,
                    id,
                    initiated: field(block, "Initiated").as_deref().and_then(parse_time),
                });
            }
            let next = (
                field(&answer, "NextKeyMarker"),
                field(&answer, "NextUploadIdMarker"),
            );
            match (field(&answer, "IsTruncated").as_deref(), next) {
                (Some("true"), (Some(key), Some(id)))
                    if markers != Some((key.clone(), id.clone())) =>
                {
                    markers = Some((key, id));
                }
                _ => return Ok(uploads),
            }
        }
    }

    /// The bytes an unfinished upload holds and when its latest part came.
    fn parts_of(&self, path: &BackendPath, id: &str) -> Result<(u64, Option<SystemTime>), Error> {
        let (mut size, mut latest) = (0u64, None);
        let mut marker: Option<String> = None;
        loop {
            let mut url = format!("{}?uploadId={}", self.object_url(path), encode(id));
            if let Some(marker) = &marker {
                url.push_str(&format!("&part-number-marker={}", encode(marker)));
            }
            let answer = self.runtime.block_on(self.request(
                "list the parts of the unfinished upload of",
                Method::GET,
                &url,
                &[],
                String::new(),
                path,
            ));
            let answer = match answer {
                Ok(answer) => answer,
                // Completed or aborted since it was listed: nothing is left of it.
                Err(Error::Other { source, .. })
                    if s3_code(&source.to_string()) == Some("NoSuchUpload") =>
                {
                    return Ok((size, latest));
                }
                Err(e) => return Err(e),
            };
            for block in elements(&answer, "Part") {
                size += field(block, "Size")
                    .and_then(|s| s.parse::<u64>().ok())
                    .unwrap_or(0);
                let time = field(block, "LastModified").as_deref().and_then(parse_time);
                latest = latest.max(time);
            }
            match (
                field(&answer, "IsTruncated").as_deref(),
                field(&answer, "NextPartNumberMarker"),
            ) {
                (Some("true"), Some(next)) if marker.as_ref() != Some(&next) => marker = Some(next),
                _ => return Ok((size, latest)),
            }
        }
    }
}

/// The contents of every `<name>` element of an XML answer, in order.
fn elements<'a>(xml: &'a str, name: &str) -> Vec<&'a str> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    let mut found = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let inside = &rest[start + open.len()..];
        let Some(len) = inside.find(&close) else {
            break;
        };
        found.push(&inside[..len]);
        rest = &inside[len + close.len()..];
    }
    found
}

/// The unescaped text of the first `<name>` element.
fn field(xml: &str, name: &str) -> Option<String> {
    xml_field(xml, name).map(unescape)
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Percent-encodes a query value (everything but the unreserved characters).
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// An S3 time, `2024-05-01T10:00:00.000Z` (ISO 8601 in UTC).
fn parse_time(text: &str) -> Option<SystemTime> {
    let text = text.trim().strip_suffix('Z')?;
    let (date, time) = text.split_once('T')?;
    let mut date = date.split('-').map(|p| p.parse::<i64>().ok());
    let (year, month, day) = (date.next()??, date.next()??, date.next()??);
    let (whole, fraction) = time.split_once('.').unwrap_or((time, ""));
    let mut clock = whole.split(':').map(|p| p.parse::<u64>().ok());
    let (hour, minute, second) = (clock.next()??, clock.next()??, clock.next()??);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    let nanos = match fraction {
        "" => 0,
        digits => format!("{digits:0<9}").get(..9)?.parse::<u32>().ok()?,
    };
    let days = u64::try_from(days_from_civil(year, month, day)).ok()?;
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second;
    Some(UNIX_EPOCH + Duration::new(seconds, nanos))
}

/// Days since 1970-01-01 of a date of the proleptic Gregorian calendar
/// (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn times_of_s3_answers() {
        let at = |text: &str| {
            parse_time(text).map(|t| t.duration_since(UNIX_EPOCH).unwrap().as_secs_f64())
        };
        assert_eq!(at("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(at("2010-11-10T20:48:33.000Z"), Some(1_289_422_113.0));
        assert_eq!(at("2024-02-29T12:00:00.5Z"), Some(1_709_208_000.5));
        assert_eq!(at("2024-02-29T12:00:00"), None, "no zone");
        assert_eq!(at("yesterday"), None);
    }

    #[test]
    fn uploads_and_parts_of_answers() {
        let xml = "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated>\
                   <Upload><Key>a/.x.zip.upload-1</Key><UploadId>AB&amp;C</UploadId>\
                   <Initiator><ID>i</ID></Initiator><Initiated>2010-11-10T20:48:33.000Z</Initiated></Upload>\
                   <Upload><Key>b</Key><UploadId>2</UploadId></Upload></ListMultipartUploadsResult>";
        let blocks = elements(xml, "Upload");
        assert_eq!(blocks.len(), 2);
        assert_eq!(field(blocks[0], "UploadId").as_deref(), Some("AB&C"));
        assert_eq!(field(blocks[1], "Key").as_deref(), Some("b"));
        assert_eq!(field(xml, "IsTruncated").as_deref(), Some("false"));
        assert_eq!(encode("a/b c"), "a%2Fb%20c");
    }
}
