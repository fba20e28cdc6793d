//! Fails when the checked-in generated code (`constructs/src/cfn/`), the vendored schemas or the cargo
//! features of `constructs` are out of step with `codegen/services.txt` and the generator.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use proton_synth_codegen::{features, generate, naming, read_services, OUT_DIR, SCHEMA_DIR};

const FIX: &str = "run `cargo run -p proton-synth-codegen` to regenerate";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

#[test]
fn generated_code_is_up_to_date() {
    let root = root();
    let files = generate(root).unwrap_or_else(|e| panic!("generation failed: {e}"));
    let mut problems = Vec::new();
    for (rel, expected) in &files {
        match fs::read_to_string(root.join(rel)) {
            Ok(actual) if actual == *expected => {}
            Ok(actual) => {
                let line = actual
                    .lines()
                    .zip(expected.lines())
                    .position(|(a, e)| a != e)
                    .unwrap_or_else(|| actual.lines().count().min(expected.lines().count()));
                problems.push(format!(
                    "{} differs from the generator output (first at line {})",
                    rel.display(),
                    line + 1
                ));
            }
            Err(e) => problems.push(format!("{} is missing: {e}", rel.display())),
        }
    }
    for entry in fs::read_dir(root.join(OUT_DIR)).expect("read constructs/src/cfn") {
        let rel = PathBuf::from(OUT_DIR).join(entry.unwrap().file_name());
        if !files.contains_key(&rel) {
            problems.push(format!("{} is stale (not produced by the generator)", rel.display()));
        }
    }
    assert!(problems.is_empty(), "{}\n{FIX}", problems.join("\n"));
}

#[test]
fn generation_is_deterministic() {
    assert_eq!(generate(root()).unwrap(), generate(root()).unwrap());
}

#[test]
fn vendored_schemas_match_services_txt() {
    let root = root();
    let types = read_services(root).unwrap();
    let readme = fs::read_to_string(root.join(SCHEMA_DIR).join("README.md")).unwrap();
    let expected: BTreeSet<String> = types.iter().map(|t| naming::schema_file_name(t)).collect();
    let present: BTreeSet<String> = fs::read_dir(root.join(SCHEMA_DIR))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    assert_eq!(
        present, expected,
        "constructs/schemas/*.json do not match codegen/services.txt; re-vendor with \
         `cargo run -p proton-synth-codegen -- --vendor <site-packages>/cfnlint/data/schemas`"
    );
    for t in &types {
        assert!(
            readme.contains(&format!("| `{t}` |")),
            "{t} missing from constructs/schemas/README.md; re-vendor"
        );
    }
}

#[test]
fn cargo_features_declared() {
    let root = root();
    let toml = fs::read_to_string(root.join("constructs/Cargo.toml")).unwrap();
    let section: String = toml
        .split("\n[features]\n")
        .nth(1)
        .expect("constructs/Cargo.toml has a [features] section")
        .lines()
        .take_while(|l| !l.starts_with('['))
        .collect::<Vec<_>>()
        .join("\n");
    let all = section
        .split("all-services = [")
        .nth(1)
        .expect("all-services feature")
        .split(']')
        .next()
        .unwrap();
    let mut missing = Vec::new();
    for f in features(root).unwrap() {
        if !section.lines().any(|l| l.trim() == format!("{f} = []")) {
            missing.push(format!("`{f} = []`"));
        }
        if !all.contains(&format!("\"{f}\"")) {
            missing.push(format!("\"{f}\" in all-services"));
        }
    }
    assert!(
        missing.is_empty(),
        "constructs/Cargo.toml [features] lacks: {}",
        missing.join(", ")
    );
}
