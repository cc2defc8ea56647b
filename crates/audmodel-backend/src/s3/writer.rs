//! [`Backend::put_writer`](crate::Backend::put_writer) on S3: the bytes are
//! buffered up to one part; a file that stays that small is one PUT, a
//! larger one a multipart upload whose parts are sent while the next ones
//! are still written, `parallel` in flight (memory about
//! `part_size * (parallel + 1)`). The object gets the `owner` metadata but
//! no `checksum`: S3 takes metadata when an upload starts, and the
//! checksum is known only at the end.

use std::io::Write;

use bytes::Bytes;
use object_store::path::Path as Key;
use object_store::{ObjectStore, PutMultipartOptions, PutPayload, WriteMultipart};

use super::{S3, attributes};
use crate::{BackendPath, Error, PutWriter};

/// An object being written to `dst`.
pub(super) struct S3Writer<'a> {
    s3: &'a S3,
    dst: BackendPath,
    location: Key,
    /// What was written before the upload started.
    buffer: Vec<u8>,
    /// The multipart upload, once more than a part was written.
    upload: Option<WriteMultipart>,
    size: u64,
}

impl<'a> S3Writer<'a> {
    pub(super) fn new(s3: &'a S3, dst: &BackendPath) -> Result<Self, Error> {
        Ok(S3Writer {
            s3,
            dst: dst.clone(),
            location: super::key(dst)?,
            buffer: Vec::new(),
            upload: None,
            size: 0,
        })
    }

    fn failed(&self, err: object_store::Error) -> Error {
        self.s3.error(err, self.dst.as_str(), "write")
    }

    /// Starts the multipart upload with what is buffered as its first bytes.
    fn start(&mut self) -> Result<(), Error> {
        let options = PutMultipartOptions {
            attributes: attributes(None),
            ..PutMultipartOptions::default()
        };
        let upload = self
            .s3
            .runtime
            .block_on(self.s3.store.put_multipart_opts(&self.location, options))
            .map_err(|e| self.failed(e))?;
        let mut upload = WriteMultipart::new_with_chunk_size(upload, self.s3.part_size);
        // Parts are spawned on the backend's runtime.
        let _entered = self.s3.runtime.enter();
        upload.put(Bytes::from(std::mem::take(&mut self.buffer)));
        self.upload = Some(upload);
        Ok(())
    }

    fn write_part(&mut self, buf: &[u8]) -> Result<(), Error> {
        let s3 = self.s3;
        match &mut self.upload {
            None => {
                if self.buffer.capacity() == 0 {
                    // One part and a write: doubling past it would hold
                    // twice the part in memory.
                    self.buffer
                        .reserve_exact(s3.part_size + buf.len().max(1 << 20));
                }
                self.buffer.extend_from_slice(buf);
                if self.buffer.len() > s3.part_size {
                    self.start()?;
                }
            }
            Some(upload) => {
                let waited = s3.runtime.block_on(upload.wait_for_capacity(s3.parallel));
                if let Err(e) = waited {
                    return Err(self.failed(e));
                }
                let _entered = s3.runtime.enter();
                upload.write(buf);
            }
        }
        self.size += buf.len() as u64;
        Ok(())
    }
}

impl Write for S3Writer<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.write_part(buf).map_err(Error::into_io)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl PutWriter for S3Writer<'_> {
    fn finish(mut self: Box<Self>) -> Result<u64, Error> {
        let finished = match self.upload.take() {
            Some(upload) => self.s3.runtime.block_on(upload.finish()),
            None => {
                let options = object_store::PutOptions {
                    attributes: attributes(None),
                    ..object_store::PutOptions::default()
                };
                let data = PutPayload::from(std::mem::take(&mut self.buffer));
                self.s3
                    .runtime
                    .block_on(self.s3.store.put_opts(&self.location, data, options))
            }
        };
        finished.map_err(|e| self.failed(e))?;
        Ok(self.size)
    }
}

impl Drop for S3Writer<'_> {
    fn drop(&mut self) {
        if let Some(upload) = self.upload.take() {
            // Best effort: a store that misses the abort drops the parts of
            // an unfinished upload after its own expiry.
            let _ = self.s3.runtime.block_on(upload.abort());
        }
    }
}
