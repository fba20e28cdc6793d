//! [`StagingDir`]: a guarded, locked output folder being written.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::guard::{self, Existing};
use super::lock::OutputLock;
use super::stale::{self, Kind};
use super::{OutputError, OutputOptions, MARKER, MARKER_TEXT};
use crate::assembly::{check_path, Sink};

/// A [`Sink`] that writes each file at once into `.NAME.tmp-PID` beside the output folder `NAME`, swapped
/// with it by [`StagingDir::commit`]. Dropped uncommitted (synthesis failed), it deletes the temporary
/// folder. It holds the output's lock from [`StagingDir::open`] until it is committed or dropped.
#[derive(Debug)]
pub struct StagingDir {
    /// The output folder as given, for messages.
    out: PathBuf,
    /// The output folder, resolved.
    target: PathBuf,
    tmp: PathBuf,
    state: Mutex<StagingState>,
    committed: bool,
    notes: Vec<String>,
    // Dropped after `Drop::drop` removed the temporary folder.
    _lock: OutputLock,
}

#[derive(Debug, Default)]
struct StagingState {
    paths: BTreeSet<String>,
    /// Folders created (or being created) in the staging folder, relative, `/`-separated.
    dirs: BTreeSet<String>,
}

impl StagingDir {
    /// [`StagingDir::open`] with default options: no inputs, no `--force`.
    pub fn new(out: &Path) -> Result<StagingDir, OutputError> {
        Self::open(out, &OutputOptions::default())
    }

    /// Check that `out` may be replaced (see [`crate::output`]), lock it, clean up after interrupted runs,
    /// and create the temporary folder with the marker in it. Nothing is deleted when this fails.
    pub fn open(out: &Path, opts: &OutputOptions) -> Result<StagingDir, OutputError> {
        let target = super::check_out(out, &opts.inputs)?;
        let (Some(parent), Some(name)) = (target.parent(), target.file_name()) else {
            return Err(OutputError::new(out, "names no folder", "give a folder name"));
        };
        if !parent.is_dir() {
            fs::create_dir_all(parent).map_err(|e| OutputError::io(out, "create the parent folder", &e))?;
        }
        let mut lock_name = OsString::from(".");
        lock_name.push(name);
        lock_name.push(".lock");
        let lock = OutputLock::acquire(&parent.join(lock_name), opts.lock_wait, out)?;
        let mut notes = stale::recover(parent, name, out)?;
        if guard::check_contents(&target, out, opts.force)? == Existing::Forced {
            notes.push(format!(
                "replacing {}, which proton-synth did not write (--force)",
                out.display()
            ));
        }
        let tmp = stale::sibling(parent, name, Kind::Tmp, std::process::id());
        if fs::symlink_metadata(&tmp).is_ok() {
            // Ours (this process) from an earlier run whose cleanup failed.
            if !guard::is_ours_or_empty(&tmp) || guard::remove_folder(&tmp).is_err() {
                return Err(OutputError::new(
                    out,
                    format!(
                        "{} exists and could not be removed as proton-synth's own",
                        tmp.display()
                    ),
                    "move it away and run again",
                ));
            }
        }
        let staging = StagingDir {
            out: out.to_path_buf(),
            target: target.clone(),
            tmp,
            state: Mutex::new(StagingState::default()),
            committed: false,
            notes,
            _lock: lock,
        };
        fs::create_dir(&staging.tmp)
            .and_then(|()| fs::write(staging.tmp.join(MARKER), MARKER_TEXT))
            .map_err(|e| OutputError::io(out, "create the temporary output folder", &e))?;
        Ok(staging)
    }

    /// The output folder, resolved (absolute, symbolic links followed).
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// What opening did about interrupted runs (folders restored or removed), one line each.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Replace the output folder with everything written, in one step where the OS can.
    pub fn commit(mut self) -> Result<(), OutputError> {
        self.committed = true;
        let name = self.target.file_name().unwrap_or_default().to_owned();
        let parent = self.target.parent().unwrap_or(Path::new("/")).to_path_buf();
        let old = stale::sibling(&parent, &name, Kind::Old, std::process::id());
        let result = replace_dir(&self.tmp, &self.target, &old);
        if result.is_err() {
            let _ = guard::remove_folder(&self.tmp);
        }
        result.map_err(|e| OutputError::io(&self.out, "replace the output folder", &e))
    }

    pub(crate) fn write(&self, path: &str, contents: &[u8]) -> Result<(), String> {
        self.reserve(path, None)?;
        let full = self.tmp.join(path);
        self.write_file(&full, contents)
    }

    /// [`StagingDir::write`] of a file whose contents are those of `original`, already written: a hard link
    /// to it where the file system allows (no new inode, no data written), else a copy of `contents`.
    pub(crate) fn write_copy(&self, path: &str, original: &str, contents: &[u8]) -> Result<(), String> {
        let original_reserved = self.reserve(path, Some(original))?;
        let full = self.tmp.join(path);
        if original_reserved && fs::hard_link(self.tmp.join(original), &full).is_ok() {
            return Ok(());
        }
        self.write_file(&full, contents)
    }

    /// Check `path`, record it (each path is written once) and create its folders not created yet. Returns
    /// whether `other` was reserved before.
    fn reserve(&self, path: &str, other: Option<&str>) -> Result<bool, String> {
        check_path(path)?;
        if path == MARKER {
            return Err(format!("{path:?} is reserved for proton-synth's marker"));
        }
        let (new_dirs, other_reserved) = {
            let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if !state.paths.insert(path.to_owned()) {
                return Err(format!("two outputs are written to {path:?}"));
            }
            (state.claim_dirs(path), other.is_some_and(|o| state.paths.contains(o)))
        };
        // Only the bookkeeping is under the lock; file system calls run in parallel. Each folder is created
        // once, by the write that claimed it, parents first: no `mkdir` fails.
        for dir in &new_dirs {
            self.mkdir(dir)?;
        }
        Ok(other_reserved)
    }

    /// Write one file whose path was reserved.
    fn write_file(&self, full: &Path, contents: &[u8]) -> Result<(), String> {
        match fs::write(full, contents) {
            // Another thread claimed a folder of this path and has not created it yet.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let dir = full.parent().unwrap_or(&self.tmp);
                fs::create_dir_all(dir)
                    .map_err(|e| format!("creating {}: {}", dir.display(), crate::engine::io_words(&e)))?;
                fs::write(full, contents)
            }
            other => other,
        }
        .map_err(|e| format!("writing {}: {}", full.display(), crate::engine::io_words(&e)))
    }

    /// Create the folder `rel` of the staging folder, whose parent this write or an earlier one claimed.
    fn mkdir(&self, rel: &str) -> Result<(), String> {
        let dir = self.tmp.join(rel);
        match fs::create_dir(&dir) {
            // The parent was claimed by another thread that has not created it yet.
            Err(e) if e.kind() == io::ErrorKind::NotFound => fs::create_dir_all(&dir),
            // Created meanwhile by a thread that found it missing (above, or writing a file).
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
            other => other,
        }
        .map_err(|e| format!("creating {}: {}", dir.display(), crate::engine::io_words(&e)))
    }
}

impl StagingState {
    /// The folders of `path` (a checked relative path) not claimed yet, parents first; they are claimed now.
    fn claim_dirs(&mut self, path: &str) -> Vec<String> {
        let mut new = Vec::new();
        for (i, _) in path.match_indices('/') {
            let dir = &path[..i];
            if !self.dirs.contains(dir) {
                self.dirs.insert(dir.to_owned());
                new.push(dir.to_owned());
            }
        }
        new
    }
}

impl Sink for StagingDir {
    fn put(&self, path: String, contents: Vec<u8>) -> Result<(), String> {
        self.write(&path, &contents)
    }

    fn put_copy(&self, path: String, original: &str, contents: Vec<u8>) -> Result<(), String> {
        self.write_copy(&path, original, &contents)
    }
}

impl Drop for StagingDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = guard::remove_folder(&self.tmp);
        }
    }
}

/// Put `tmp` in place of `dir`. A missing `dir`: one rename. Otherwise one atomic exchange on Linux (the
/// previous output then sits at `tmp` and is removed), else the previous `dir` is renamed to `old` first;
/// if the second rename fails it is renamed back, and if the process dies in between the next run restores
/// it ([`stale::recover`]).
fn replace_dir(tmp: &Path, dir: &Path, old: &Path) -> io::Result<()> {
    replace_dir_with(tmp, dir, old, cfg!(target_os = "linux"))
}

fn replace_dir_with(tmp: &Path, dir: &Path, old: &Path, try_exchange: bool) -> io::Result<()> {
    match fs::symlink_metadata(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return fs::rename(tmp, dir),
        Err(e) => return Err(e),
        Ok(_) => {}
    }
    #[cfg(target_os = "linux")]
    if try_exchange {
        match exchange(tmp, dir) {
            Ok(()) => {
                // The previous output is at `tmp` now.
                let _ = guard::remove_folder(tmp);
                return Ok(());
            }
            // The file system or kernel cannot exchange: two renames.
            Err(e) if matches!(e.raw_os_error(), Some(libc::EINVAL | libc::ENOSYS)) => {}
            Err(e) => return Err(e),
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = try_exchange;
    fs::rename(dir, old)?;
    if let Err(e) = fs::rename(tmp, dir) {
        let _ = fs::rename(old, dir);
        return Err(e);
    }
    let _ = guard::remove_folder(old);
    Ok(())
}

/// Swap two paths atomically: `renameat2(…, RENAME_EXCHANGE)`.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let a = CString::new(a.as_os_str().as_bytes())?;
    let b = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both are valid NUL-terminated paths that outlive the call; the syscall only reads them.
    let r = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(dir: &Path, file: &str) {
        fs::create_dir_all(dir).unwrap();
        fs::write(dir.join(file), file).unwrap();
    }

    #[test]
    fn each_folder_is_claimed_once_parents_first() {
        let mut state = StagingState::default();
        assert_eq!(state.claim_dirs("a/b/c/file"), ["a", "a/b", "a/b/c"]);
        assert_eq!(state.claim_dirs("a/b/other"), Vec::<String>::new());
        assert_eq!(state.claim_dirs("a/d/file"), ["a/d"]);
        assert_eq!(state.claim_dirs("top"), Vec::<String>::new());
    }

    #[test]
    fn copies_are_the_same_bytes_linked_where_possible_and_paths_stay_unique() {
        let root = std::env::temp_dir().join(format!("ps-staging-copy-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let out = root.join("out");
        let staging = StagingDir::new(&out).unwrap();
        staging.write("x/a/file.yaml", b"body").unwrap();
        staging.write_copy("y/b/file.yaml", "x/a/file.yaml", b"body").unwrap();
        // An original never written: a plain copy of the contents.
        staging
            .write_copy("y/c/other.yaml", "x/missing.yaml", b"other")
            .unwrap();
        assert!(staging.write_copy("y/b/file.yaml", "x/a/file.yaml", b"body").is_err());
        assert!(staging.write("x/a", b"a folder already").is_err());
        staging.commit().unwrap();
        assert_eq!(fs::read(out.join("y/b/file.yaml")).unwrap(), b"body");
        assert_eq!(fs::read(out.join("y/c/other.yaml")).unwrap(), b"other");
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let ino = |p: &str| fs::metadata(out.join(p)).unwrap().ino();
            assert_eq!(ino("x/a/file.yaml"), ino("y/b/file.yaml"));
        }
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn both_ways_of_replacing_swap_the_folders_and_leave_nothing_beside() {
        for try_exchange in [true, false] {
            let root = std::env::temp_dir().join(format!("ps-replace-{}-{try_exchange}", std::process::id()));
            let _ = fs::remove_dir_all(&root);
            let (tmp, dir, old) = (root.join(".out.tmp-1"), root.join("out"), root.join(".out.old-1"));
            folder(&tmp, "new.txt");
            replace_dir_with(&tmp, &dir, &old, try_exchange).unwrap();
            folder(&tmp, "newer.txt");
            replace_dir_with(&tmp, &dir, &old, try_exchange).unwrap();
            let names: Vec<_> = fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
            assert_eq!(names, ["newer.txt"]);
            let beside: Vec<_> = fs::read_dir(&root).unwrap().map(|e| e.unwrap().file_name()).collect();
            assert_eq!(beside, ["out"]);
            // A failing second rename (the staging folder is gone) puts the previous folder back.
            assert!(replace_dir_with(&tmp, &dir, &old, try_exchange).is_err());
            assert!(dir.join("newer.txt").exists());
            assert!(!old.exists());
            fs::remove_dir_all(&root).unwrap();
        }
    }
}
