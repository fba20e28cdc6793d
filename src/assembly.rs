//! Where synthesized files go: a [`Sink`].
//!
//! - [`Assembly`]: files in memory (tests, `list`, programs that post-process output), written to disk
//!   atomically with [`Assembly::write_atomic`].
//! - [`StagingDir`]: files streamed to disk as each template finishes, into a temporary sibling folder of the
//!   target that [`StagingDir::commit`] renames over it; dropped without a commit, it removes itself. This is
//!   what `synth --out` uses: memory stays flat however many templates a program has, and a failed synthesis
//!   (or a crash) still leaves the previous output folder untouched.
//!
//! Both check paths the same way (relative, `/`-separated, no `.`/`..`, each written once).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A destination for output files, shared by the synthesis threads.
pub trait Sink: Sync {
    /// Store one file at a relative, `/`-separated path. A second file at the same path, or an invalid path,
    /// is an `Err` naming it.
    fn put(&self, path: String, contents: Vec<u8>) -> Result<(), String>;
}

fn check_path(path: &str) -> Result<(), String> {
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

/// A [`Sink`] that writes each file at once into a temporary folder beside `target`, renamed over `target` by
/// [`StagingDir::commit`]. Dropped uncommitted (synthesis failed), it deletes the temporary folder.
#[derive(Debug)]
pub struct StagingDir {
    target: PathBuf,
    tmp: PathBuf,
    state: Mutex<StagingState>,
    committed: bool,
}

#[derive(Debug, Default)]
struct StagingState {
    paths: BTreeSet<String>,
    dirs: BTreeSet<PathBuf>,
}

impl StagingDir {
    /// Create the (empty) temporary folder for `target`.
    pub fn new(target: &Path) -> io::Result<StagingDir> {
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent)?;
        let base = target
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "output path has no folder name"))?
            .to_string_lossy()
            .into_owned();
        let tmp = parent.join(format!(".{base}.tmp-{}", std::process::id()));
        let _ = fs::remove_dir_all(&tmp);
        fs::create_dir_all(&tmp)?;
        Ok(StagingDir {
            target: target.to_path_buf(),
            tmp,
            state: Mutex::new(StagingState::default()),
            committed: false,
        })
    }

    /// Replace `target` with everything written.
    pub fn commit(mut self) -> io::Result<()> {
        self.committed = true;
        let result = replace_dir(&self.tmp, &self.target);
        if result.is_err() {
            let _ = fs::remove_dir_all(&self.tmp);
        }
        result
    }
}

impl Sink for StagingDir {
    fn put(&self, path: String, contents: Vec<u8>) -> Result<(), String> {
        self.write(&path, &contents)
    }
}

impl StagingDir {
    fn write(&self, path: &str, contents: &[u8]) -> Result<(), String> {
        check_path(path)?;
        let full = self.tmp.join(path);
        let dir = full.parent().unwrap_or(&self.tmp);
        // Only the bookkeeping is under the lock; file system calls run in parallel.
        let new_dir = {
            let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if !state.paths.insert(path.to_owned()) {
                return Err(format!("two outputs are written to {path:?}"));
            }
            state.dirs.insert(dir.to_path_buf())
        };
        let mkdir = || fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()));
        if new_dir {
            mkdir()?;
        }
        match fs::write(&full, contents) {
            // Another thread registered the folder and has not created it yet.
            Err(e) if e.kind() == io::ErrorKind::NotFound && !new_dir => {
                mkdir()?;
                fs::write(&full, contents)
            }
            other => other,
        }
        .map_err(|e| format!("writing {}: {e}", full.display()))
    }
}

impl Drop for StagingDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.tmp);
        }
    }
}

/// Rename `tmp` over `dir`: the previous `dir` is moved aside first and restored if the rename fails.
fn replace_dir(tmp: &Path, dir: &Path) -> io::Result<()> {
    let old = {
        let name = tmp.file_name().map(|n| n.to_string_lossy().replace(".tmp-", ".old-"));
        tmp.with_file_name(name.unwrap_or_else(|| ".old".to_owned()))
    };
    let result = (|| {
        if dir.exists() {
            fs::rename(dir, &old)?;
        }
        fs::rename(tmp, dir)
    })();
    match result {
        Ok(()) => {
            let _ = fs::remove_dir_all(&old);
            Ok(())
        }
        Err(e) => {
            if old.exists() && !dir.exists() {
                let _ = fs::rename(&old, dir);
            }
            Err(e)
        }
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

    /// Write into `dir`, replacing its previous content only once everything is written.
    pub fn write_atomic(&self, dir: &Path) -> io::Result<()> {
        let staging = StagingDir::new(dir)?;
        for (path, contents) in &self.files {
            staging.write(path, contents).map_err(io::Error::other)?;
        }
        staging.commit()
    }
}

#[cfg(test)]
mod tests {
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
