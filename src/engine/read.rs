//! Bounded reading of local input. Only regular files (and, for bundles, folders) are opened: a FIFO
//! would block forever and a device such as `/dev/zero` never ends, so both are refused before `open`.
//! Sizes are checked from the metadata before reading, files are opened non-blocking (a FIFO swapped in
//! after the check cannot block) and checked again through the open handle, and the read itself stops one
//! byte past the limit, so a file that grows while it is read still costs at most its limit.

use std::fs::{self, File, FileType};
use std::io::{self, Read};
use std::path::Path;

use super::limits::describe_bytes;

/// Why a file was not read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadError {
    /// Not a regular file: what it is (`a FIFO (named pipe)`, `a folder`, …).
    NotRegular(&'static str),
    /// Larger than the limit: the size when the file system tells it (a stream only shows it is larger).
    TooLarge { size: Option<u64>, limit: u64 },
    /// The file is not UTF-8 text.
    NotUtf8,
    /// The operating system refused: in words, without error codes.
    Io(String),
}

impl ReadError {
    /// The problem as a message about `what` (`the spec`, `the context file`, …), with how to fix it.
    pub fn message(&self, what: &str) -> String {
        match self {
            ReadError::NotRegular(kind) => {
                format!("{what} is {kind}, not a regular file; give the path of a regular file")
            }
            ReadError::TooLarge {
                size: Some(size),
                limit,
            } => format!(
                "{what} is {size} bytes, more than the {} this tool reads; check that this is the right file",
                describe_bytes(*limit)
            ),
            ReadError::TooLarge { size: None, limit } => format!(
                "{what} holds more than the {} this tool reads; check that this is the right file",
                describe_bytes(*limit)
            ),
            ReadError::NotUtf8 => format!("{what} is not valid UTF-8 text; save it as UTF-8"),
            ReadError::Io(words) => format!("cannot read {what}: {words}"),
        }
    }
}

/// What a file type is, for messages.
pub fn describe_file_type(ft: &FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if ft.is_char_device() || ft.is_block_device() {
            return "a device";
        }
        if ft.is_socket() {
            return "a socket";
        }
    }
    if ft.is_dir() {
        "a folder"
    } else if ft.is_symlink() {
        "a symbolic link"
    } else if ft.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

/// An I/O error in words: `no such file or folder`, `permission denied`, … (no `os error` codes).
pub fn io_words(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or folder".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        io::ErrorKind::InvalidData => "not valid UTF-8 text".to_owned(),
        _ => {
            // The system's words without the error number, lower-cased like ours ("not a directory").
            let text = e.to_string();
            let text = match text.find(" (os error") {
                Some(i) => &text[..i],
                None => &text,
            };
            let mut chars = text.chars();
            match chars.next() {
                Some(c) if chars.clone().next().is_some_and(char::is_lowercase) => {
                    c.to_lowercase().chain(chars).collect()
                }
                _ => text.to_owned(),
            }
        }
    }
}

/// Read a regular file of at most `limit` bytes. Follows a symbolic link given as `path` unless
/// `nofollow` (used inside bundle folders, where links are skipped).
pub fn read_bounded(path: &Path, limit: u64, nofollow: bool) -> Result<Vec<u8>, ReadError> {
    let meta = if nofollow {
        fs::symlink_metadata(path)
    } else {
        fs::metadata(path)
    };
    check_regular(&meta.map_err(|e| ReadError::Io(io_words(&e)))?, limit)?;
    let file = open_nonblocking(path, nofollow).map_err(|e| ReadError::Io(io_words(&e)))?;
    let meta = file.metadata().map_err(|e| ReadError::Io(io_words(&e)))?;
    check_regular(&meta, limit)?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| ReadError::Io(io_words(&e)))?;
    if bytes.len() as u64 > limit {
        // It grew since the check, or it is a file whose size the system does not report (`/proc`).
        return Err(ReadError::TooLarge { size: None, limit });
    }
    Ok(bytes)
}

/// [`read_bounded`] for UTF-8 text.
pub fn read_text_bounded(path: &Path, limit: u64) -> Result<String, ReadError> {
    String::from_utf8(read_bounded(path, limit, false)?).map_err(|_| ReadError::NotUtf8)
}

fn check_regular(meta: &fs::Metadata, limit: u64) -> Result<(), ReadError> {
    let ft = meta.file_type();
    if !ft.is_file() {
        return Err(ReadError::NotRegular(describe_file_type(&ft)));
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge {
            size: Some(meta.len()),
            limit,
        });
    }
    Ok(())
}

#[cfg(unix)]
fn open_nonblocking(path: &Path, nofollow: bool) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut flags = libc::O_NONBLOCK;
    if nofollow {
        flags |= libc::O_NOFOLLOW;
    }
    fs::OpenOptions::new().read(true).custom_flags(flags).open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path, _nofollow: bool) -> io::Result<File> {
    File::open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_devices_before_reading() {
        #[cfg(unix)]
        {
            let e = read_bounded(Path::new("/dev/zero"), 10, false).unwrap_err();
            assert_eq!(e, ReadError::NotRegular("a device"));
            assert_eq!(
                e.message("the spec"),
                "the spec is a device, not a regular file; give the path of a regular file"
            );
        }
        let e = read_bounded(Path::new("/nonexistent/spec.yaml"), 10, false).unwrap_err();
        assert_eq!(e.message("the spec"), "cannot read the spec: no such file or folder");
    }

    #[test]
    fn stops_at_the_limit() {
        let dir = std::env::temp_dir().join(format!("proton-synth-read-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let p = dir.join("big.txt");
        fs::write(&p, "x".repeat(100)).unwrap();
        assert_eq!(read_bounded(&p, 100, false).unwrap().len(), 100);
        assert_eq!(
            read_bounded(&p, 99, false).unwrap_err(),
            ReadError::TooLarge {
                size: Some(100),
                limit: 99
            }
        );
        assert_eq!(
            read_bounded(&dir, 99, false).unwrap_err(),
            ReadError::NotRegular("a folder")
        );
        #[cfg(target_os = "linux")]
        {
            // The system reports 0 bytes for /proc files: the read itself stops at the limit.
            let e = read_bounded(Path::new("/proc/self/maps"), 10, false).unwrap_err();
            assert_eq!(e, ReadError::TooLarge { size: None, limit: 10 });
            assert_eq!(
                e.message("the spec"),
                "the spec holds more than the 10 bytes this tool reads; check that this is the right file"
            );
        }
        fs::remove_dir_all(&dir).unwrap();
    }
}
