//! Property tests: random *valid* construct configurations and Proton templates synthesize deterministically
//! (two runs byte-identical) with every reference resolved inside their template; random *invalid* ones give
//! diagnostics, never a panic.
//!
//! Case counts are small so `cargo test` stays fast; `PROPTEST_CASES=2000 cargo test --test props` runs longer.
//! The seed is fixed unless `PROPTEST_RNG_SEED` is set, so CI sees the same cases every run; a failure prints
//! the shrunk input, and proptest records its seed under `target/proptest-regressions/`.

mod app;
mod compute;
mod inputs;
mod names;
mod network;
mod refs;

use proptest::test_runner::{Config, FileFailurePersistence, RngSeed};

/// The configuration of every property: `cases` unless `PROPTEST_CASES` says otherwise, a fixed seed unless
/// `PROPTEST_RNG_SEED` gives one, failures persisted under `target/` (never next to the sources).
pub fn config(cases: u32) -> Config {
    let mut c = Config::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = cases;
    }
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        c.rng_seed = RngSeed::Fixed(0x5eed_2026);
    }
    c.failure_persistence = Some(Box::new(FileFailurePersistence::Direct(
        "target/proptest-regressions/props.txt",
    )));
    c
}

use proptest::test_runner::TestCaseError;
use proton_synth::constructs::Stack;
use serde_json::Value as J;

/// Build the stack twice and synthesize each build, written in both spellings (plain JSON, bundle YAML): it must succeed, the two builds must give
/// byte-identical text, and every reference of the plain template must resolve. Returns the plain template.
pub fn assert_synthesizes(build: impl Fn() -> Stack) -> Result<J, TestCaseError> {
    let mut texts = Vec::new();
    let mut plain = J::Null;
    for _ in 0..2 {
        let stack = build();
        let s = stack
            .synth()
            .map_err(|d| TestCaseError::fail(format!("a valid configuration failed to synthesize:\n{d}")))?;
        texts.push(s.to_json_string());
        proptest::prop_assert_eq!(s.stats.bytes, texts.last().map_or(0, String::len), "json_len is exact");
        texts.push(proton_synth::proton::writer::to_bundle_yaml(&s.template));
        plain = s.to_json();
    }
    proptest::prop_assert_eq!(&texts[0], &texts[2], "plain output differs between two builds");
    proptest::prop_assert_eq!(&texts[1], &texts[3], "bundle output differs between two builds");
    let dangling = refs::dangling_references(&plain);
    proptest::prop_assert!(dangling.is_empty(), "dangling references: {dangling:#?}");
    Ok(plain)
}

/// Synthesis must fail with error diagnostics, one of which contains `expected`; every error has a message
/// and a path in the stack.
pub fn assert_rejected(stack: &Stack, expected: &str) -> Result<(), TestCaseError> {
    let errors = match stack.synth() {
        Ok(_) => {
            return Err(TestCaseError::fail(format!(
                "an invalid configuration synthesized (expected {expected:?})"
            )))
        }
        Err(d) => d.0.into_iter().filter(|d| d.is_error()).collect::<Vec<_>>(),
    };
    proptest::prop_assert!(!errors.is_empty(), "failed without an error diagnostic");
    for e in &errors {
        proptest::prop_assert!(!e.message.is_empty(), "an error without a message: {e}");
        proptest::prop_assert!(e.path.starts_with(stack.name()), "error outside the stack: {e}");
    }
    proptest::prop_assert!(
        errors.iter().any(|e| e.message.contains(expected)),
        "no error mentions {expected:?}: {:#?}",
        errors.iter().map(ToString::to_string).collect::<Vec<_>>()
    );
    Ok(())
}

/// Synthesis of arbitrary (possibly invalid) input: errors or success, never a panic; a success resolves
/// every reference.
pub fn assert_no_panic(stack: &Stack) -> Result<(), TestCaseError> {
    if let Ok(s) = stack.synth() {
        let dangling = refs::dangling_references(&s.to_json());
        proptest::prop_assert!(dangling.is_empty(), "dangling references: {dangling:#?}");
    }
    Ok(())
}
