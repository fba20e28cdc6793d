//! The CLI every user program gets (`App::run_with`): exit codes, all errors at once, atomic output.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use proton_synth::app::App;
use proton_synth::constructs::{Expr, Stack};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ps-cli-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn topics(name: &str, n: usize) -> App {
    let mut stack = Stack::new(name);
    let mut root = stack.root();
    for i in 0..n {
        root.add_untyped(&format!("Topic{i}"), "AWS::SNS::Topic", Expr::Map(Default::default()));
    }
    let mut app = App::new("cli-test");
    app.add_stack(stack);
    app
}

fn args(items: &[&str]) -> Vec<OsString> {
    std::iter::once("prog")
        .chain(items.iter().copied())
        .map(OsString::from)
        .collect()
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_failed_synth_leaves_the_previous_output_untouched() {
    let root = temp_dir("atomic");
    let out = root.join("out");
    let out_arg = out.to_str().unwrap();

    assert_eq!(topics("Small", 3).run_with(args(&["synth", "--out", out_arg])), 0);
    let before = fs::read(out.join("Small.template.json")).unwrap();
    assert_eq!(
        listing(&out),
        [".proton-synth-out", "Small.template.json", "manifest.json"]
    );

    // 501 resources: validation fails, exit code 1, nothing is written.
    assert_eq!(topics("Big", 501).run_with(args(&["synth", "--out", out_arg])), 1);
    assert_eq!(
        listing(&out),
        [".proton-synth-out", "Small.template.json", "manifest.json"]
    );
    assert_eq!(fs::read(out.join("Small.template.json")).unwrap(), before);
    // No temporary folder is left beside the output.
    assert_eq!(listing(&root), ["out"]);
    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn synth_writes_yaml_on_request_and_replaces_the_folder() {
    let root = temp_dir("yaml");
    let out = root.join("out");
    let out_arg = out.to_str().unwrap();
    assert_eq!(topics("A", 1).run_with(args(&["synth", "--out", out_arg])), 0);
    assert_eq!(
        topics("B", 1).run_with(args(&["synth", "--out", out_arg, "--format", "yaml"])),
        0
    );
    assert_eq!(listing(&out), [".proton-synth-out", "B.template.yaml", "manifest.json"]);
    let yaml = fs::read_to_string(out.join("B.template.yaml")).unwrap();
    // The version is quoted: a YAML 1.1 reader would otherwise read a date.
    assert_eq!(
        yaml,
        "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  Topic0:\n    Type: AWS::SNS::Topic\n"
    );
    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn usage_errors_exit_with_2() {
    assert_eq!(topics("A", 1).run_with(args(&["synth", "--format", "xml"])), 2);
    assert_eq!(topics("A", 1).run_with(args(&["no-such-command"])), 2);
    assert_eq!(topics("A", 1).run_with(args(&["--help"])), 0);
}

#[test]
fn two_synth_runs_write_identical_bytes() {
    let root = temp_dir("determinism");
    let (a, b) = (root.join("a"), root.join("b"));
    for dir in [&a, &b] {
        assert_eq!(
            topics("S", 50).run_with(args(&["synth", "--out", dir.to_str().unwrap()])),
            0
        );
    }
    for name in listing(&a) {
        assert_eq!(
            fs::read(a.join(&name)).unwrap(),
            fs::read(b.join(&name)).unwrap(),
            "{name}"
        );
    }
    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn synth_of_a_program_without_templates_fails_and_writes_nothing() {
    let root = temp_dir("empty");
    let out = root.join("out");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_proton-synth"))
        .args(["synth", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.starts_with("error: proton-synth: this program defines no templates"),
        "{stderr}"
    );
    assert!(!out.exists());
    assert_eq!(
        App::new("empty").run_with(args(&["synth", "--out", out.to_str().unwrap()])),
        1
    );
    assert!(!out.exists());
    fs::remove_dir_all(&root).unwrap();
}
