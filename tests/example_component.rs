//! The directly defined component of `examples/backend_fargate_svc.rs` (`examples/components/backend_queue.rs`):
//! the service rendered with 1 and 20 instances, each with the component attached (its outputs reach the
//! container and the task role) and without (the defaults), and the component rendered once per instance, as
//! Proton rendered it. Written to `target/examples-rendered/backend_fargate_svc-component/` for cfn-lint and
//! the security gate (repetitive 20-instance variants to `target/proton-rendered/…`, cfn-lint only).

mod catalog_harness;

use std::fs;

use catalog_harness::{made_up_output, resources_of, root, synth, text, yaml};
use proton_synth::engine::{
    load_bundle, render_bundle, ComponentInfo, EnvironmentInfo, InstanceInfo, Outputs, RenderContext,
};
use proton_synth::proton::{render_component, ComponentContext};
use serde_json::Value as J;

#[path = "../examples/backend_fargate_svc.rs"]
mod backend_fargate_svc;

use backend_fargate_svc::backend_queue;

const ACCOUNT: &str = "111122223333";

fn component_outputs(i: usize) -> Outputs {
    Outputs {
        values: [
            (
                backend_queue::QUEUE_URL.to_owned(),
                format!("https://sqs.us-west-2.amazonaws.com/{ACCOUNT}/backend-queue-{i}"),
            ),
            (
                backend_queue::QUEUE_ARN.to_owned(),
                format!("arn:aws:sqs:us-west-2:{ACCOUNT}:backend-queue-{i}"),
            ),
            (
                backend_queue::QUEUE_POLICY_NAME.to_owned(),
                format!("proton-queue-{i}-us-west-2"),
            ),
        ]
        .into_iter()
        .collect(),
        source: "test".to_owned(),
    }
}

/// Environment `Beta` with made-up outputs; instances `instance-1..n` with made-up outputs and, when
/// `attached`, the component.
fn context(env_outputs: &[String], instance_outputs: &[String], n: usize, attached: bool) -> RenderContext {
    let made_up = |names: &[String], k: usize| Outputs {
        values: names
            .iter()
            .enumerate()
            .map(|(j, o)| (o.clone(), made_up_output(o, k * 100 + j)))
            .collect(),
        source: "test".to_owned(),
    };
    let mut ctx = RenderContext {
        default_account_id: Some(ACCOUNT.to_owned()),
        ..RenderContext::default()
    };
    ctx.service.name = Some("backend".to_owned());
    ctx.service.repository_connection_arn = Some(format!(
        "arn:aws:codestar-connections:us-west-2:{ACCOUNT}:connection/0123abcd-4567-89ab-cdef-0123456789ab"
    ));
    ctx.service.repository_id = Some("example-org/backend".to_owned());
    ctx.service.branch_name = Some("main".to_owned());
    ctx.environments.insert(
        "Beta".to_owned(),
        EnvironmentInfo {
            account_id: Some(ACCOUNT.to_owned()),
            outputs: Some(made_up(env_outputs, 1)),
        },
    );
    for i in 1..=n {
        ctx.instances.insert(
            format!("instance-{i}"),
            InstanceInfo {
                outputs: Some(made_up(instance_outputs, i)),
                component: attached.then(|| ComponentInfo {
                    name: Some(format!("queue-{i}")),
                    outputs: component_outputs(i),
                }),
            },
        );
    }
    ctx
}

fn task_role(t: &J) -> &J {
    resources_of(t, "AWS::IAM::Role")
        .into_iter()
        .find(|(id, _)| id.starts_with("ServiceTaskDefTaskRole"))
        .expect("the task role")
        .1
}

fn queue_url(t: &J) -> J {
    let (_, td) = resources_of(t, "AWS::ECS::TaskDefinition")
        .pop()
        .expect("a task definition");
    let env = td["Properties"]["ContainerDefinitions"][0]["Environment"]
        .as_array()
        .unwrap();
    env.iter().find(|e| e["Name"] == "QUEUE_URL").expect("QUEUE_URL")["Value"].clone()
}

#[test]
fn the_backend_service_renders_with_and_without_its_queue_component_for_1_and_20_instances() {
    let s = synth("backend_fargate_svc", &backend_fargate_svc::app());
    let env = s.proton.iter().find(|p| p.output.name == "fargate-env").unwrap();
    let svc = s
        .proton
        .iter()
        .find(|p| p.output.name == "backend-fargate-svc")
        .unwrap();
    let registration = text(
        &s,
        "proton/template-sync/backend-fargate-svc/v1/.template-registration.yaml",
    );
    assert!(
        registration.contains("supported_component_sources:\n  - \"DIRECTLY_DEFINED\""),
        "{registration}"
    );
    // The security gate reads target/examples-rendered/; the 20-instance renders without a component and the
    // 20 component renders repeat the 1-instance ones, so they go where only cfn-lint reads them.
    let out = root().join("target/examples-rendered/backend_fargate_svc-component");
    let lint_only = root().join("target/proton-rendered/backend_fargate_svc-component");
    let _ = fs::remove_dir_all(&out);
    let _ = fs::remove_dir_all(&lint_only);
    let scratch = root().join("target/catalog-scratch/component");
    fs::create_dir_all(&scratch).unwrap();
    let archive = scratch.join("backend-fargate-svc.tar.gz");
    fs::write(&archive, &svc.output.tar_gz).unwrap();
    let bundle = load_bundle(&archive).unwrap();
    let component_iac = text(&s, "proton/components/backend-queue/cloudformation.yaml");
    for n in [1usize, 20] {
        let spec = text(&s, &format!("proton/specs/backend-fargate-svc.svc-spec-{n}.yaml"));
        for attached in [true, false] {
            let ctx = context(&env.output.outputs, &svc.output.outputs, n, attached);
            let files = render_bundle(&bundle, &spec, &ctx).unwrap_or_else(|f| panic!("{n} instances: {f:#?}"));
            let base = if n > 1 && !attached { &lint_only } else { &out };
            let dir = base.join(format!("svc-spec-{n}-{}", if attached { "attached" } else { "none" }));
            fs::create_dir_all(&dir).unwrap();
            let mut instances = 0;
            for f in files {
                fs::write(dir.join(&f.name), &f.text).unwrap();
                let t = yaml(&f.text, &f.name);
                let Some(i) = f
                    .name
                    .strip_prefix("instance-instance-")
                    .and_then(|r| r.strip_suffix(".yaml"))
                else {
                    continue;
                };
                instances += 1;
                let i: usize = i.parse().unwrap();
                let arns = &task_role(&t)["Properties"]["ManagedPolicyArns"][0]["Fn::If"];
                assert_eq!(arns[0], "HasQueueComponent");
                if attached {
                    assert_eq!(
                        queue_url(&t),
                        component_outputs(i).values[backend_queue::QUEUE_URL].as_str()
                    );
                    let name = &arns[1]["Fn::Sub"][1]["Name"];
                    assert_eq!(
                        name,
                        component_outputs(i).values[backend_queue::QUEUE_POLICY_NAME].as_str()
                    );
                } else {
                    assert_eq!(queue_url(&t), backend_fargate_svc::NO_COMPONENT);
                    assert_eq!(
                        t["Conditions"]["HasQueueComponent"]["Fn::Not"][0]["Fn::Equals"][0],
                        "none"
                    );
                }
            }
            assert_eq!(instances, n);
        }
        // The component, rendered once per instance it is attached to.
        let dir = if n > 1 { &lint_only } else { &out }.join(format!("components-{n}"));
        fs::create_dir_all(&dir).unwrap();
        for i in 1..=n {
            let ctx = ComponentContext {
                component: format!("queue-{i}"),
                environment: "Beta".to_owned(),
                account_id: ACCOUNT.to_owned(),
                service: "backend".to_owned(),
                service_instance: format!("instance-{i}"),
                ..ComponentContext::default()
            };
            let rendered = render_component(&component_iac, &ctx).unwrap();
            let t = yaml(&rendered, "component");
            let (_, policy) = resources_of(&t, "AWS::IAM::ManagedPolicy").pop().unwrap();
            assert_eq!(
                policy["Properties"]["Description"]["Fn::Join"][1][1],
                format!("queue-{i}")
            );
            fs::write(dir.join(format!("backend-queue-instance-{i}.yaml")), rendered).unwrap();
        }
    }
}

#[test]
fn the_plain_pipeline_and_component_templates_are_written() {
    let s = synth("backend_fargate_svc", &backend_fargate_svc::app());
    let pipeline = catalog_harness::plain(&s, "backend-fargate-svc.pipeline.template.json");
    let params = pipeline["Parameters"].as_object().unwrap();
    for p in [
        "ServiceInstanceName",
        "ServiceInstanceOutputsServiceName",
        "RepositoryConnectionArn",
    ] {
        assert!(params.contains_key(p), "{p}: {:?}", params.keys().collect::<Vec<_>>());
    }
    let component = catalog_harness::plain(&s, "backend-queue.component.template.json");
    assert_eq!(component["Parameters"]["ComponentName"]["Type"], "String");
    assert_eq!(
        component["Outputs"].as_object().unwrap().keys().collect::<Vec<_>>(),
        [
            backend_queue::QUEUE_URL,
            backend_queue::QUEUE_ARN,
            backend_queue::QUEUE_POLICY_NAME
        ]
    );
}
