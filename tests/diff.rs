//! `diff` as a library: table tests of every kind of resource, export and Proton schema change on small
//! hand-made templates, and the examples (`public_vpc_env` rendered with two VPC ranges, a VPC program whose
//! construct id changes, `lb_fargate_svc` whose environment drops an export its service imports). The CLI is
//! tested in `diff_cli.rs`.

use proton_synth::app::{App, SynthOptions};
use proton_synth::constructs::ec2::{Vpc, VpcProps};
use proton_synth::constructs::Stack;
use proton_synth::diff::{
    diff_schemas, diff_sets, diff_templates, render_text, ChangeKind, ExportIssueKind, Replacement, ResourceSchemas,
    SchemaChangeKind, Snapshot, TemplateDiff, TemplateDoc,
};
use proton_synth::engine::{parse_schema, render_bundle, Bundle, RenderContext};
use serde_json::{json, Value};

#[path = "../examples/lb_fargate_svc.rs"]
mod lb_fargate_svc;

// The service example includes the environment example (one copy of the module).
use lb_fargate_svc::public_vpc_env;

// ----------------------------------------------------------------------------------------------------------
// Helpers

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
    let count = "        count:\n          type: number\n          minimum: 1\n          maximum: 10\n";
    let vpc = "        vpc:\n          type: string\n";
    let required = format!("{vpc}      required: [vpc]\n");
    let required_default = format!("{vpc}          default: v\n      required: [vpc]\n");
    // (case, replaced text or "" to append, replacement, the change: input, kind, breaking)
    type Case<'a> = (&'a str, &'a str, &'a str, Option<(&'a str, K, bool)>);
    #[rustfmt::skip]
    let cases: &[Case] = &[
        ("no change", "", "", None),
        ("new required input without default", "", &required, Some(("vpc", K::InputAdded, true))),
        ("new required input with default", "", &required_default, Some(("vpc", K::InputAdded, false))),
        ("new optional input", "", vpc, Some(("vpc", K::InputAdded, false))),
        ("input became required without default", "", "      required: [name]\n", Some(("name", K::BecameRequired, true))),
        ("removed input", count, "", Some(("count", K::InputRemoved, true))),
        ("enum narrowed", "enum: [small, large]", "enum: [small]", Some(("size", K::EnumChanged, true))),
        ("enum widened", "enum: [small, large]", "enum: [small, large, huge]", Some(("size", K::EnumChanged, false))),
        ("pattern changed", "pattern: \"^[0-9./]+$\"", "pattern: \"^10\\\\.\"", Some(("cidr", K::PatternChanged, true))),
        ("pattern removed", "          pattern: \"^[0-9./]+$\"\n", "", Some(("cidr", K::PatternChanged, false))),
        ("minimum raised", "minimum: 1", "minimum: 2", Some(("count", K::LimitChanged, true))),
        ("maximum raised", "maximum: 10", "maximum: 20", Some(("count", K::LimitChanged, false))),
        ("maxLength lowered", "maxLength: 20", "maxLength: 10", Some(("name", K::LimitChanged, true))),
        ("minLength lowered", "minLength: 1", "minLength: 0", Some(("name", K::LimitChanged, false))),
        ("number narrowed to integer", "type: number", "type: integer", Some(("count", K::TypeChanged, true))),
        ("default changed", "default: small", "default: large", Some(("size", K::DefaultChanged, false))),
    ];
    for (name, from, to, want) in cases {
        let want: Vec<(String, K, bool)> = want.iter().map(|(i, k, b)| ((*i).to_owned(), *k, *b)).collect();
        assert_eq!(schema_change((from, to)), want, "{name}");
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

#[test]
fn lb_fargate_svc_environment_dropping_an_imported_export_is_breaking() {
    let s = ResourceSchemas::vendored();
    let old = synthesized(&lb_fargate_svc::app());
    assert!(
        old.templates.contains_key("lb-fargate-service.instance") && old.schemas.len() == 2,
        "{:?}",
        old.templates.keys()
    );
    let mut new = old.clone();
    let env = new.templates.get_mut("public-vpc").unwrap();
    env.body["Outputs"].as_object_mut().unwrap().remove("VpcId");
    let d = diff_sets(&old, &new, &s);
    let issues: Vec<(&str, &ExportIssueKind, &[String])> = d
        .exports
        .iter()
        .map(|e| (e.export.as_str(), &e.kind, e.importers.as_slice()))
        .collect();
    assert_eq!(
        issues,
        [(
            "${EnvironmentName}-VpcId",
            &ExportIssueKind::Removed,
            &["lb-fargate-service.instance".to_owned()][..]
        )]
    );
    assert!(d.has_breaking() && !d.has_replacement());
    // The environment's VPC range changes: the exports of its subnets change value while imported.
    assert!(d.template("public-vpc").is_some_and(|t| t.outputs.len() == 1) && d.template("nope").is_none());
    let mut recidr = old.clone();
    let env = recidr.templates.get_mut("public-vpc").unwrap();
    env.body["Resources"]["VPCB9E5F0B4"]["Properties"]["CidrBlock"] = json!("10.1.0.0/16");
    let d = diff_sets(&old, &recidr, &s);
    let changed: Vec<&str> = d
        .exports
        .iter()
        .filter(|e| matches!(e.kind, ExportIssueKind::ValueChanged { .. }))
        .map(|e| e.output.as_str())
        .collect();
    assert_eq!(
        changed,
        ["ContainerSecurityGroup", "PublicSubnetOne", "PublicSubnetTwo", "VpcId"]
    );
}

#[test]
fn text_is_coloured_only_on_request_and_puts_replacements_first() {
    let s = ResourceSchemas::vendored();
    let old = set(vec![doc(
        "t",
        json!({"A": {"Type": "AWS::SNS::Topic"}, "V": vpc("10.0.0.0/16")}),
    )]);
    let new = set(vec![doc(
        "t",
        json!({"B": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "b"}}, "V": vpc("10.1.0.0/16")}),
    )]);
    let d = diff_sets(&old, &new, &s);
    let plain = render_text(&d, false);
    assert!(!plain.contains('\x1b'), "{plain}");
    assert!(render_text(&d, true).contains("\x1b[31m"));
    let order: Vec<&str> = plain.lines().filter(|l| l.starts_with("  [")).collect();
    assert_eq!(
        order,
        [
            "  [~] AWS::EC2::VPC V replace",
            "  [-] AWS::SNS::Topic A remove",
            "  [+] AWS::SNS::Topic B add"
        ],
        "{plain}"
    );
}
