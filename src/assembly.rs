//! An in-memory set of output files, written to disk atomically.
//!
//! Synthesis builds every file in memory first; only when all templates synthesized without errors is the
//! assembly written, into a temporary sibling directory that is then renamed over the target. A failed
//! synthesis therefore leaves the previous output folder untouched, and a crash never leaves half a folder.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

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
        if path.is_empty() || path.starts_with('/') || path.split('/').any(|c| c.is_empty() || c == ".." || c == ".") {
            return Err(format!("invalid output path {path:?}"));
        }
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
        let parent = match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent)?;
        let base = dir
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "output path has no folder name"))?
            .to_string_lossy()
            .into_owned();
        let pid = std::process::id();
        let tmp = parent.join(format!(".{base}.tmp-{pid}"));
        let old = parent.join(format!(".{base}.old-{pid}"));
        let _ = fs::remove_dir_all(&tmp);
        let result = self.write_into(&tmp).and_then(|()| {
            if dir.exists() {
                fs::rename(dir, &old)?;
            }
            fs::rename(&tmp, dir)
        });
        match result {
            Ok(()) => {
                let _ = fs::remove_dir_all(&old);
                Ok(())
            }
            Err(e) => {
                let _ = fs::remove_dir_all(&tmp);
                if old.exists() && !dir.exists() {
                    let _ = fs::rename(&old, dir);
                }
                Err(e)
            }
        }
    }

    fn write_into(&self, root: &Path) -> io::Result<()> {
        fs::create_dir_all(root)?;
        for (path, contents) in &self.files {
            let full = root.join(path);
            if let Some(p) = full.parent() {
                fs::create_dir_all(p)?;
            }
            fs::write(full, contents)?;
        }
        Ok(())
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
}
