//! The advisory lock that serializes runs writing one output folder: `.NAME.lock` beside it.
//!
//! The lock is `flock`-style (`File::try_lock`), so it is released when its holder exits or is killed, and
//! two threads of one process exclude each other too. The holder removes the lock file before unlocking;
//! a waiter that then gets the lock on the removed file sees that the path no longer names its file and
//! opens it again, so two runs never hold "the" lock at once.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::OutputError;

/// A held lock; released (and its file removed) on drop.
#[derive(Debug)]
pub(crate) struct OutputLock {
    file: File,
    path: PathBuf,
}

impl OutputLock {
    /// Lock `path`, waiting up to `wait` for another holder. `out` names the output in errors.
    pub(crate) fn acquire(path: &Path, wait: Duration, out: &Path) -> Result<OutputLock, OutputError> {
        let deadline = Instant::now() + wait;
        let io_err = |e: &io::Error| OutputError::io(out, &format!("lock {}", path.display()), e);
        loop {
            let mut file = open(path).map_err(|e| io_err(&e))?;
            loop {
                match file.try_lock() {
                    Ok(()) => break,
                    Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_millis(25));
                    }
                    Err(TryLockError::WouldBlock) => return Err(busy(path, &mut file, wait, out)),
                    Err(TryLockError::Error(e)) => return Err(io_err(&e)),
                }
            }
            if still_linked(&file, path) {
                // Who holds it, for the message another run prints while waiting in vain.
                let pid = format!("{}\n", std::process::id());
                let _ = file
                    .set_len(0)
                    .and_then(|()| file.rewind())
                    .and_then(|()| file.write_all(pid.as_bytes()));
                return Ok(OutputLock {
                    file,
                    path: path.to_path_buf(),
                });
            }
        }
    }
}

/// Open (or create) the lock file: never through a symbolic link, and only a regular file.
fn open(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::other("it is not a regular file; remove it"));
    }
    Ok(file)
}

fn busy(path: &Path, file: &mut File, wait: Duration, out: &Path) -> OutputError {
    let mut text = String::new();
    let _ = file.take(32).read_to_string(&mut text);
    let holder = match text.trim().parse::<u32>() {
        Ok(pid) => format!("process {pid}"),
        Err(_) => "another process".to_owned(),
    };
    OutputError::new(
        out,
        format!(
            "another proton-synth run ({holder}) is writing this folder; waited {} s for its lock {}",
            wait.as_secs_f32(),
            path.display()
        ),
        "wait for that run to finish, then run again",
    )
}

/// True when `path` still names the file we locked (the previous holder may have removed it meanwhile).
#[cfg(unix)]
fn still_linked(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Elsewhere an open file cannot be removed, so the path always names it.
#[cfg(not(unix))]
fn still_linked(_file: &File, _path: &Path) -> bool {
    true
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        // Removed while still locked (see the module doc); the lock goes with the file handle afterwards.
        if cfg!(unix) {
            let _ = fs::remove_file(&self.path);
        }
        let _ = self.file.unlock();
    }
}
