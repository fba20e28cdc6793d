//! `diff`: table tests of every kind of resource, export and Proton schema change on small hand-made
//! templates, the examples (`public_vpc_env` rendered with two VPC ranges, a VPC program whose construct id
//! changes), and the CLI (`proton-synth diff OLD NEW`, `diff --against` in a user program, `--format json`,
//! `--fail-on`, exit codes).

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use proton_synth::app::{App, SynthOptions};
use proton_synth::constructs::ec2::{Vpc, VpcProps};
use proton_synth::constructs::Stack;
use proton_synth::diff::{
    compare, diff_schemas, diff_sets, diff_templates, ChangeKind, DiffArgs, ExportIssueKind, FailOn, OutputFormat,
    Replacement, ResourceSchemas, SchemaChangeKind, Snapshot, TemplateDiff, TemplateDoc,
};
use proton_synth::local::{parse_schema, render_bundle, Bundle, RenderContext};
use serde_json::{json, Value};

#[path = "../examples/public_vpc_env.rs"]
mod public_vpc_env;

// ----------------------------------------------------------------------------------------------------------
// Helpers

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ps-diff-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn doc(name: &str, resources: Value) -> TemplateDoc {
    TemplateDoc::new(name, json!({ "Resources": resources }))
}

/// `ID kind replacement`, `NEW renamed-from OLD`, in the diff's order.
fn summary(t: &TemplateDiff) -> Vec<String> {
    t.changes
        .iter()
        .map(|c| match &c.kind {
            ChangeKind::Added => format!("{} added", c.logical_id),
            ChangeKind::Removed => format!("{} removed", c.logical_id),
            ChangeKind::Renamed { from, .. } => format!("{} renamed-from {from}", c.logical_id),
            ChangeKind::Modified { replacement, .. } => format!("{} modified {}", c.logical_id, replacement.as_str()),
        })
        .collect()
}

fn vpc(cidr: &str) -> Value {
    json!({"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": cidr, "EnableDnsSupport": true,
        "Tags": [{"Key": "Name", "Value": "app/Vpc"}]}})
}

fn subnet(vpc: &str, cidr: &str) -> Value {
    json!({"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": vpc}, "CidrBlock": cidr}})
}

// ----------------------------------------------------------------------------------------------------------
// Resources: one row per kind of change

#[test]
fn resource_changes_table() {
    let s = ResourceSchemas::vendored();
    let igw = json!({"Type": "AWS::EC2::InternetGateway"});
    let cases: Vec<(&str, Value, Value, Vec<&str>)> = vec![
        (
            "nothing",
            json!({"V": vpc("10.0.0.0/16")}),
            json!({"V": vpc("10.0.0.0/16")}),
            vec![],
        ),
        ("added", json!({}), json!({"G": igw}), vec!["G added"]),
        ("removed", json!({"G": igw}), json!({}), vec!["G removed"]),
        (
            "create-only property: replacement",
            json!({"V": vpc("10.0.0.0/16")}),
            json!({"V": vpc("10.1.0.0/16")}),
            vec!["V modified always"],
        ),
        (
            "mutable property: update",
            json!({"V": vpc("10.0.0.0/16")}),
            json!({"V": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16", "EnableDnsSupport": false,
                "Tags": [{"Key": "Name", "Value": "app/Vpc"}]}}}),
            vec!["V modified never"],
        ),
        (
            "conditional create-only property",
            json!({"V": vpc("10.0.0.0/16")}),
            json!({"V": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16", "EnableDnsSupport": true,
                "InstanceTenancy": "dedicated", "Tags": [{"Key": "Name", "Value": "app/Vpc"}]}}}),
            vec!["V modified conditional"],
        ),
        (
            "type without a vendored schema: unknown",
            json!({"C": {"Type": "Custom::Thing", "Properties": {"A": 1}}}),
            json!({"C": {"Type": "Custom::Thing", "Properties": {"A": 2}}}),
            vec!["C modified unknown"],
        ),
        (
            "changed type: replacement",
            json!({"Q": {"Type": "AWS::SQS::Queue"}}),
            json!({"Q": {"Type": "AWS::SNS::Topic"}}),
            vec!["Q modified always"],
        ),
        (
            "rename (logical ID change), references follow",
            json!({"Vpc": vpc("10.0.0.0/16"), "Sub": subnet("Vpc", "10.0.0.0/24")}),
            json!({"Network": vpc("10.0.0.0/16"), "NetSub": subnet("Network", "10.0.0.0/24")}),
            vec!["NetSub renamed-from Sub", "Network renamed-from Vpc"],
        ),
        (
            "near-equal rename (one value of many differs)",
            json!({"Old": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 365, "LogGroupClass": "STANDARD",
                "KmsKeyId": "k", "DataProtectionPolicy": {"Name": "p", "Version": "2021-06-01"}}}}),
            json!({"New": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 30, "LogGroupClass": "STANDARD",
                "KmsKeyId": "k", "DataProtectionPolicy": {"Name": "p", "Version": "2021-06-01"}}}}),
            vec!["New renamed-from Old"],
        ),
        (
            "different resources of one type are no rename",
            json!({"A": vpc("10.0.0.0/16")}),
            json!({"B": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "192.168.0.0/16", "EnableDnsSupport": false}}}),
            vec!["A removed", "B added"],
        ),
        (
            "a reference to a replaced resource replaces the dependent",
            json!({"V": vpc("10.0.0.0/16"), "S": subnet("V", "10.0.0.0/24"), "L": {"Type": "Custom::X", "Properties": {"Vpc": {"Ref": "V"}}}}),
            json!({"V": vpc("10.9.0.0/16"), "S": subnet("V", "10.0.0.0/24"), "L": {"Type": "Custom::X", "Properties": {"Vpc": {"Ref": "V"}}}}),
            vec!["L modified unknown", "S modified always", "V modified always"],
        ),
    ];
    for (name, old, new, want) in cases {
        let d = diff_templates(&doc("t", old), &doc("t", new), &s);
        assert_eq!(summary(&d), want, "{name}");
    }
}

#[test]
fn property_paths_values_and_causes() {
    let s = ResourceSchemas::vendored();
    let old = doc("t", json!({"V": vpc("10.0.0.0/16"), "S": subnet("V", "10.0.0.0/24")}));
    let mut new_vpc = vpc("10.1.0.0/16");
    new_vpc["Properties"]["Tags"][0]["Value"] = json!("app/Network");
    let new = doc("t", json!({"V": new_vpc, "S": subnet("V", "10.0.0.0/24")}));
    let d = diff_templates(&old, &new, &s);
    let ChangeKind::Modified { props, replacement } = &d.changes[1].kind else {
        panic!("{d:?}")
    };
    assert_eq!(*replacement, Replacement::Always);
    let rows: Vec<(String, Value, Value, Replacement)> = props
        .iter()
        .map(|p| {
            (
                p.path.clone(),
                p.old.clone().unwrap(),
                p.new.clone().unwrap(),
                p.replacement,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                "Properties.CidrBlock".to_owned(),
                json!("10.0.0.0/16"),
                json!("10.1.0.0/16"),
                Replacement::Always
            ),
            (
                "Properties.Tags[0].Value".to_owned(),
                json!("app/Vpc"),
                json!("app/Network"),
                Replacement::Never
            ),
        ]
    );
    let ChangeKind::Modified { props, .. } = &d.changes[0].kind else {
        panic!("{d:?}")
    };
    assert_eq!(props[0].path, "Properties.VpcId");
    assert_eq!(props[0].cause.as_deref(), Some("references V, which is replaced"));
}

#[test]
fn parameter_default_changes_may_replace_and_sections_are_listed() {
    let s = ResourceSchemas::vendored();
    let t = |default: &str, desc: &str| {
        TemplateDoc::new(
            "t",
            json!({"Description": desc, "Parameters": {"Cidr": {"Type": "String", "Default": default}},
                "Resources": {"V": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": {"Ref": "Cidr"}}}},
                "Outputs": {"VpcId": {"Value": {"Ref": "V"}}}}),
        )
    };
    let d = diff_templates(&t("10.0.0.0/16", "a"), &t("10.1.0.0/16", "b"), &s);
    assert_eq!(summary(&d), ["V modified conditional"]);
    assert!(d.parameters[0].default_changed());
    assert_eq!(d.sections, ["Description"]);
    assert!(d.outputs.is_empty());
}

// ----------------------------------------------------------------------------------------------------------
// Exports

fn env_template(exports: &[(&str, &str)]) -> TemplateDoc {
    let outputs: serde_json::Map<String, Value> = exports
        .iter()
        .map(|(o, e)| {
            (
                (*o).to_owned(),
                json!({"Value": "x", "Export": {"Name": {"Fn::Sub": format!("${{EnvironmentName}}-{e}")}}}),
            )
        })
        .collect();
    TemplateDoc::new(
        "env",
        json!({"Resources": {"G": {"Type": "AWS::EC2::InternetGateway"}}, "Outputs": outputs}),
    )
}

fn svc_template(imports: &[&str]) -> TemplateDoc {
    let props: serde_json::Map<String, Value> = imports
        .iter()
        .map(|e| {
            (
                (*e).to_owned(),
                json!({"Fn::ImportValue": {"Fn::Join": ["-", [{"Ref": "EnvironmentName"}, e]]}}),
            )
        })
        .collect();
    TemplateDoc::new(
        "svc",
        json!({"Resources": {"C": {"Type": "Custom::X", "Properties": props}}}),
    )
}

fn set(templates: Vec<TemplateDoc>) -> Snapshot {
    let mut s = Snapshot::from_files(
        "mem",
        &[("x.template.json".to_owned(), b"{\"Resources\": {}}".to_vec())].into(),
    )
    .unwrap();
    s.templates = templates.into_iter().map(|t| (t.name.clone(), t)).collect();
    s
}

#[test]
fn exports_removed_or_renamed_while_imported_are_flagged() {
    let s = ResourceSchemas::vendored();
    let old = set(vec![
        env_template(&[("VpcId", "VpcId"), ("Unused", "Unused"), ("Cluster", "Cluster")]),
        svc_template(&["VpcId", "Cluster"]),
    ]);
    let new = set(vec![
        env_template(&[("Cluster", "ClusterName")]),
        svc_template(&["VpcId", "Cluster"]),
    ]);
    let d = diff_sets(&old, &new, &s);
    let got: Vec<(String, ExportIssueKind, Vec<String>)> = d
        .exports
        .iter()
        .map(|e| (e.export.clone(), e.kind.clone(), e.importers.clone()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "${EnvironmentName}-Cluster".to_owned(),
                ExportIssueKind::Renamed {
                    to: "${EnvironmentName}-ClusterName".to_owned()
                },
                vec!["svc".to_owned()]
            ),
            (
                "${EnvironmentName}-VpcId".to_owned(),
                ExportIssueKind::Removed,
                vec!["svc".to_owned()]
            ),
        ]
    );
    assert!(d.has_breaking());
    // Nobody imports the removed `Unused` export: not flagged; keeping every imported export: nothing.
    let kept = set(vec![
        env_template(&[("VpcId", "VpcId"), ("Cluster", "Cluster")]),
        svc_template(&["VpcId", "Cluster"]),
    ]);
    assert!(diff_sets(&old, &kept, &s).exports.is_empty());
}

// ----------------------------------------------------------------------------------------------------------
// Proton schemas

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
          pattern: \"^[0-9./]+$\"
        size:
          type: string
          enum: [small, large]
          default: small
        count:
          type: number
          minimum: 1
          maximum: 10
        name:
          type: string
          minLength: 1
          maxLength: 20
";

/// The changes from `BASE_SCHEMA` to it with `from` replaced by `to` (`from` empty: `to` appended).
fn schema_change((from, to): (&str, &str)) -> Vec<(String, SchemaChangeKind, bool)> {
    let old = parse_schema(BASE_SCHEMA, "old").0;
    let new_text = if from.is_empty() {
        format!("{BASE_SCHEMA}{to}")
    } else {
        assert!(BASE_SCHEMA.contains(from), "{from}");
        BASE_SCHEMA.replace(from, to)
    };
    let (new, findings) = parse_schema(&new_text, "new");
    assert!(findings.iter().all(|f| !f.is_error()), "{findings:?}");
    diff_schemas(&old, &new)
        .into_iter()
        .map(|c| (c.input, c.kind, c.breaking))
        .collect()
}

#[test]
fn proton_schema_changes_table() {
    use SchemaChangeKind as K;
    let add_required = "        vpc:\n          type: string\n      required: [vpc]\n";
    let add_required_default = "        vpc:\n          type: string\n          default: v\n      required: [vpc]\n";
    let add_optional = "        vpc:\n          type: string\n";
    type Case<'a> = (&'a str, (&'a str, &'a str), Vec<(&'a str, K, bool)>);
    let cases: Vec<Case> = vec![
        ("no change", ("", ""), vec![]),
        (
            "new required input without default",
            ("", add_required),
            vec![("vpc", K::InputAdded, true)],
        ),
        (
            "new required input with default",
            ("", add_required_default),
            vec![("vpc", K::InputAdded, false)],
        ),
        (
            "new optional input",
            ("", add_optional),
            vec![("vpc", K::InputAdded, false)],
        ),
        (
            "removed input",
            (
                "        count:\n          type: number\n          minimum: 1\n          maximum: 10\n",
                "",
            ),
            vec![("count", K::InputRemoved, true)],
        ),
        (
            "enum narrowed",
            ("enum: [small, large]", "enum: [small]"),
            vec![("size", K::EnumChanged, true)],
        ),
        (
            "enum widened",
            ("enum: [small, large]", "enum: [small, large, huge]"),
            vec![("size", K::EnumChanged, false)],
        ),
        (
            "pattern changed",
            ("pattern: \"^[0-9./]+$\"", "pattern: \"^10\\\\.\""),
            vec![("cidr", K::PatternChanged, true)],
        ),
        (
            "pattern removed",
            ("          pattern: \"^[0-9./]+$\"\n", ""),
            vec![("cidr", K::PatternChanged, false)],
        ),
        (
            "minimum raised",
            ("minimum: 1", "minimum: 2"),
            vec![("count", K::LimitChanged, true)],
        ),
        (
            "maximum raised",
            ("maximum: 10", "maximum: 20"),
            vec![("count", K::LimitChanged, false)],
        ),
        (
            "maxLength lowered",
            ("maxLength: 20", "maxLength: 10"),
            vec![("name", K::LimitChanged, true)],
        ),
        (
            "minLength lowered",
            ("minLength: 1", "minLength: 0"),
            vec![("name", K::LimitChanged, false)],
        ),
        (
            "number narrowed to integer",
            ("type: number", "type: integer"),
            vec![("count", K::TypeChanged, true)],
        ),
        (
            "default changed",
            ("default: small", "default: large"),
            vec![("size", K::DefaultChanged, false)],
        ),
        (
            "input became required without default",
            ("", "      required: [name]\n"),
            vec![("name", K::BecameRequired, true)],
        ),
    ];
    for (name, edit, want) in cases {
        let want: Vec<(String, K, bool)> = want.into_iter().map(|(i, k, b)| (i.to_owned(), k, b)).collect();
        assert_eq!(schema_change(edit), want, "{name}");
    }
}

// ----------------------------------------------------------------------------------------------------------
// Examples

/// `public_vpc_env`, synthesized in memory, rendered with a spec whose ranges are `prefix`.0.0/16 etc.
fn rendered_env(prefix: &str) -> TemplateDoc {
    let synthesis = public_vpc_env::app().synth(&SynthOptions::default()).unwrap();
    let files = synthesis
        .assembly
        .files()
        .iter()
        .filter_map(|(p, c)| Some((p.strip_prefix("proton/bundles/")?.to_owned(), c.clone())))
        .filter(|(p, _)| p.starts_with("public-vpc/"));
    let bundle = Bundle::from_files("public-vpc", files);
    let spec = format!(
        "proton: EnvironmentSpec\nspec:\n  vpc_cidr: \"{prefix}.0.0/16\"\n  subnet_one_cidr: \"{prefix}.0.0/24\"\n  subnet_two_cidr: \"{prefix}.1.0/24\"\n"
    );
    let ctx = RenderContext {
        environment_name: Some("Beta".to_owned()),
        ..RenderContext::default()
    };
    let rendered = render_bundle(&bundle, &spec, &ctx).unwrap_or_else(|f| panic!("{f:?}"));
    TemplateDoc::parse("environment", &rendered[0].text, &rendered[0].name).unwrap()
}

#[test]
fn public_vpc_env_with_another_vpc_range_replaces_the_vpc_and_its_subnets() {
    let d = diff_templates(
        &rendered_env("10.0"),
        &rendered_env("10.1"),
        &ResourceSchemas::vendored(),
    );
    let replaced: Vec<(&str, &str)> = d
        .changes
        .iter()
        .filter(|c| {
            matches!(
                c.kind,
                ChangeKind::Modified {
                    replacement: Replacement::Always,
                    ..
                }
            )
        })
        .map(|c| (c.resource_type.as_str(), c.logical_id.as_str()))
        .collect();
    assert!(replaced.contains(&("AWS::EC2::VPC", "VPCB9E5F0B4")), "{replaced:?}");
    assert_eq!(
        replaced.iter().filter(|(t, _)| *t == "AWS::EC2::Subnet").count(),
        2,
        "{replaced:?}"
    );
    assert!(
        d.changes.iter().all(|c| matches!(c.kind, ChangeKind::Modified { .. })),
        "{:?}",
        summary(&d)
    );
    assert!(diff_templates(
        &rendered_env("10.0"),
        &rendered_env("10.0"),
        &ResourceSchemas::vendored()
    )
    .is_empty());
}

/// A program with one L2 VPC whose construct id is `id`.
fn vpc_app(id: &str, cidr: &str) -> App {
    let mut stack = Stack::new("Network");
    let mut root = stack.root();
    Vpc::new(
        &mut root,
        id,
        VpcProps {
            cidr: cidr.to_owned(),
            ..VpcProps::default()
        },
    );
    let mut app = App::new("vpc");
    app.add_stack(stack);
    app
}

fn synthesized(app: &App) -> Snapshot {
    Snapshot::from_synthesis("mem", &app.synth(&SynthOptions::default()).unwrap()).unwrap()
}

#[test]
fn a_changed_construct_id_is_a_rename_and_a_changed_cidr_a_replacement() {
    let s = ResourceSchemas::vendored();
    let base = synthesized(&vpc_app("Vpc", "10.0.0.0/16"));
    let renamed = diff_sets(&base, &synthesized(&vpc_app("Network", "10.0.0.0/16")), &s);
    let changes = &renamed.templates[0].1.changes;
    assert!(changes.len() > 10, "{changes:?}");
    assert!(
        changes.iter().all(|c| matches!(c.kind, ChangeKind::Renamed { .. })),
        "{:?}",
        summary(&renamed.templates[0].1)
    );
    assert!(renamed.has_replacement() && !renamed.has_breaking());
    let recidr = diff_sets(&base, &synthesized(&vpc_app("Vpc", "10.1.0.0/16")), &s);
    let t = &recidr.templates[0].1;
    let vpc = t.changes.iter().find(|c| c.resource_type == "AWS::EC2::VPC").unwrap();
    let ChangeKind::Modified {
        props,
        replacement: Replacement::Always,
    } = &vpc.kind
    else {
        panic!("{vpc:?}")
    };
    assert_eq!(props[0].path, "Properties.CidrBlock");
    assert!(diff_sets(&base, &synthesized(&vpc_app("Vpc", "10.0.0.0/16")), &s).is_empty());
}

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
        paths: vec![],
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
