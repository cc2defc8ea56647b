//! The default [`Backend::put_writer`]: a local temporary file, uploaded
//! with [`Backend::put_file`] when it is finished, for stores (and
//! wrappers) that have no way to take a file of unknown size as it comes.

use std::io::Write;

use crate::{Backend, BackendPath, Error, PutOptions, PutWriter};

/// A file spooled locally on its way to `dst`.
pub(crate) struct Spool<'a, B: Backend + ?Sized> {
    backend: &'a B,
    dst: BackendPath,
    file: tempfile::NamedTempFile,
}

impl<'a, B: Backend + ?Sized> Spool<'a, B> {
    pub(crate) fn open(
        backend: &'a B,
        dst: &BackendPath,
    ) -> Result<Box<dyn PutWriter + 'a>, Error> {
        let file = tempfile::NamedTempFile::new()
            .map_err(|e| Error::io(e, dst.as_str(), "cannot create a local temporary file for"))?;
        Ok(Box::new(Spool {
            backend,
            dst: dst.clone(),
            file,
        }))
    }
}

impl<B: Backend + ?Sized> Write for Spool<'_, B> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

impl<B: Backend + ?Sized> PutWriter for Spool<'_, B> {
    fn finish(mut self: Box<Self>) -> Result<u64, Error> {
        let shown = self.dst.as_str().to_owned();
        let size = crate::local::flushed_size(&mut self.file, &shown)?;
        self.backend.put_file(
            self.file.path(),
            &self.dst,
            PutOptions::default(),
            &crate::no_progress,
        )?;
        Ok(size)
    }
}
