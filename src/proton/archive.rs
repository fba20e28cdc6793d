//! The deterministic `.tar.gz` of a bundle, and Proton's size limits checked on the files and the archive.

use std::collections::BTreeMap;

use proton_synth_constructs::Diagnostic;

use super::format::limits::{max_file_bytes, MAX_ARCHIVE_BYTES, MAX_FILES};

fn check_sizes(template: &str, files: &BTreeMap<String, Vec<u8>>, tar_gz: &[u8], diags: &mut Vec<Diagnostic>) {
    if files.len() > MAX_FILES {
        diags.push(Diagnostic::error(
            template,
            format!(
                "the bundle has {} files; AWS Proton allows at most {MAX_FILES}",
                files.len()
            ),
        ));
    }
    for (path, body) in files {
        let max = max_file_bytes(path);
        if body.len() > max {
            diags.push(Diagnostic::error(
                template,
                format!("{path} is {} bytes; AWS Proton allows at most {max}", body.len()),
            ));
        }
    }
    if tar_gz.len() as u64 > MAX_ARCHIVE_BYTES {
        diags.push(Diagnostic::error(
            template,
            format!(
                "the bundle archive is {} bytes; AWS Proton allows at most {MAX_ARCHIVE_BYTES}",
                tar_gz.len()
            ),
        ));
    }
}

/// A deterministic `.tar.gz` of `files` under one wrapping folder `root`: sorted entries, GNU headers,
/// mtime 0, uid/gid 0, empty owner names, modes 0644/0755, gzip level 1 (pinned: the bytes depend on it;
/// bundles are small text, level 6 saves little and costs three times the time) with header mtime 0.
pub fn deterministic_tar_gz(root: &str, files: &BTreeMap<String, Vec<u8>>) -> std::io::Result<Vec<u8>> {
    let mut entries: BTreeMap<String, Option<&[u8]>> = BTreeMap::new();
    entries.insert(format!("{root}/"), None);
    for (path, body) in files {
        let full = format!("{root}/{path}");
        let mut dir = full.as_str();
        while let Some(pos) = dir.rfind('/') {
            dir = &dir[..pos];
            entries.insert(format!("{dir}/"), None);
        }
        entries.insert(full, Some(body));
    }
    DEFLATE.with_borrow_mut(|deflate| {
        let size: usize = files.values().map(|b| b.len() / 3 + 512).sum();
        let mut builder = tar::Builder::new(GzWriter::new(deflate, size));
        for (path, body) in &entries {
            let mut h = tar::Header::new_gnu();
            h.set_mtime(0);
            h.set_uid(0);
            h.set_gid(0);
            match body {
                Some(data) => {
                    h.set_entry_type(tar::EntryType::Regular);
                    h.set_mode(0o644);
                    h.set_size(data.len() as u64);
                    builder.append_data(&mut h, path, *data)?;
                }
                None => {
                    h.set_entry_type(tar::EntryType::Directory);
                    h.set_mode(0o755);
                    h.set_size(0);
                    builder.append_data(&mut h, path, std::io::empty())?;
                }
            }
        }
        builder.into_inner()?.finish()
    })
}

thread_local! {
    /// The deflate state of this thread, reset for each archive: a new one costs more than compressing a
    /// small bundle (hundreds of KB of tables to clear).
    static DEFLATE: std::cell::RefCell<flate2::Compress> =
        std::cell::RefCell::new(flate2::Compress::new(flate2::Compression::new(1), false));
}

/// A gzip stream into memory over a reused deflate state, byte-identical to `flate2::GzEncoder` (level 1,
/// mtime 0) given the same writes and then `flush` and `finish`: each write is compressed as it comes (the
/// deflate output depends on how the input is split, so the splitting is the writer's, as before).
struct GzWriter<'a> {
    deflate: &'a mut flate2::Compress,
    out: Vec<u8>,
    crc: flate2::Crc,
}

/// The gzip header: no name, mtime 0, "fastest" (level 1), OS unknown (255), as
/// `flate2::GzBuilder::new().mtime(0)` writes it.
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 255];

impl<'a> GzWriter<'a> {
    fn new(deflate: &'a mut flate2::Compress, capacity: usize) -> Self {
        deflate.reset();
        let mut out = Vec::with_capacity(capacity.max(64 * 1024));
        out.extend_from_slice(&GZIP_HEADER);
        GzWriter {
            deflate,
            out,
            crc: flate2::Crc::new(),
        }
    }

    /// One deflate call; returns the input consumed and whether output was produced.
    fn run(&mut self, input: &[u8], flush: flate2::FlushCompress) -> std::io::Result<(usize, bool)> {
        // Room for a whole call's output, as GzEncoder's 32 KB buffer had.
        if self.out.capacity() - self.out.len() < 32 * 1024 {
            self.out.reserve(self.out.capacity().max(32 * 1024));
        }
        let (before_in, before_out) = (self.deflate.total_in(), self.deflate.total_out());
        self.deflate
            .compress_vec(input, &mut self.out, flush)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let consumed = (self.deflate.total_in() - before_in) as usize;
        Ok((consumed, self.deflate.total_out() != before_out))
    }

    /// A sync flush (as `GzEncoder::flush`), the final block (as `finish`), then CRC-32 and size.
    fn finish(mut self) -> std::io::Result<Vec<u8>> {
        use flate2::FlushCompress;
        self.run(&[], FlushCompress::Sync)?;
        while self.run(&[], FlushCompress::None)?.1 {}
        while self.run(&[], FlushCompress::Finish)?.1 {}
        self.out.extend_from_slice(&self.crc.sum().to_le_bytes());
        self.out.extend_from_slice(&self.crc.amount().to_le_bytes());
        Ok(self.out)
    }
}

impl std::io::Write for GzWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        loop {
            let (consumed, _) = self.run(buf, flate2::FlushCompress::None)?;
            if consumed > 0 || buf.is_empty() {
                self.crc.update(&buf[..consumed]);
                return Ok(consumed);
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub(super) fn finish_bundle(name: &str, files: &BTreeMap<String, Vec<u8>>, diags: &mut Vec<Diagnostic>) -> Vec<u8> {
    match deterministic_tar_gz(name, files) {
        Ok(t) => {
            check_sizes(name, files, &t, diags);
            t
        }
        Err(e) => {
            diags.push(Diagnostic::error(
                name,
                format!(
                    "cannot build the archive: {}; report this as a bug",
                    crate::engine::io_words(&e)
                ),
            ));
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    /// What `flate2::GzEncoder` writes given `pieces`, then flushed and finished (how archives were
    /// gzipped before the deflate state was reused; the sizes in the examples' manifests pin them too).
    fn streamed(pieces: &[&[u8]]) -> Vec<u8> {
        let mut gz = flate2::GzBuilder::new()
            .mtime(0)
            .write(Vec::new(), flate2::Compression::new(1));
        for piece in pieces {
            gz.write_all(piece).unwrap();
        }
        gz.flush().unwrap();
        gz.finish().unwrap()
    }

    fn reused(pieces: &[&[u8]]) -> Vec<u8> {
        DEFLATE.with_borrow_mut(|deflate| {
            let mut gz = GzWriter::new(deflate, 0);
            for piece in pieces {
                gz.write_all(piece).unwrap();
            }
            gz.finish().unwrap()
        })
    }

    #[test]
    fn reused_deflate_state_writes_what_the_streaming_encoder_does() {
        let text: String = (0..5000)
            .map(|i| {
                format!(
                    "  Resource{i}:\n    Type: AWS::SNS::Topic\n    Name: \"{}\"\n",
                    i * 7919 % 1013
                )
            })
            .collect();
        let noise: Vec<u8> = (0u32..200_000)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for data in [&b""[..], b"a", text.as_bytes(), &noise] {
            for size in [512, 700, 8192, 1 << 20] {
                let pieces: Vec<&[u8]> = data.chunks(size).collect();
                // Twice: the second archive reuses this thread's reset deflate state.
                assert!(
                    reused(&pieces) == streamed(&pieces),
                    "{} bytes in pieces of {size}",
                    data.len()
                );
                assert!(
                    reused(&pieces) == streamed(&pieces),
                    "{} bytes in pieces of {size}",
                    data.len()
                );
            }
        }
    }
}
