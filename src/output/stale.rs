//! Leftovers of interrupted runs beside an output folder `NAME`: `.NAME.tmp-PID` (a staging folder, or
//! after the swap the previous output) and `.NAME.old-PID` (the previous output moved aside by the
//! two-rename fallback). Only called with the output's lock held.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::path::{Path, PathBuf};

use super::guard::{is_ours_or_empty, is_output_folder, remove_folder};
use super::OutputError;

/// The kind of a leftover folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    Tmp,
    Old,
}

/// `.NAME.tmp-PID` or `.NAME.old-PID`.
pub(crate) fn sibling(parent: &Path, name: &OsStr, kind: Kind, pid: u32) -> PathBuf {
    let mut s = OsString::from(".");
    s.push(name);
    s.push(match kind {
        Kind::Tmp => ".tmp-",
        Kind::Old => ".old-",
    });
    s.push(pid.to_string());
    parent.join(s)
}

/// The kind and PID of a leftover of `name`, when `entry` is one by its name.
fn parse(entry: &OsStr, name: &OsStr) -> Option<(Kind, u32)> {
    let entry = entry.as_encoded_bytes();
    let rest = entry.strip_prefix(b".")?.strip_prefix(name.as_encoded_bytes())?;
    let (kind, pid) = if let Some(pid) = rest.strip_prefix(b".tmp-") {
        (Kind::Tmp, pid)
    } else {
        (Kind::Old, rest.strip_prefix(b".old-")?)
    };
    if pid.is_empty() || !pid.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some((kind, std::str::from_utf8(pid).ok()?.parse().ok()?))
}

/// Whether process `pid` may still be running (when unsure: yes, so its folders are kept).
pub(crate) fn alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    // Linux with /proc mounted: a process is alive while /proc/PID exists (zombies included).
    #[cfg(target_os = "linux")]
    if Path::new("/proc/self").exists() {
        return Path::new("/proc").join(pid.to_string()).exists();
    }
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return true;
        };
        // SAFETY: signal 0 only checks that the process exists; no signal is sent.
        let r = unsafe { libc::kill(pid, 0) };
        r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
    #[cfg(not(unix))]
    {
        true
    }
}

/// Restore `NAME` from the `.NAME.old-PID` of a dead run when `NAME` is missing, then remove the dead runs'
/// leftovers that carry our marker (or are empty). Folders of live processes and unmarked folders are never
/// touched. Returns what was done, one line each.
pub(crate) fn recover(parent: &Path, name: &OsStr, out: &Path) -> Result<Vec<String>, OutputError> {
    let entries = fs::read_dir(parent).map_err(|e| OutputError::io(out, "list the parent folder", &e))?;
    let mut dead: Vec<(Kind, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let (kind, pid) = parse(&e.file_name(), name)?;
            let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
            (is_dir && !alive(pid)).then(|| (kind, e.path()))
        })
        .collect();
    dead.sort();
    let mut notes = Vec::new();
    let target = parent.join(name);
    if fs::symlink_metadata(&target).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound) {
        // Prefer a marked previous output; any `.old-` folder is the output as it was before a run.
        let pick = dead
            .iter()
            .position(|(k, p)| *k == Kind::Old && is_output_folder(p))
            .or_else(|| dead.iter().position(|(k, _)| *k == Kind::Old));
        if let Some(i) = pick {
            let (_, old) = dead.remove(i);
            fs::rename(&old, &target).map_err(|e| OutputError::io(out, "restore the previous output", &e))?;
            notes.push(format!(
                "restored {} from {} (an interrupted run)",
                target.display(),
                old.display()
            ));
        }
    }
    for (_, path) in dead {
        // Unmarked and not empty: not ours (or a user's folder replaced with --force), kept.
        if is_ours_or_empty(&path) && remove_folder(&path).is_ok() {
            notes.push(format!("removed {} (left by an interrupted run)", path.display()));
        }
    }
    Ok(notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_only_our_names() {
        let name = OsStr::new("out");
        assert_eq!(parse(OsStr::new(".out.tmp-12"), name), Some((Kind::Tmp, 12)));
        assert_eq!(parse(OsStr::new(".out.old-7"), name), Some((Kind::Old, 7)));
        for other in [
            ".out.tmp-",
            ".out.tmp-1x",
            "out.tmp-1",
            ".out.lock",
            ".outx.tmp-1",
            ".out.old--1",
        ] {
            assert_eq!(parse(OsStr::new(other), name), None, "{other}");
        }
        assert!(alive(std::process::id()));
    }
}
