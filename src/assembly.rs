//! Where synthesized files go: a [`Sink`].
//!
//! - [`Assembly`]: files in memory (tests, `list`, programs that post-process output), written to disk
//!   atomically with [`Assembly::write_atomic`].
//! - [`StagingDir`] (from [`crate::output`]): files streamed to disk as each template finishes, into a
//!   temporary sibling folder of the target that [`StagingDir::commit`] swaps with it; dropped without a
//!   commit, it removes itself. This is what `synth --out` uses: memory stays flat however many templates a
//!   program has, a failed synthesis (or a crash) leaves the previous output folder untouched, and only a
//!   folder proton-synth wrote (or an empty one) is ever replaced.
//!
//! Both check paths the same way (relative, `/`-separated, no `.`/`..`, each written once).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

pub use crate::output::StagingDir;
use crate::output::{OutputError, OutputOptions};

/// A destination for output files, shared by the synthesis threads.
pub trait Sink: Sync {
    /// Store one file at a relative, `/`-separated path. A second file at the same path, or an invalid path,
    /// is an `Err` naming it.
    fn put(&self, path: String, contents: Vec<u8>) -> Result<(), String>;

    /// Store a file whose `contents` are those of `original`, a file put into this sink before. The same as
    /// `put(path, contents)`, which is the default; a folder on disk stores it as a hard link where it can.
    fn put_copy(&self, path: String, original: &str, contents: Vec<u8>) -> Result<(), String> {
        let _ = original;
        self.put(path, contents)
    }
}

pub(crate) fn check_path(path: &str) -> Result<(), String> {
    if path.is_empty() || path.starts_with('/') || path.split('/').any(|c| c.is_empty() || c == ".." || c == ".") {
        return Err(format!("invalid output path {path:?}"));
    }
    Ok(())
}

/// An in-memory [`Sink`] (an [`Assembly`] behind a lock).
#[derive(Debug, Default)]
pub struct MemorySink(Mutex<Assembly>);

impl MemorySink {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn into_assembly(self) -> Assembly {
        self.0.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Sink for MemorySink {
    fn put(&self, path: String, contents: Vec<u8>) -> Result<(), String> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .add(path, contents)
    }
}

/// Files by relative path (`/`-separated), sorted, so output order never depends on insertion order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Assembly {
    files: BTreeMap<String, Vec<u8>>,
}

impl Assembly {
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a file; a second file at the same path is a programming error reported as `Err`.
    pub fn add(&mut self, path: impl Into<String>, contents: impl Into<Vec<u8>>) -> Result<(), String> {
        let path = path.into();
        check_path(&path)?;
        if self.files.contains_key(&path) {
            return Err(format!("two outputs are written to {path:?}"));
        }
        self.files.insert(path, contents.into());
        Ok(())
    }

    pub fn files(&self) -> &BTreeMap<String, Vec<u8>> {
        &self.files
    }

    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    /// Merge another assembly under a prefix folder.
    pub fn extend_under(&mut self, prefix: &str, other: Assembly) -> Result<(), String> {
        for (p, c) in other.files {
            self.add(format!("{prefix}/{p}"), c)?;
        }
        Ok(())
    }

    /// Write into `dir`, replacing its previous content only once everything is written; `dir` must be
    /// missing, empty, or a folder proton-synth wrote (see [`crate::output`]).
    pub fn write_atomic(&self, dir: &Path) -> Result<(), OutputError> {
        self.write_atomic_with(dir, &OutputOptions::default())
    }

    /// [`Assembly::write_atomic`] with options (`force`, the inputs the folder must not touch).
    pub fn write_atomic_with(&self, dir: &Path, opts: &OutputOptions) -> Result<(), OutputError> {
        let staging = StagingDir::open(dir, opts)?;
        for (path, contents) in &self.files {
            staging
                .write(path, contents)
                .map_err(|e| OutputError::new(dir, e, "report this as a bug: synthesis wrote an invalid path"))?;
        }
        staging.commit()
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    #[test]
    fn rejects_duplicates_and_escaping_paths() {
        let mut a = Assembly::new();
        a.add("x/y.json", "1").unwrap();
        assert_eq!(
            a.add("x/y.json", "2").unwrap_err(),
            "two outputs are written to \"x/y.json\""
        );
        assert!(a.add("../evil", "").is_err());
        assert!(a.add("/abs", "").is_err());
        assert!(a.add("a//b", "").is_err());
    }

    #[test]
    fn replaces_previous_output_atomically() {
        let root = std::env::temp_dir().join(format!("ps-assembly-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let out = root.join("out");
        let mut a = Assembly::new();
        a.add("a.txt", "one").unwrap();
        a.write_atomic(&out).unwrap();
        let mut b = Assembly::new();
        b.add("b/c.txt", "two").unwrap();
        b.write_atomic(&out).unwrap();
        assert!(!out.join("a.txt").exists());
        assert_eq!(fs::read_to_string(out.join("b/c.txt")).unwrap(), "two");
        let leftovers: Vec<_> = fs::read_dir(&root).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("out")]);
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn staging_dir_rejects_duplicates_and_cleans_up_unless_committed() {
        let root = std::env::temp_dir().join(format!("ps-staging-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let out = root.join("out");
        let staging = StagingDir::new(&out).unwrap();
        staging.put("a/b.txt".to_owned(), b"one".to_vec()).unwrap();
        assert_eq!(
            staging.put("a/b.txt".to_owned(), b"two".to_vec()).unwrap_err(),
            "two outputs are written to \"a/b.txt\""
        );
        assert_eq!(
            staging.put("../x".to_owned(), Vec::new()).unwrap_err(),
            "invalid output path \"../x\""
        );
        drop(staging);
        assert!(!out.exists());
        assert_eq!(
            fs::read_dir(&root).unwrap().count(),
            0,
            "the temporary folder is removed"
        );

        let staging = StagingDir::new(&out).unwrap();
        staging.put("a/b.txt".to_owned(), b"one".to_vec()).unwrap();
        staging.commit().unwrap();
        assert_eq!(fs::read_to_string(out.join("a/b.txt")).unwrap(), "one");
        fs::remove_dir_all(&root).unwrap();
    }
}
