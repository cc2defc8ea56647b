//! Writing an object on any object store, for [`Backend::put_writer`](crate::Backend::put_writer)
//! and for uploads of local files: the bytes are buffered up to one part; an
//! object that stays that small is one PUT, a larger one a multipart upload
//! whose parts are sent while the next ones are still written, `parallel`
//! in flight (memory about `part_size * (parallel + 1)`). The object gets
//! the `owner` metadata, and the `checksum` when the writer is told it
//! before it starts: S3 takes metadata when an upload starts, and a
//! streamed archive's checksum is known only at the end.

use std::io::Write;

use bytes::Bytes;
use object_store::path::Path as Key;
use object_store::{Attribute, MultipartUpload, ObjectStore, PutMultipartOptions, PutPayload};
use tokio::task::JoinSet;

use super::{Flavor, ObjectBackend, attributes, is_broken_transfer};
use crate::{BackendPath, Error, PutWriter};

/// A multipart upload and its parts in flight. Not object_store's
/// `WriteMultipart`: its `finish` aborts the upload when the completion's
/// answer breaks, which on Garage removes the object just completed.
struct Upload {
    upload: Box<dyn MultipartUpload>,
    parts: JoinSet<object_store::Result<()>>,
}

/// S3 allows 10,000 parts: after every this many, parts double in size, so
/// an object can outgrow `part_size * 10,000` (80 GiB at the default) while
/// small ones keep small parts.
const PARTS_PER_SIZE: usize = 1000;

/// The size of the next part after `sent` parts of a base size `base`.
fn part_size_after(base: usize, sent: usize) -> usize {
    // Past 10,000 parts S3 refuses the upload anyway; the cap only keeps
    // the shift in range.
    base << (sent / PARTS_PER_SIZE).min(10)
}

/// An object being written to `dst`.
pub(super) struct ObjectWriter<'a, F> {
    s3: &'a ObjectBackend<F>,
    dst: BackendPath,
    location: Key,
    /// The `checksum` metadata, when known before the first byte.
    checksum: Option<String>,
    /// The mode of a single PUT; a multipart upload cannot carry one, so
    /// [`ObjectBackend::store_mode`]'s check before it is all there is.
    mode: object_store::PutMode,
    /// Parts sent so far.
    sent: usize,
    /// What was written since the last part was sent.
    buffer: Vec<u8>,
    /// The multipart upload, once more than a part was written.
    upload: Option<Upload>,
    size: u64,
}

impl<'a, F: Flavor> ObjectWriter<'a, F> {
    pub(super) fn new(
        s3: &'a ObjectBackend<F>,
        dst: &BackendPath,
        checksum: Option<String>,
        mode: object_store::PutMode,
    ) -> Result<Self, Error> {
        Ok(ObjectWriter {
            s3,
            dst: dst.clone(),
            location: super::key(dst)?,
            checksum,
            mode,
            sent: 0,
            buffer: Vec::new(),
            upload: None,
            size: 0,
        })
    }

    fn failed(&self, err: object_store::Error) -> Error {
        self.s3.error(err, self.dst.as_str(), "write")
    }

    /// Starts the multipart upload (again while its answer breaks).
    fn start(&mut self) -> Result<(), Error> {
        let options = PutMultipartOptions {
            attributes: attributes(self.checksum.as_deref()),
            ..PutMultipartOptions::default()
        };
        let upload = self
            .s3
            .again(|| {
                self.s3.runtime.block_on(
                    self.s3
                        .store
                        .put_multipart_opts(&self.location, options.clone()),
                )
            })
            .map_err(|e| self.failed(e))?;
        self.upload = Some(Upload {
            upload,
            parts: JoinSet::new(),
        });
        Ok(())
    }

    /// Sends the buffer as the next part once fewer than `parallel` are in
    /// flight (each part is retried on its own by object_store).
    fn send_part(&mut self) -> Result<(), Error> {
        if self.upload.is_none() {
            self.start()?;
        }
        let (s3, part) = (self.s3, std::mem::take(&mut self.buffer));
        let Some(upload) = self.upload.as_mut() else {
            return Ok(());
        };
        let waited = s3.runtime.block_on(async {
            while upload.parts.len() >= s3.parallel {
                match upload.parts.join_next().await {
                    Some(Ok(Err(e))) => return Err(e),
                    Some(Err(e)) => return Err(object_store::Error::JoinError { source: e }),
                    Some(Ok(Ok(()))) | None => {}
                }
            }
            Ok(())
        });
        waited.map_err(|e| s3.error(e, self.dst.as_str(), "write"))?;
        let _entered = s3.runtime.enter();
        upload
            .parts
            .spawn(upload.upload.put_part(PutPayload::from(Bytes::from(part))));
        self.sent += 1;
        Ok(())
    }

    fn part_size(&self) -> usize {
        part_size_after(self.s3.part_size, self.sent)
    }

    /// Buffers `buf`, sending a part once the buffer holds more than one.
    pub(super) fn write_bytes(&mut self, buf: &[u8]) -> Result<(), Error> {
        if self.buffer.capacity() == 0 {
            // One part and a write: doubling past it would hold twice the
            // part in memory.
            self.buffer
                .reserve_exact(self.part_size() + buf.len().max(1 << 20));
        }
        self.buffer.extend_from_slice(buf);
        if self.buffer.len() > self.part_size() {
            self.send_part()?;
        }
        self.size += buf.len() as u64;
        Ok(())
    }

    /// Sends the last part, waits for all and completes the upload.
    fn complete(&mut self) -> object_store::Result<()> {
        let Some(mut upload) = self.upload.take() else {
            return Ok(());
        };
        let result = self.s3.runtime.block_on(async {
            while let Some(part) = upload.parts.join_next().await {
                match part {
                    Ok(result) => result?,
                    Err(e) => return Err(object_store::Error::JoinError { source: e }),
                }
            }
            upload.upload.complete().await.map(drop)
        });
        match result {
            Ok(()) => Ok(()),
            // The completion may have been done though its answer broke:
            // doing it again would fail (the upload is gone). Ours is there
            // when its size and checksum are.
            Err(e) if is_broken_transfer(&e) && self.is_stored() => Ok(()),
            Err(e) => {
                self.upload = Some(upload);
                Err(e)
            }
        }
    }

    fn is_stored(&self) -> bool {
        self.s3.head_object(&self.dst).is_ok_and(|head| {
            head.meta.size == self.size
                && self.checksum.as_ref().is_none_or(|checksum| {
                    head.attributes
                        .get(&Attribute::Metadata("checksum".into()))
                        .is_some_and(|v| v.as_ref() == checksum)
                })
        })
    }
}

impl<F: Flavor> Write for ObjectWriter<'_, F> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.write_bytes(buf).map_err(Error::into_io)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<F: Flavor> PutWriter for ObjectWriter<'_, F> {
    fn finish(mut self: Box<Self>) -> Result<u64, Error> {
        let finished = match self.upload.is_some() {
            true => {
                if !self.buffer.is_empty() {
                    self.send_part()?;
                }
                self.complete()
            }
            false => {
                let options = object_store::PutOptions {
                    mode: self.mode.clone(),
                    attributes: attributes(self.checksum.as_deref()),
                    ..object_store::PutOptions::default()
                };
                let data = PutPayload::from(std::mem::take(&mut self.buffer));
                self.s3
                    .runtime
                    .block_on(self.s3.store.put_opts(&self.location, data, options))
                    .map(drop)
            }
        };
        finished.map_err(|e| self.failed(e))?;
        Ok(self.size)
    }
}

impl<F> Drop for ObjectWriter<'_, F> {
    fn drop(&mut self) {
        if let Some(mut upload) = self.upload.take() {
            // Best effort: a store that misses the abort drops the parts of
            // an unfinished upload after its own expiry.
            let _ = self.s3.runtime.block_on(async {
                upload.parts.shutdown().await;
                upload.upload.abort().await
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: usize = 1 << 20;

    #[test]
    fn parts_double_after_every_thousand_and_stay_within_the_limits_of_s3() {
        assert_eq!(part_size_after(8 * MIB, 0), 8 * MIB);
        assert_eq!(part_size_after(8 * MIB, 999), 8 * MIB);
        assert_eq!(part_size_after(8 * MIB, 1000), 16 * MIB);
        // S3: at most 10,000 parts of at most 5 GiB each.
        let sizes: Vec<u64> = (0..10_000)
            .map(|sent| part_size_after(8 * MIB, sent) as u64)
            .collect();
        assert!(sizes.iter().all(|&size| size <= 5 << 30));
        let most: u64 = sizes.iter().sum();
        assert!(most > 5 << 40, "10,000 parts hold only {most} bytes");
    }
}
