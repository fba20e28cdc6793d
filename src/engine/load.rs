//! Loading a bundle from disk: a folder or a `.tar.gz`, read within the bounds of [`super::limits`].
//! Inside a folder only regular files and folders are read; links, FIFOs, devices and sockets are skipped
//! with a warning (and named as such if the bundle needs them). Archive entries are read through a reader
//! that stops at the entry's declared size and at the unpacked-bytes bound, whatever the headers claim.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{self, Read};
use std::path::{Component, Path};
use std::rc::Rc;

use super::bundle::Bundle;
use super::finding::Finding;
use super::limits::{self, describe_bytes};
use super::read::{describe_file_type, io_words, read_bounded, ReadError};

/// Load a bundle from a folder or a gzip-compressed tar archive.
pub fn load_bundle(path: &Path) -> Result<Bundle, Vec<Finding>> {
    let source = path.display().to_string();
    let fail = |msg: String| vec![Finding::error(msg).in_file(source.clone())];
    let meta = fs::metadata(path).map_err(|e| {
        fail(format!(
            "cannot read the bundle: {}; give a bundle folder or a .tar.gz archive (e.g. \
             proton-synth.out/proton/bundles/NAME.tar.gz)",
            io_words(&e)
        ))
    })?;
    let mut raw = RawFiles::default();
    let (archive_size, folder) = if meta.is_dir() {
        raw.root = source.trim_end_matches('/').to_owned();
        read_dir_into(path, "", 0, &mut raw).map_err(fail)?;
        (None, source.as_str())
    } else if meta.is_file() {
        let bytes = read_bounded(path, limits::MAX_ARCHIVE_READ_BYTES, false).map_err(|e| fail(archive_error(&e)))?;
        if !bytes.starts_with(&[0x1f, 0x8b]) {
            return Err(fail(
                "not a bundle: expected a folder or a gzip-compressed tar archive (.tar.gz)".to_owned(),
            ));
        }
        read_tar_gz(&bytes, &mut raw).map_err(|e| fail(format!("cannot unpack the archive: {e}")))?;
        (Some(bytes.len() as u64), "")
    } else {
        return Err(fail(format!(
            "the bundle is {}; expected a folder or a gzip-compressed tar archive (.tar.gz)",
            describe_file_type(&meta.file_type())
        )));
    };
    if raw.files.is_empty() {
        return Err(fail(
            "the bundle has no files; expected schema/schema.yaml and its template folders".to_owned(),
        ));
    }
    let folder = folder.to_owned();
    Ok(raw.into_bundle(source, archive_size, &folder))
}

fn archive_error(e: &ReadError) -> String {
    match e {
        ReadError::TooLarge { .. } => format!(
            "the archive is larger than the {} this tool reads; Proton accepts at most {} bytes (5 MB)",
            describe_bytes(limits::MAX_ARCHIVE_READ_BYTES),
            limits::MAX_ARCHIVE_BYTES
        ),
        other => other.message("the bundle"),
    }
}

/// A bundle's files as read, before the wrapping folder is worked out.
#[derive(Default)]
pub(super) struct RawFiles {
    files: BTreeMap<String, Vec<u8>>,
    dirs: BTreeSet<String>,
    special: BTreeMap<String, String>,
    warnings: Vec<Finding>,
    unpacked: u64,
    /// Entries seen: files, folders, links and the rest.
    entries: usize,
    /// The folder as the user named it, for warnings (empty for archives).
    root: String,
}

impl RawFiles {
    pub(super) fn add_file(&mut self, path: String, contents: Vec<u8>) {
        let path = clean(&path).to_owned();
        self.add_parents(&path);
        self.files.insert(path, contents);
    }

    fn add_parents(&mut self, path: &str) {
        let mut parent = path;
        while let Some(i) = parent.rfind('/') {
            parent = &parent[..i];
            self.dirs.insert(parent.to_owned());
        }
    }

    fn add_dir(&mut self, path: &str) {
        let path = clean(path);
        if !path.is_empty() && path != "." {
            self.dirs.insert(path.to_owned());
        }
    }

    /// A folder entry that is not a regular file: skipped, remembered for messages.
    fn add_special(&mut self, path: &str, what: &'static str) {
        let path = clean(path).to_owned();
        self.warnings.push(
            Finding::warning(format!("{what}, skipped; a bundle holds regular files only")).in_file(self.shown(&path)),
        );
        self.add_parents(&path);
        self.special.insert(path, what.to_owned());
    }

    /// Strip one wrapping folder when every entry is inside it and the bundle root is not at the top.
    pub(super) fn into_bundle(self, source: String, archive_size: Option<u64>, folder: &str) -> Bundle {
        let top = |p: &str| p.split('/').next().unwrap_or("").to_owned();
        let tops: BTreeSet<String> = self.files.keys().chain(self.dirs.iter()).map(|p| top(p)).collect();
        let wrapper = match tops.iter().next() {
            Some(t) if tops.len() == 1 && t != "schema" && !self.files.contains_key(t) => Some(t.clone()),
            _ => None,
        };
        let strip = |p: &str| match &wrapper {
            Some(w) => p
                .strip_prefix(w.as_str())
                .unwrap_or(p)
                .trim_start_matches('/')
                .to_owned(),
            None => p.to_owned(),
        };
        let display_root = match (&wrapper, folder.trim_end_matches('/')) {
            (Some(w), "") => w.clone(),
            (Some(w), f) => format!("{f}/{w}"),
            (None, f) => f.to_owned(),
        };
        Bundle {
            source,
            display_root,
            files: self.files.into_iter().map(|(p, c)| (strip(&p), c)).collect(),
            dirs: self.dirs.iter().map(|d| strip(d)).filter(|d| !d.is_empty()).collect(),
            special: self.special.into_iter().map(|(p, w)| (strip(&p), w)).collect(),
            wrapper,
            archive_size,
            load_warnings: self.warnings,
        }
    }

    /// Count an entry of `size` bytes (before reading it); `Err` once a bound is passed.
    fn account(&mut self, rel: &str, size: u64) -> Result<(), String> {
        self.unpacked = self.unpacked.saturating_add(size);
        if self.unpacked > limits::MAX_UNPACKED_BYTES {
            return Err(format!(
                "{rel}: the bundle's files add up to more than {} (this one is {size} bytes); this is not a template bundle",
                describe_bytes(limits::MAX_UNPACKED_BYTES)
            ));
        }
        self.entries += 1;
        if self.entries > limits::MAX_ENTRIES {
            return Err(format!(
                "{rel}: the bundle has more than {} files and folders; this is not a template bundle",
                limits::MAX_ENTRIES
            ));
        }
        Ok(())
    }

    /// A path as the user sees it: below the folder they named, or inside the archive.
    fn shown(&self, rel: &str) -> String {
        if self.root.is_empty() {
            rel.to_owned()
        } else {
            format!("{}/{rel}", self.root)
        }
    }

    /// What is left of the unpacked-bytes bound.
    fn remaining(&self) -> u64 {
        limits::MAX_UNPACKED_BYTES.saturating_sub(self.unpacked)
    }
}

fn clean(path: &str) -> &str {
    path.trim_start_matches("./").trim_matches('/')
}

fn read_dir_into(dir: &Path, prefix: &str, depth: usize, raw: &mut RawFiles) -> Result<(), String> {
    if depth > limits::MAX_DEPTH {
        return Err(format!(
            "{prefix}: folders nested more than {} deep; this is not a template bundle",
            limits::MAX_DEPTH
        ));
    }
    let shown = if prefix.is_empty() { "the bundle folder" } else { prefix };
    let mut entries = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| format!("cannot read {shown}: {}", io_words(&e)))? {
        entries.push(entry.map_err(|e| format!("cannot read {shown}: {}", io_words(&e)))?);
        if entries.len() > limits::MAX_ENTRIES {
            return Err(format!(
                "{shown}: more than {} entries; this is not a template bundle",
                limits::MAX_ENTRIES
            ));
        }
    }
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let ft = entry.file_type().map_err(|e| format!("{rel}: {}", io_words(&e)))?;
        if ft.is_dir() {
            raw.account(&rel, 0)?;
            raw.add_dir(&rel);
            read_dir_into(&entry.path(), &rel, depth + 1, raw)?;
        } else if ft.is_file() {
            read_folder_file(&entry.path(), rel, raw)?;
        } else {
            raw.account(&rel, 0)?;
            raw.add_special(&rel, describe_file_type(&ft));
        }
    }
    Ok(())
}

/// Read one regular file of a bundle folder: its size is checked against what is left of the bound
/// before it is opened; a file swapped for a link or a FIFO meanwhile is skipped like one.
fn read_folder_file(path: &Path, rel: String, raw: &mut RawFiles) -> Result<(), String> {
    match read_bounded(path, raw.remaining(), true) {
        Ok(contents) => {
            raw.account(&rel, contents.len() as u64)?;
            raw.add_file(rel, contents);
            Ok(())
        }
        Err(ReadError::TooLarge { size, limit }) => raw.account(&rel, size.unwrap_or(limit.saturating_add(1))),
        Err(ReadError::NotRegular(what)) => {
            raw.add_special(&rel, what);
            Ok(())
        }
        Err(e) => Err(format!("{rel}: {}", e.message("this file"))),
    }
}

/// What went wrong below tar, in the gzip stream.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum StreamState {
    #[default]
    Ok,
    /// The decompressed stream passed [`limits::MAX_TAR_STREAM_BYTES`].
    TooLarge,
    /// The gzip data is corrupt or truncated.
    Corrupt,
}

/// The decompressed stream, stopped at a bound; records why it failed, so tar's errors about it can be
/// told apart from tar's own.
struct Guarded<R> {
    inner: R,
    left: u64,
    state: Rc<Cell<StreamState>>,
}

impl<R: Read> Read for Guarded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe) {
                Ok(0) => Ok(0),
                _ => {
                    self.state.set(StreamState::TooLarge);
                    Err(io::Error::other("decompressed stream too large"))
                }
            };
        }
        let max = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        match self.inner.read(&mut buf[..max]) {
            Ok(n) => {
                self.left -= n as u64;
                Ok(n)
            }
            Err(e) => {
                self.state.set(StreamState::Corrupt);
                Err(e)
            }
        }
    }
}

fn read_tar_gz(bytes: &[u8], raw: &mut RawFiles) -> Result<(), String> {
    let state = Rc::new(Cell::new(StreamState::Ok));
    let stream = Guarded {
        inner: flate2::read::GzDecoder::new(bytes),
        left: limits::MAX_TAR_STREAM_BYTES,
        state: Rc::clone(&state),
    };
    let mut archive = tar::Archive::new(stream);
    let words = |what: &str| tar_error(state.get(), what);
    let entries = archive.entries().map_err(|_| words("the archive"))?;
    for entry in entries {
        let mut entry = entry.map_err(|_| words("an entry header"))?;
        let path = entry.path().map_err(|_| words("an entry name"))?.into_owned();
        let rel = safe_relative(&path).ok_or_else(|| {
            format!(
                "unsafe path in archive: {}; entries must be relative, without `..`",
                path.display()
            )
        })?;
        let kind = entry.header().entry_type();
        if !kind.is_file() {
            raw.account(&rel, 0)?;
        }
        if kind.is_dir() {
            raw.add_dir(&rel);
        } else if kind.is_file() {
            // The header's size is checked first; the read stops at it and at the bound whatever it says.
            let size = entry.size();
            raw.account(&rel, size)?;
            let mut contents = Vec::new();
            entry
                .by_ref()
                .take(size.min(limits::MAX_UNPACKED_BYTES))
                .read_to_end(&mut contents)
                .map_err(|_| words(&rel))?;
            if (contents.len() as u64) < size {
                return Err(format!(
                    "{rel}: the entry header claims {size} bytes but the archive holds {}; the archive is truncated or corrupt",
                    contents.len()
                ));
            }
            raw.add_file(rel, contents);
        } else if kind.is_symlink() || kind.is_hard_link() {
            let warning = Finding::warning("a link, skipped; a bundle archive holds regular files only");
            raw.warnings.push(warning.in_file(rel));
        } else if kind.is_fifo() || kind.is_character_special() || kind.is_block_special() {
            let warning =
                Finding::warning("a FIFO or device entry, skipped; a bundle archive holds regular files only");
            raw.special.insert(rel.clone(), "a FIFO or device entry".to_owned());
            raw.warnings.push(warning.in_file(rel));
        }
    }
    // The tar end marker can come before the end of the gzip stream: read the rest so that a truncated or
    // corrupt archive (bad CRC, missing trailer) is an error rather than a silently shorter bundle.
    let mut rest = archive.into_inner();
    io::copy(&mut rest, &mut io::sink()).map_err(|_| tar_error(state.get(), "the end of the archive"))?;
    Ok(())
}

/// tar's and flate2's errors in our words (theirs name header fields such as `cksum`).
fn tar_error(state: StreamState, at: &str) -> String {
    match state {
        StreamState::TooLarge => format!(
            "{at}: the archive unpacks to more than {}; this is not a template bundle",
            describe_bytes(limits::MAX_TAR_STREAM_BYTES)
        ),
        StreamState::Corrupt => {
            format!("{at}: the gzip data is corrupt or truncated; re-create the archive with `tar czf`")
        }
        StreamState::Ok => {
            format!("{at}: not a valid tar archive (a corrupt or truncated entry header); re-create it with `tar czf`")
        }
    }
}

/// A `/`-joined relative path, or `None` for absolute paths and `..`.
fn safe_relative(path: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_unsafe_archive_paths() {
        assert_eq!(safe_relative(Path::new("./a/b")), Some("a/b".to_owned()));
        assert_eq!(safe_relative(Path::new("../a")), None);
        assert_eq!(safe_relative(Path::new("/etc/passwd")), None);
    }
}
