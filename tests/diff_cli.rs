//! `diff` on the command line: `proton-synth diff OLD NEW` (bundles, templates; `--format json`, `--fail-on`,
//! exit codes, errors) and `diff --against OLD` in a user program (`public_vpc_env`).

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use proton_synth::app::App;
use proton_synth::diff::{compare, ChangeKind, DiffArgs, FailOn, OutputFormat, Replacement};
use serde_json::{json, Value};

#[path = "../examples/public_vpc_env.rs"]
mod public_vpc_env;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ps-diff-cli-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn vpc(cidr: &str) -> Value {
    json!({"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": cidr, "EnableDnsSupport": true,
        "Tags": [{"Key": "Name", "Value": "app/Vpc"}]}})
}

const BASE_SCHEMA: &str = "schema:
  format:
    openapi: \"3.0.0\"
  environment_input_type: \"EnvInput\"
  types:
    EnvInput:
      type: object
      properties:
        cidr:
          type: string
          default: \"10.0.0.0/16\"
";

// ----------------------------------------------------------------------------------------------------------
// CLI

fn bin(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_proton-synth"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn write(dir: &Path, file: &str, text: &str) -> String {
    let p = dir.join(file);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(&p, text).unwrap();
    p.display().to_string()
}

fn bundle_dir(dir: &Path, schema: &str) -> String {
    write(dir, "schema/schema.yaml", schema);
    write(dir, "infrastructure/manifest.yaml", "infrastructure:\n  templates:\n    - file: \"cloudformation.yaml\"\n      rendering_engine: jinja\n      template_language: cloudformation\n");
    write(
        dir,
        "infrastructure/cloudformation.yaml",
        "Resources:\n  G:\n    Type: AWS::EC2::InternetGateway\n",
    );
    dir.display().to_string()
}

#[test]
fn cli_fail_on_breaking_for_bundles() {
    let dir = temp_dir("bundles");
    let old = bundle_dir(&dir.join("old"), BASE_SCHEMA);
    let compatible = bundle_dir(
        &dir.join("compatible"),
        &format!("{BASE_SCHEMA}        vpc:\n          type: string\n          default: v\n"),
    );
    let breaking = bundle_dir(
        &dir.join("breaking"),
        &format!("{BASE_SCHEMA}        vpc:\n          type: string\n      required: [vpc]\n"),
    );
    let (code, out, err) = bin(&["diff", &old, &compatible, "--fail-on", "breaking"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("[compatible] EnvInput.vpc: input-added"), "{out}");
    let (code, out, _) = bin(&["diff", &old, &breaking, "--fail-on", "breaking"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("[breaking] EnvInput.vpc: input-added — required, without a default"),
        "{out}"
    );
    assert!(out.contains("note: ") && !out.contains("\x1b["), "{out}");
    let (code, _, _) = bin(&["diff", &old, &breaking]);
    assert_eq!(code, 0, "without --fail-on, differences are not failures");
}

#[test]
fn cli_json_shape_and_fail_on_replace() {
    let dir = temp_dir("json");
    let tpl = |cidr: &str| {
        serde_json::to_string(&json!({"Resources": {"V": vpc(cidr), "G": {"Type": "AWS::EC2::InternetGateway"}}}))
            .unwrap()
    };
    let old = write(&dir, "old.json", &tpl("10.0.0.0/16"));
    let new = write(&dir, "new.yaml", "Resources:\n  V:\n    Type: AWS::EC2::VPC\n    Properties:\n      CidrBlock: 10.1.0.0/16\n      EnableDnsSupport: true\n      Tags:\n        - Key: Name\n          Value: app/Vpc\n  T:\n    Type: AWS::SNS::Topic\n");
    let (code, out, err) = bin(&["diff", &old, &new, "--format", "json", "--fail-on", "replace"]);
    assert_eq!(code, 1, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(
        (v["has_replacement"].clone(), v["has_breaking"].clone()),
        (json!(true), json!(false))
    );
    assert_eq!(
        v["summary"],
        json!({"templates": 1, "added": 1, "removed": 1, "modified": 1, "renamed": 0, "replaced": 1, "breaking": 0})
    );
    let t = &v["templates"][0];
    assert_eq!(
        (t["name"].as_str(), t["status"].as_str()),
        (Some("new"), Some("changed"))
    );
    let kinds: Vec<(&str, &str)> = t["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["logical_id"].as_str().unwrap(), r["change"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [("V", "modified"), ("G", "removed"), ("T", "added")],
        "replacements first"
    );
    assert_eq!(
        t["resources"][0],
        json!({"logical_id": "V", "type": "AWS::EC2::VPC", "change": "modified", "replacement": "always", "renamed_from": null,
            "properties": [{"path": "Properties.CidrBlock", "old": "10.0.0.0/16", "new": "10.1.0.0/16", "replacement": "always", "cause": null}]})
    );
    for key in ["parameters", "outputs", "sections", "exports", "schemas", "notes"] {
        assert!(t.get(key).or(v.get(key)).is_some_and(Value::is_array), "{key}");
    }
    let (code, out, _) = bin(&["diff", &old, &old, "--fail-on", "replace"]);
    assert_eq!((code, out.lines().next()), (0, Some("no differences")));
}

#[test]
fn cli_usage_and_input_errors_exit_2() {
    let dir = temp_dir("errors");
    let bad = write(&dir, "bad.yaml", "Resources: [1\n");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["diff".into(), "only-one".into()], "give OLD and NEW"),
        (vec!["diff".into(), "--against".into(), "x".into()], "has no templates"),
        (
            vec!["diff".into(), dir.join("missing").display().to_string(), bad.clone()],
            "cannot read it",
        ),
        (vec!["diff".into(), bad.clone(), bad.clone()], "invalid YAML"),
        (
            vec![
                "diff".into(),
                "a".into(),
                "b".into(),
                "--fail-on".into(),
                "sometimes".into(),
            ],
            "invalid value",
        ),
    ];
    for (args, want) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, _, err) = bin(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// Defect: a resource without a `Type` (or with a number, or `Properties` that is not a mapping) was
/// compared as if valid ("[-]  A remove" with an empty type, exit 0); CloudFormation refuses such a template.
#[test]
fn resources_without_a_type_or_with_bad_properties_are_input_errors() {
    let dir = temp_dir("resource-shape");
    let min = write(&dir, "min.json", r#"{"Resources": {}}"#);
    let cases = [
        (
            "no-type.yaml",
            "Resources: {A: {Properties: {}}}",
            "resource `A` has no `Type`",
        ),
        (
            "number-type.yaml",
            "Resources: {A: {Type: 1}}",
            "resource `A` has no `Type`",
        ),
        ("not-map.yaml", "Resources: {A: [1]}", "resource `A` is not a mapping"),
        (
            "props-list.yaml",
            "Resources: {A: {Type: AWS::SQS::Queue, Properties: [1]}}",
            "resource `A`: `Properties` is not a mapping",
        ),
    ];
    for (file, text, want) in cases {
        let bad = write(&dir, file, text);
        for args in [
            ["diff", bad.as_str(), min.as_str()],
            ["diff", min.as_str(), bad.as_str()],
        ] {
            let (code, out, err) = bin(&args);
            assert_eq!(code, 2, "{args:?}: {out}{err}");
            assert!(err.starts_with(&format!("error: {bad}: ")), "{err}");
            assert!(err.contains(want), "{args:?}: {err}");
            assert!(err.contains("; give a CloudFormation template"), "{err}");
        }
    }
}

#[test]
fn user_program_diff_against_its_previous_output() {
    let dir = temp_dir("against");
    let out = dir.join("out");
    let run =
        |app: App, args: &[&str]| app.run_with(std::iter::once("prog").chain(args.iter().copied()).map(OsString::from));
    assert_eq!(
        run(public_vpc_env::app(), &["synth", "--out", out.to_str().unwrap()]),
        0
    );
    let against = |fail_on| DiffArgs {
        against: Some(out.clone()),
        fail_on,
        format: OutputFormat::Text,
        ..DiffArgs::default()
    };
    let same = compare(&against(None), &public_vpc_env::app()).unwrap();
    assert!(same.is_empty(), "{same:?}");
    assert_eq!(
        run(
            public_vpc_env::app(),
            &["diff", "--against", out.to_str().unwrap(), "--fail-on", "replace"]
        ),
        0
    );
    // The previous output had another default VPC range: the VPC may be replaced (stacks using the default).
    let plain = out.join("proton/cloudformation/public-vpc.template.json");
    let text = fs::read_to_string(&plain)
        .unwrap()
        .replace("\"Default\": \"10.0.0.0/16\"", "\"Default\": \"10.9.0.0/16\"");
    fs::write(&plain, text).unwrap();
    let d = compare(&against(Some(FailOn::Replace)), &public_vpc_env::app()).unwrap();
    let vpc = d.templates[0]
        .1
        .changes
        .iter()
        .find(|c| c.resource_type == "AWS::EC2::VPC")
        .unwrap();
    assert!(
        matches!(
            vpc.kind,
            ChangeKind::Modified {
                replacement: Replacement::Conditional,
                ..
            }
        ),
        "{vpc:?}"
    );
    assert_eq!(
        run(
            public_vpc_env::app(),
            &["diff", "--against", out.to_str().unwrap(), "--fail-on", "replace"]
        ),
        1
    );
    assert_eq!(
        run(
            public_vpc_env::app(),
            &["diff", "--against", out.to_str().unwrap(), "--fail-on", "breaking"]
        ),
        0
    );
}

#[test]
fn cli_reads_archives_bundle_folders_and_render_folders() {
    let dir = temp_dir("kinds");
    let out = dir.join("out");
    let run = |args: &[&str]| {
        public_vpc_env::app().run_with(std::iter::once("prog").chain(args.iter().copied()).map(OsString::from))
    };
    assert_eq!(run(&["synth", "--out", out.to_str().unwrap()]), 0);
    let bundles = out.join("proton/bundles");
    let (tar, folder) = (bundles.join("public-vpc.tar.gz"), bundles.join("public-vpc"));
    let (code, text, err) = bin(&[
        "diff",
        tar.to_str().unwrap(),
        folder.to_str().unwrap(),
        "--fail-on",
        "breaking",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        text.starts_with("no differences\n") && text.contains("note: "),
        "{text}"
    );
    // Render the bundle with two VPC ranges and compare the render folders.
    let spec = out.join("proton/specs/public-vpc.env-spec.yaml");
    let spec2 = dir.join("spec2.yaml");
    fs::write(&spec2, fs::read_to_string(&spec).unwrap().replace("10.0.", "10.1.")).unwrap();
    for (s, r) in [(&spec, "r1"), (&spec2, "r2")] {
        let target = dir.join(r);
        let args = [
            "render",
            tar.to_str().unwrap(),
            "--spec",
            s.to_str().unwrap(),
            "--environment-name",
            "Beta",
            "--out",
        ];
        let (code, _, err) = bin(&[&args[..], &[target.to_str().unwrap()]].concat());
        assert_eq!(code, 0, "{err}");
    }
    let (r1, r2) = (dir.join("r1"), dir.join("r2"));
    let (code, text, err) = bin(&[
        "diff",
        r1.to_str().unwrap(),
        r2.to_str().unwrap(),
        "--format",
        "json",
        "--fail-on",
        "replace",
    ]);
    assert_eq!(code, 1, "{err}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["templates"][0]["name"], "environment");
    let vpc = v["templates"][0]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "AWS::EC2::VPC")
        .unwrap();
    assert_eq!(
        (vpc["replacement"].as_str(), vpc["properties"][0]["path"].as_str()),
        (Some("always"), Some("Properties.CidrBlock"))
    );
    let (code, _, err) = bin(&[
        "diff",
        r1.to_str().unwrap(),
        r2.to_str().unwrap(),
        "--fail-on",
        "breaking",
    ]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn cli_spec_renders_both_bundles_so_their_resources_compare() {
    let dir = temp_dir("spec");
    let template = "Resources:\n  V:\n    Type: AWS::EC2::VPC\n    Properties:\n      CidrBlock: {{ environment.inputs.cidr | tojson }}\n      Tags:\n        - Key: Name\n          Value: {{ environment.name | tojson }}\n";
    let bundle = |name: &str, schema: &str| {
        let d = dir.join(name);
        bundle_dir(&d, schema);
        write(&d, "infrastructure/cloudformation.yaml", template);
        d.display().to_string()
    };
    let old = bundle("old", BASE_SCHEMA);
    let new = bundle("new", &BASE_SCHEMA.replace("10.0.0.0/16", "10.1.0.0/16"));
    let spec = write(&dir, "spec.yaml", "proton: EnvironmentSpec\nspec: {}\n");
    let (code, out, err) = bin(&[
        "diff",
        &old,
        &new,
        "--spec",
        &spec,
        "--environment-name",
        "Beta",
        "--fail-on",
        "replace",
    ]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains(
            "[~] AWS::EC2::VPC V replace\n      Properties.CidrBlock: \"10.0.0.0/16\" → \"10.1.0.0/16\" (replace)"
        ),
        "{out}"
    );
    assert!(out.contains("[compatible] EnvInput.cidr: default-changed"), "{out}");
    // Without --spec only the schemas compare; a render error is an input error (exit 2).
    let (code, out, _) = bin(&["diff", &old, &new, "--fail-on", "replace"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("pass --spec"), "{out}");
    let (code, _, err) = bin(&["diff", &old, &new, "--spec", &spec]);
    assert_eq!(code, 2);
    assert!(
        err.contains("cannot render it with") && err.contains("environment"),
        "{err}"
    );
    // Defect: the render's findings were embedded with their own `error: ` prefix
    // (`error: old: cannot render it with spec.yaml: error: old/infrastructure/…`).
    for line in err.lines() {
        assert_eq!(line.matches("error: ").count(), 1, "one `error: ` per line: {line}");
        assert!(line.starts_with("error: "), "{line}");
    }
    let (code, _, err) = bin(&["diff", &old, &new, "--environment-name", "Beta"]);
    assert_eq!(code, 2, "--environment-name needs --spec: {err}");
    // Defect: an invalid name was rendered, and a bad context file's findings were quoted with a second
    // `error: ` prefix.
    let (code, _, err) = bin(&["diff", &old, &new, "--spec", &spec, "--environment-name", "a b"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.starts_with("error: --environment-name: \"a b\" is not a valid name"),
        "{err}"
    );
    let ctx = write(&dir, "ctx.yaml", "environment: {name: [1]}\n");
    let (code, _, err) = bin(&["diff", &old, &new, "--spec", &spec, "--context", &ctx]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("environment.name: expected a string"), "{err}");
    for line in err.lines() {
        assert_eq!(line.matches("error: ").count(), 1, "one `error: ` per line: {line}");
    }
}

#[test]
fn unreadable_inputs_are_named_in_words_without_error_numbers() {
    let dir = temp_dir("diff-missing");
    let (a, s) = (dir.join("a"), dir.join("s.yaml"));
    let o = Command::new(env!("CARGO_BIN_EXE_proton-synth"))
        .arg("diff")
        .args([&a, &a])
        .arg("--spec")
        .arg(&s)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let text = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        text.lines().next().unwrap_or(""),
        format!(
            "error: {}: cannot read the spec: no such file or folder; give a spec file (`proton: EnvironmentSpec` or \
             `ServiceSpec`)",
            s.display()
        ),
        "{text}"
    );
    assert!(!text.contains("os error"), "{text}");
    fs::write(&s, "proton: EnvironmentSpec\nspec: {}\n").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_proton-synth"))
        .arg("diff")
        .args([&a, &a])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stderr);
    assert!(
        text.starts_with(&format!(
            "error: {}: cannot read it: no such file or folder; give a synth or render output folder, a bundle or a \
             template file\n",
            a.display()
        )),
        "{text}"
    );
    fs::remove_dir_all(&dir).unwrap();
}
