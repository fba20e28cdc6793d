//! Which folders an output may replace.

use std::fs;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

use super::{OutputError, MARKER};

/// The absolute path `out` names, with symbolic links and `.`/`..` resolved: the longest existing prefix is
/// canonicalized, the rest (folders still to create) is appended component by component.
pub(crate) fn resolve(out: &Path) -> Result<PathBuf, OutputError> {
    if out.as_os_str().is_empty() {
        return Err(OutputError::new(out, "the output path is empty", "give a folder name"));
    }
    let abs = if out.is_absolute() {
        out.to_path_buf()
    } else {
        let cwd = std::env::current_dir().map_err(|e| OutputError::io(out, "read the current folder", &e))?;
        cwd.join(out)
    };
    let components: Vec<Component> = abs.components().collect();
    let mut split = components.len();
    while split > 0 {
        let prefix: PathBuf = components[..split].iter().collect();
        match fs::symlink_metadata(&prefix) {
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::NotFound => split -= 1,
            Err(e) => return Err(OutputError::io(out, &format!("inspect {}", prefix.display()), &e)),
        }
    }
    let prefix: PathBuf = components[..split].iter().collect();
    let mut resolved = fs::canonicalize(&prefix).map_err(|e| {
        OutputError::new(
            out,
            format!("cannot resolve {}: {}", prefix.display(), crate::engine::io_words(&e)),
            "a symbolic link on the way points nowhere; fix it or choose another --out",
        )
    })?;
    for c in &components[split..] {
        match c {
            Component::Normal(name) => resolved.push(name),
            Component::ParentDir => {
                resolved.pop();
            }
            _ => {}
        }
    }
    Ok(resolved)
}

/// Refusals `--force` does not override: the root, home and current folders and their parents, and any
/// folder that contains or lies inside an input. `target` is resolved; `out` is what the user gave.
pub(crate) fn refuse_protected(target: &Path, out: &Path, inputs: &[PathBuf]) -> Result<(), OutputError> {
    let refuse = |what: String| {
        Err(OutputError::new(
            out,
            what,
            "choose another --out (--force does not override this)",
        ))
    };
    if target.parent().is_none() {
        return refuse("is the root folder; replacing it would delete everything".to_owned());
    }
    if let Ok(cwd) = std::env::current_dir().and_then(fs::canonicalize) {
        if cwd.starts_with(target) {
            return refuse(format!(
                "is the current folder or one of its parents ({})",
                target.display()
            ));
        }
    }
    if let Some(home) = home_dir() {
        if home.starts_with(target) {
            return refuse(format!(
                "is your home folder or one of its parents ({})",
                target.display()
            ));
        }
    }
    for input in inputs {
        // An input that does not exist was not read, so it cannot be overwritten.
        let Ok(resolved) = fs::canonicalize(input) else {
            continue;
        };
        if resolved.starts_with(target) {
            return refuse(format!(
                "contains the input {}, which would be deleted",
                input.display()
            ));
        }
        if target.starts_with(&resolved) {
            return refuse(format!("lies inside the input {}", input.display()));
        }
    }
    Ok(())
}

fn home_dir() -> Option<PathBuf> {
    let var = if cfg!(windows) { "USERPROFILE" } else { "HOME" };
    let home = std::env::var_os(var).filter(|h| !h.is_empty())?;
    fs::canonicalize(home).ok()
}

/// What is at the output path now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Existing {
    Missing,
    /// An empty folder, or one we wrote (it carries the marker).
    Replaceable,
    /// A non-empty folder without the marker, replaced because of `--force`.
    Forced,
}

/// Refusals about what the output path holds: a file always; a non-empty folder without our marker unless
/// `force`.
pub(crate) fn check_contents(target: &Path, out: &Path, force: bool) -> Result<Existing, OutputError> {
    let meta = match fs::symlink_metadata(target) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Existing::Missing),
        Err(e) => return Err(OutputError::io(out, "inspect the output folder", &e)),
        Ok(m) => m,
    };
    if !meta.is_dir() {
        return Err(OutputError::new(
            out,
            "is a file, not a folder (proton-synth writes folders and never replaces a file)",
            "remove the file or choose another --out (--force does not replace files)",
        ));
    }
    let mut entries = fs::read_dir(target).map_err(|e| OutputError::io(out, "list the output folder", &e))?;
    if entries.next().is_none() || is_output_folder(target) {
        return Ok(Existing::Replaceable);
    }
    if force {
        return Ok(Existing::Forced);
    }
    Err(OutputError::new(
        out,
        format!(
            "is a folder proton-synth did not write (it has files but no {MARKER}); replacing it would delete them"
        ),
        "choose another --out, or pass --force to replace the folder and everything in it",
    ))
}

/// True when `dir` carries our marker: a regular file [`MARKER`] whose first line is
/// `proton-synth-out <version>`.
pub fn is_output_folder(dir: &Path) -> bool {
    let path = dir.join(MARKER);
    if !fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
        return false;
    }
    let mut head = Vec::with_capacity(64);
    let read = fs::File::open(&path).and_then(|f| f.take(64).read_to_end(&mut head));
    if read.is_err() {
        return false;
    }
    let first = head.split(|&b| b == b'\n').next().unwrap_or_default();
    first
        .strip_prefix(b"proton-synth-out ")
        .is_some_and(|v| !v.is_empty() && v.iter().all(u8::is_ascii_digit))
}

/// True when a leftover folder may be deleted: it carries our marker, or holds nothing but a marker file
/// (a run killed while writing it) or nothing at all.
pub(crate) fn is_ours_or_empty(dir: &Path) -> bool {
    if is_output_folder(dir) {
        return true;
    }
    let Ok(mut entries) = fs::read_dir(dir) else {
        return false;
    };
    entries.all(|e| e.is_ok_and(|e| e.file_name() == MARKER && e.file_type().is_ok_and(|t| t.is_file())))
}

/// Remove a folder with our marker last, so that a removal cut short (a kill) leaves a folder that still
/// carries the marker and the next run finishes the job.
pub(crate) fn remove_folder(dir: &Path) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_name() == MARKER {
            continue;
        }
        if entry.file_type()?.is_dir() {
            fs::remove_dir_all(entry.path())?;
        } else {
            fs::remove_file(entry.path())?;
        }
    }
    match fs::remove_file(dir.join(MARKER)) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    fs::remove_dir(dir)
}
