//! Fuzz targets on stable Rust (no cargo-fuzz, no dependencies): spec parsing, schema parsing, context and
//! outputs files, bundle loading from a folder and from `.tar.gz` bytes (malformed headers included), Jinja
//! scanning (`check`) and rendering. Each test replays its corpus (`tests/fuzz/corpus/<target>/`) and then runs a bounded number of
//! deterministic mutations; see `fuzz/engine.rs` for the `FUZZ_*` settings and `scripts/fuzz` for longer runs.
//!
//! A failure names the input it saved under `target/fuzz-failures/<target>/`; once fixed, copy that file
//! into the target's corpus folder so every later run replays it.

#[path = "fuzz/engine.rs"]
mod engine;
#[path = "fuzz/targets.rs"]
mod targets;

use std::time::Duration;

use engine::{fuzz, Settings, Target};

#[test]
fn fuzz_spec() {
    fuzz(&Target {
        name: "spec",
        corpus: "spec",
        run: targets::spec,
        derive_seeds: None,
        default_iterations: 1500,
    });
}

#[test]
fn fuzz_context() {
    fuzz(&Target {
        name: "context",
        corpus: "context",
        run: targets::context,
        derive_seeds: None,
        default_iterations: 1000,
    });
}

#[test]
fn fuzz_schema() {
    fuzz(&Target {
        name: "schema",
        corpus: "schema",
        run: targets::schema,
        derive_seeds: None,
        default_iterations: 400,
    });
}

#[test]
fn fuzz_bundle_dir() {
    fuzz(&Target {
        name: "bundle_dir",
        corpus: "bundle",
        run: targets::bundle_dir,
        derive_seeds: None,
        // Each input writes a folder: ~20 ms on ext4, ~3 ms on tmpfs.
        default_iterations: 150,
    });
}

#[test]
fn fuzz_bundle_tar_gz() {
    fuzz(&Target {
        name: "bundle_tar_gz",
        corpus: "bundle",
        run: targets::bundle_tar_gz,
        derive_seeds: Some(targets::archives_of),
        default_iterations: 400,
    });
}

#[test]
fn fuzz_check() {
    fuzz(&Target {
        name: "check",
        corpus: "check",
        run: targets::check,
        derive_seeds: None,
        default_iterations: 250,
    });
}

#[test]
fn fuzz_render() {
    fuzz(&Target {
        name: "render",
        corpus: "render",
        run: targets::render,
        derive_seeds: None,
        default_iterations: 300,
    });
}

/// The section format the bundle and render targets read.
#[test]
fn sections_split_on_marker_lines() {
    let s = targets::sections(b"lead\n=== a/b.yaml\nx: 1\n=== spec\n=== c -> d\n");
    let names: Vec<&str> = s.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["", "a/b.yaml", "spec", "c -> d"]);
    assert_eq!(s[0].1, b"lead\n");
    assert_eq!(s[1].1, b"x: 1\n");
    assert!(s[2].1.is_empty());
}

/// Archives built from file sets load like the folder they describe; malformed ones are errors, not panics.
#[test]
fn archives_from_file_sets_load() {
    let set = b"=== env/schema/schema.yaml\nschema: {}\n=== env/infrastructure/\n";
    let dir = std::env::temp_dir().join(format!("fuzz-archive-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("b.tar.gz");
    std::fs::write(&path, targets::tar_gz_of(set)).unwrap();
    let bundle = proton_synth::engine::load_bundle(&path).expect("a well-formed archive loads");
    assert_eq!(bundle.wrapper.as_deref(), Some("env"));
    assert_eq!(bundle.files.keys().collect::<Vec<_>>(), ["schema/schema.yaml"]);
    assert!(bundle.dirs.contains("infrastructure"));
    let bad = [&set[..], b"=== ../x\n=== @truncate\n0123456789"].concat();
    std::fs::write(&path, targets::tar_gz_of(&bad)).unwrap();
    assert!(proton_synth::engine::load_bundle(&path).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

fn panics_on_statements(input: &[u8]) {
    if input.windows(2).any(|w| w == b"{%") {
        panic!("found a statement");
    }
}

fn hangs_on_tabs(input: &[u8]) {
    if input.contains(&b'\t') {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

/// The harness itself: panics and hangs in the code under test are caught, reported, and their inputs saved.
#[test]
fn the_harness_reports_panics_and_hangs_with_their_inputs() {
    // Keep the expected panics of these self-test targets out of the test output.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !std::thread::current()
            .name()
            .is_some_and(|n| n.starts_with("fuzz-selftest"))
        {
            default_hook(info);
        }
    }));
    let settings = Settings {
        seed: 1,
        iterations: 2000,
        seconds: 60.0,
        timeout: Duration::from_millis(300),
        max_len: 4096,
        trace: false,
        hostile: false,
    };
    let corpus = vec![b"Resources:\n  A: {Type: X}\n".to_vec()];
    let target = |name, run| Target {
        name,
        corpus: "",
        run,
        derive_seeds: None,
        default_iterations: 0,
    };

    let failures = engine::run(&target("selftest-panic", panics_on_statements), &corpus, &settings);
    assert!(!failures.is_empty(), "2000 mutants never inserted a statement");
    for (what, path) in &failures {
        assert_eq!(what, "panicked: found a statement");
        assert!(
            std::fs::read(path).unwrap().windows(2).any(|w| w == b"{%"),
            "{}",
            path.display()
        );
    }

    let failures = engine::run(&target("selftest-hang", hangs_on_tabs), &corpus, &settings);
    assert_eq!(failures.len(), 1, "fuzzing stops at the first hang");
    assert_eq!(failures[0].0, "did not finish within 300ms");
    assert!(std::fs::read(&failures[0].1).unwrap().contains(&b'\t'));
}
