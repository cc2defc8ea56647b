//! Packing the model folder straight into the store: into a hidden file
//! beside the archive's final name on a file system (renamed into place
//! when whole), into a multipart upload on S3 (parts sent while later ones
//! are still deflating). One write of every byte and no temporary archive;
//! the archive is hashed only where the store keeps its checksum (S3
//! metadata): a file system's checksum is computed from the file when a
//! reader asks.

use std::io::Write;
use std::path::Path;

use audmodel_backend::BackendPath;
use audmodel_uid::HashingWriter;

use super::plan::Plan;
use crate::progress::{Stage, run_stage};
use crate::{Audmodel, Error, PublishOptions};

/// The folder a publish packs, and how.
pub(super) struct Source<'a> {
    root: &'a Path,
    options: audmodel_archive::PackOptions,
    /// Bytes of the files, for the packing progress.
    total: u64,
}

impl<'a> Source<'a> {
    pub(super) fn new(root: &'a Path, options: &PublishOptions) -> Result<Self, Error> {
        Ok(Source {
            root,
            options: audmodel_archive::PackOptions {
                level: options.compression,
                min_saving_percent: options.min_saving_percent,
            },
            total: audmodel_archive::pack_size(root)?,
        })
    }

    /// Bytes of the files: what the archive holds at compression 0, besides
    /// its headers.
    pub(super) fn total(&self) -> u64 {
        self.total
    }

    /// Packs into a new file at `dst` (a path of the store, not a logical
    /// one), unhashed. On an error or a cancel nothing stays at `dst`.
    pub(super) fn pack_to(
        &self,
        client: &Audmodel,
        plan: &Plan,
        dst: &BackendPath,
    ) -> Result<(), Error> {
        self.pack_into_store(client, plan, dst, |out, pack| pack(out).map(drop))
    }

    /// [`Source::pack_to`], returning the archive's MD5 hex.
    pub(super) fn pack_hashed_to(
        &self,
        client: &Audmodel,
        plan: &Plan,
        dst: &BackendPath,
    ) -> Result<String, Error> {
        self.pack_into_store(client, plan, dst, |out, pack| {
            let mut hashing = HashingWriter::new(out);
            pack(&mut hashing)?;
            Ok(hashing.finish().2)
        })
    }

    /// Opens the store's writer and runs `write` on it with a function that
    /// packs into what it is given; progress: `Pack` for the bytes of the
    /// files read, `Upload` for the bytes of the archive written to the
    /// store, at the same time.
    fn pack_into_store<T>(
        &self,
        client: &Audmodel,
        plan: &Plan,
        dst: &BackendPath,
        write: impl FnOnce(
            &mut dyn Write,
            &dyn Fn(&mut dyn Write) -> Packing,
        ) -> Result<T, ArchiveError>,
    ) -> Result<T, Error> {
        let backend = plan.versioned.backend();
        let mut writer = backend.put_writer(dst).map_err(plan.backend_err())?;
        let shown = Path::new(dst.as_str());
        let progress = &*client.progress;
        let written = run_stage(progress, Stage::Pack, self.total, &plan.cancel, |packed| {
            run_stage(progress, Stage::Upload, 0, &plan.cancel, |sent| {
                let mut counted = Counted {
                    out: &mut *writer,
                    progress: sent,
                };
                write(&mut counted, &|out| {
                    audmodel_archive::pack_into(self.root, out, shown, &self.options, packed)
                })
            })
        })
        .map_err(|e| pack_error(plan, e))?;
        writer.finish().map_err(plan.backend_err())?;
        Ok(written)
    }
}

type ArchiveError = audmodel_archive::Error;
type Packing = Result<audmodel_archive::PackedStream, ArchiveError>;

/// A writer that reports what passes as progress (and stops on a cancel).
struct Counted<'a> {
    out: &'a mut dyn Write,
    progress: audmodel_uid::Progress<'a>,
}

impl Write for Counted<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(buf)?;
        (self.progress)(n as u64).map_err(std::io::Error::other)?;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// A failed write to the store is the store's error, not the archive's.
fn pack_error(plan: &Plan, err: ArchiveError) -> Error {
    match err {
        ArchiveError::Io { path, source } => match audmodel_backend::Error::from_io(source) {
            Ok(backend) => plan.backend_err()(backend),
            Err(source) => ArchiveError::Io { path, source }.into(),
        },
        other => other.into(),
    }
}
