//! Helpers shared by the bad-input tests (each test crate uses a subset).
#![allow(dead_code)]

use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use proton_synth::local::Finding;

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
