//! Helpers shared by the bad-input tests (each test crate uses a subset).
#![allow(dead_code)]

use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use proton_synth::engine::Finding;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn samples() -> PathBuf {
    root().join("tests/fixtures/aws-samples/loadbalanced-fargate-svc")
}

pub fn temp_dir(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("proton-bad-{}-{n}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn messages(findings: &[Finding]) -> Vec<String> {
    findings.iter().map(ToString::to_string).collect()
}

/// Words from the crates below us that must never reach a user.
pub const LEAKS: &[&str] = &[
    "DuplicateKeyPolicy",
    "from_str_multiple",
    "budget breached",
    "Nodes {",
    "cksum",
    "numeric field",
    "os error",
    "(used",
    "Options",
];

pub fn assert_no_leak(text: &str) {
    for leak in LEAKS {
        assert!(!text.contains(leak), "{leak:?} leaked into: {text}");
    }
}

/// Copy a folder tree of regular files.
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Make a FIFO (named pipe) at `path`.
pub fn mkfifo(path: &std::path::Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: `c` is a valid NUL-terminated path that outlives the call.
    let rc = unsafe { libc::mkfifo(c.as_ptr(), 0o600) };
    assert_eq!(rc, 0, "mkfifo {}", path.display());
}

/// A tar.gz of raw 512-byte blocks.
pub fn gz(blocks: &[u8], out: &std::path::Path) {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(fs::File::create(out).unwrap(), flate2::Compression::fast());
    enc.write_all(blocks).unwrap();
    enc.finish().unwrap();
}

/// A ustar header for a regular file that claims `size` bytes.
pub fn tar_header(path: &str, size: u64) -> Vec<u8> {
    let mut h = tar::Header::new_ustar();
    h.set_path(path).unwrap();
    h.set_size(size);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    h.as_bytes().to_vec()
}
