//! Behaviour of the core engine: references, logical IDs, validation and limits, on untyped resources so the
//! tests do not depend on the generated types.

use indexmap::IndexMap;
use proton_synth_constructs::{fns, CondExpr, Expr, Output, Parameter, Placeholder, PlaceholderKind, Stack, Value};
use serde_json::json;

fn props(members: &[(&str, Expr)]) -> Expr {
    Expr::Map(members.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
}

fn errors_of(stack: &Stack) -> Vec<String> {
    match stack.synth() {
        Ok(_) => Vec::new(),
        Err(d) => d.0.iter().filter(|d| d.is_error()).map(|d| d.to_string()).collect(),
    }
}

#[test]
fn references_resolve_to_path_based_logical_ids() {
    let mut stack = Stack::new("Net");
    let mut root = stack.root();
    let mut vpc_scope = root.child("Vpc");
    let vpc = vpc_scope.add_untyped(
        "Resource",
        "AWS::EC2::VPC",
        props(&[("CidrBlock", Expr::Str("10.0.0.0/16".into()))]),
    );
    let mut subnet_scope = vpc_scope.child("PublicSubnet1");
    let az: Value<String> = fns::select(0, fns::get_azs());
    subnet_scope.add_untyped(
        "Subnet",
        "AWS::EC2::Subnet",
        props(&[("VpcId", vpc.r#ref().into_expr()), ("AvailabilityZone", az.into_expr())]),
    );
    root.add_output(
        "VpcCidr",
        Output::new(vpc.get_att_unchecked::<String>("CidrBlock")).description("cidr"),
    );
    let out = stack.synth().expect("synth");
    assert_eq!(
        out.to_json(),
        json!({
            "AWSTemplateFormatVersion": "2010-09-09",
            "Resources": {
                "Vpc8378EB38": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
                "VpcPublicSubnet1Subnet5C2D37C4": {"Type": "AWS::EC2::Subnet", "Properties": {
                    "VpcId": {"Ref": "Vpc8378EB38"},
                    "AvailabilityZone": {"Fn::Select": [0, {"Fn::GetAZs": ""}]}
                }}
            },
            "Outputs": {"VpcCidr": {"Description": "cidr", "Value": {"Fn::GetAtt": ["Vpc8378EB38", "CidrBlock"]}}}
        })
    );
    assert_eq!(out.stats.resources, 2);
    assert_eq!(
        out.logical_ids["Vpc/PublicSubnet1/Subnet"],
        "VpcPublicSubnet1Subnet5C2D37C4"
    );
}

#[test]
fn synthesis_is_deterministic() {
    let build = || {
        let mut stack = Stack::new("S");
        let mut root = stack.root();
        for i in 0..20 {
            root.add_untyped(&format!("Topic{i}"), "AWS::SNS::Topic", props(&[]));
        }
        stack.synth().unwrap().to_json_string()
    };
    assert_eq!(build(), build());
}

#[test]
fn duplicate_sibling_ids_are_reported() {
    let mut stack = Stack::new("S");
    let mut root = stack.root();
    root.add_untyped("Bucket", "AWS::S3::Bucket", props(&[]));
    root.add_untyped("Bucket", "AWS::S3::Bucket", props(&[]));
    assert_eq!(
        errors_of(&stack),
        vec!["error: S/Bucket: duplicate construct id: another resource or element already uses this path; give it a unique id among its siblings"]
    );
}

#[test]
fn stripped_id_collisions_name_both_paths() {
    let mut stack = Stack::new("S");
    let mut root = stack.root();
    root.add_untyped("A-B", "AWS::SNS::Topic", props(&[]));
    root.add_untyped("AB", "AWS::SNS::Topic", props(&[]));
    let errs = errors_of(&stack);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].contains("logical ID \"AB\" in Resources/Parameters is produced by both \"S/A-B\" and \"S/AB\""),
        "{errs:?}"
    );
}

#[test]
fn overrides_and_renames() {
    let mut stack = Stack::new("S");
    let mut root = stack.root();
    let a = root.add_untyped("Queue", "AWS::SQS::Queue", props(&[]));
    let mut child = root.child("Deep");
    child.add_untyped("Topic", "AWS::SNS::Topic", props(&[]));
    stack.resource_mut(&a).override_logical_id("LegacyQueue");
    let computed = proton_synth_constructs::logical_id::make_unique_id(&["Deep", "Topic"]).unwrap();
    stack.rename_logical_id(&computed, "LegacyTopic");
    let ids: Vec<String> = stack.synth().unwrap().logical_ids.values().cloned().collect();
    assert_eq!(ids[0], "LegacyQueue");
    assert_eq!(ids[1], "LegacyTopic");

    let mut stack = Stack::new("S");
    stack.root().add_untyped("Topic", "AWS::SNS::Topic", props(&[]));
    stack.rename_logical_id("Typo", "X");
    assert_eq!(
        errors_of(&stack),
        vec!["error: S: rename_logical_id(\"Typo\", …) matched no element; check the old ID"]
    );
}

#[test]
fn invalid_pinned_logical_id_is_reported() {
    let mut stack = Stack::new("S");
    let t = stack.root().add_untyped("Topic", "AWS::SNS::Topic", props(&[]));
    stack.resource_mut(&t).override_logical_id("bad-id");
    assert_eq!(
        errors_of(&stack),
        vec!["error: S/Topic: logical ID \"bad-id\" is invalid: it must match ^[A-Za-z0-9]{1,255}$"]
    );
}

#[test]
fn cross_template_reference_is_an_error() {
    let mut a = Stack::new("A");
    let topic = a.root().add_untyped("Topic", "AWS::SNS::Topic", props(&[]));
    let mut b = Stack::new("B");
    b.root().add_untyped(
        "Sub",
        "AWS::SNS::Subscription",
        props(&[("TopicArn", topic.r#ref().into_expr())]),
    );
    let errs = errors_of(&b);
    assert_eq!(errs.len(), 1);
    assert!(
        errs[0].starts_with("error: B/Sub: Ref refers to an element of another template"),
        "{errs:?}"
    );
}

#[test]
fn dependency_cycles_are_printed_with_paths() {
    let mut stack = Stack::new("S");
    let mut root = stack.root();
    let a = root.add_untyped("A", "AWS::SNS::Topic", props(&[]));
    let b = root.add_untyped("B", "AWS::SNS::Topic", props(&[("X", a.r#ref().into_expr())]));
    stack.add_dependency(&a, &b);
    let errs = errors_of(&stack);
    assert_eq!(errs, vec!["error: S/B: dependency cycle: A (S/A) -> B (S/B) -> A"]);
}

#[test]
fn fn_sub_variables_must_be_declared() {
    let mut stack = Stack::new("S");
    let topic = stack.root().add_untyped("Topic", "AWS::SNS::Topic", props(&[]));
    let ok = fns::sub(
        "arn:${AWS::Partition}:x:${T}:${!Literal}",
        [("T", topic.r#ref().into_expr())],
    );
    let bad = fns::sub("${Topic}", Vec::<(&str, Expr)>::new());
    stack.root().add_output("Ok", Output::new(ok));
    stack.root().add_output("Bad", Output::new(bad));
    assert_eq!(
        errors_of(&stack),
        vec!["error: S/Bad: Fn::Sub variable ${Topic} is not defined; pass it in the variables map (logical IDs are not known when writing a template)"]
    );
}

#[test]
fn too_many_resources_fail_with_a_clear_message() {
    let mut stack = Stack::new("Big");
    let mut root = stack.root();
    for i in 0..501 {
        root.add_untyped(&format!("Topic{i}"), "AWS::SNS::Topic", props(&[]));
    }
    assert_eq!(
        errors_of(&stack),
        vec!["error: Big: the template has 501 resources; CloudFormation allows at most 500 per template: split it into several templates"]
    );
}

#[test]
fn large_template_warns_about_inline_size() {
    let mut stack = Stack::new("Wide");
    let mut root = stack.root();
    for i in 0..460 {
        root.add_untyped(
            &format!("Topic{i}"),
            "AWS::SNS::Topic",
            props(&[("DisplayName", Expr::Str("x".repeat(80)))]),
        );
    }
    let out = stack.synth().unwrap();
    let w: Vec<String> = out.warnings.iter().map(ToString::to_string).collect();
    assert!(
        w.iter()
            .any(|w| w.contains("over 90% of CloudFormation's limit of 500")),
        "{w:?} {}",
        out.stats.bytes
    );
    assert!(w.iter().any(|w| w.contains("deploy it through an S3 bucket")), "{w:?}");
}

#[test]
fn parameters_conditions_mappings_and_placeholders() {
    let mut stack = Stack::new("S");
    let mut root = stack.root();
    let env = root.add_parameter(
        "EnvType",
        Parameter::string()
            .allowed_values(["prod", "dev"])
            .default_value("dev")
            .description("env"),
    );
    let is_prod = root.add_condition("IsProd", CondExpr::equals(env.r#ref(), "prod".into()));
    let mut table = IndexMap::new();
    table.insert("prod".to_owned(), [("Size".to_owned(), json!(3))].into_iter().collect());
    table.insert("dev".to_owned(), [("Size".to_owned(), json!(1))].into_iter().collect());
    let sizes = root.add_mapping("Sizes", table);
    let count: Value<i64> = fns::find_in_map(&sizes, env.r#ref(), "Size".into());
    let name: Value<String> = Value::placeholder(Placeholder {
        jinja: "service.name".into(),
        kind: PlaceholderKind::String,
        plain: Expr::RefName("EnvType".into()),
    });
    root.add_untyped(
        "Queue",
        "AWS::SQS::Queue",
        props(&[
            ("DelaySeconds", count.into_expr()),
            ("QueueName", fns::if_(&is_prod, name, Value::no_value()).into_expr()),
        ]),
    );
    let plain = stack.synth().unwrap().to_json();
    assert_eq!(
        plain["Conditions"],
        json!({"IsProd": {"Fn::Equals": [{"Ref": "EnvType"}, "prod"]}})
    );
    assert_eq!(plain["Parameters"]["EnvType"]["AllowedValues"], json!(["prod", "dev"]));
    assert_eq!(
        plain["Resources"]["Queue"]["Properties"],
        json!({
            "DelaySeconds": {"Fn::FindInMap": ["Sizes", {"Ref": "EnvType"}, "Size"]},
            "QueueName": {"Fn::If": ["IsProd", {"Ref": "EnvType"}, {"Ref": "AWS::NoValue"}]}
        })
    );
    let bundle = stack.synth().unwrap().template;
    let name = bundle["Resources"]["Queue"]["Properties"]["QueueName"]["Fn::If"][1].placeholder();
    assert_eq!(name.map(|p| p.jinja.as_str()), Some("service.name"));
}

#[test]
fn dangling_ref_by_name_is_an_error() {
    let mut stack = Stack::new("S");
    stack.root().add_untyped(
        "Q",
        "AWS::SQS::Queue",
        props(&[("QueueName", Expr::RefName("Nope".into()))]),
    );
    assert_eq!(
        errors_of(&stack),
        vec!["error: S/Q: Ref to \"Nope\", which is neither a parameter nor a resource of this template"]
    );
}

#[test]
fn all_errors_are_reported_together() {
    let mut stack = Stack::new("S");
    let mut root = stack.root();
    root.add_untyped("X", "AWS::SNS::Topic", props(&[("A", Expr::RefName("Nope".into()))]));
    root.add_untyped("X", "AWS::SNS::Topic", props(&[]));
    root.child("bad/id");
    stack.error("Custom", "a construct validation failed");
    let errs = errors_of(&stack);
    assert_eq!(errs.len(), 4, "{errs:?}");
}

#[test]
fn scope_at_keeps_the_loop_of_the_construct() {
    let mut stack = Stack::new("Pipe");
    let lp = stack.add_loop("service_instance", "service_instances");
    {
        let mut root = stack.root();
        let mut looped = root.in_loop(&lp);
        looped
            .child("Role")
            .add_untyped("Resource", "AWS::IAM::Role", props(&[]));
    }
    stack.root().add_untyped("Shared", "AWS::SNS::Topic", props(&[]));
    let policy = stack
        .scope_at("Role")
        .add_untyped("DefaultPolicy", "AWS::IAM::Policy", props(&[]));
    let shared = stack
        .scope_at("Other")
        .add_untyped("Thing", "AWS::SNS::Topic", props(&[]));
    assert!(stack.resource(&policy).unwrap().loop_handle(&stack).is_some());
    assert!(stack.resource(&shared).unwrap().loop_handle(&stack).is_none());
}

#[test]
fn find_resource_by_construct_path() {
    let mut stack = Stack::new("S");
    let topic = stack
        .root()
        .child("Alerts")
        .add_untyped("Resource", "AWS::SNS::Topic", props(&[]));
    let found = stack.find_resource("Alerts/Resource").expect("found");
    assert_eq!(found.element(), topic.element());
    assert!(stack.find_resource("Alerts").is_none());
}

#[test]
fn a_node_id_finds_its_scope_and_loop_again() {
    let mut stack = Stack::new("Pipe");
    let lp = stack.add_loop("service_instance", "service_instances");
    let role = {
        let mut root = stack.root();
        let mut looped = root.in_loop(&lp);
        let mut role = looped.child("Role");
        role.add_untyped("Resource", "AWS::IAM::Role", props(&[]));
        role.node_id()
    };
    assert_eq!(stack.node_path(role), "Role");
    let policy = stack
        .scope(role)
        .add_untyped("DefaultPolicy", "AWS::IAM::Policy", props(&[]));
    assert_eq!(stack.resource(&policy).unwrap().path(), "Role/DefaultPolicy");
    assert!(stack.resource(&policy).unwrap().loop_handle(&stack).is_some());

    let mut other = Stack::new("Other");
    let foreign = other.root().child("X").node_id();
    stack.scope(foreign).add_untyped("Stray", "AWS::SNS::Topic", props(&[]));
    let errs = errors_of(&stack);
    assert!(
        errs.iter()
            .any(|e| e.contains("the construct node belongs to another template")),
        "{errs:?}"
    );
}
