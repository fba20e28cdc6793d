//! Environments in another account and Region (Proton's environment account connections), against moto's
//! server like `tests/deploy.rs` (`scripts/test` starts it; its URL is in `PROTON_SYNTH_TEST_CFN_ENDPOINT`).
//!
//! moto gives what this needs: STS AssumeRole for any role ARN (the role need not exist; the ARN's account
//! becomes the account of the returned keys, so later calls signed with them land in that account's
//! CloudFormation), and CloudFormation per account and Region. The stack IDs moto returns
//! (`arn:aws:cloudformation:REGION:ACCOUNT:stack/…`) are the server's record of where each call went; the
//! client's call log (`[REGION as ROLE] Operation …` for placed calls) shows which client made it.

#![cfg(feature = "deploy")]

use std::fs;

use proton_synth::app::SynthOptions;
use proton_synth::deploy::cfn_client::CfnClient;
use proton_synth::deploy::config;
use proton_synth::deploy::connections::Connections;
use proton_synth::deploy::orchestrate::{Approval, Upload};
use proton_synth::deploy::placement::Placement;

#[path = "../examples/lb_fargate_svc.rs"]
mod lb_fargate_svc;

mod deploy_support;
use deploy_support::*;

const ROLE: &str = "arn:aws:iam::222233334444:role/proton-environment-deployer";

fn deploy_file_text() -> String {
    format!(
        "templates:\n  public-vpc: {{bundle: out/proton/bundles/public-vpc, version: \"1.0\"}}\n  \
         lb-fargate-service: {{bundle: out/proton/bundles/lb-fargate-service, version: \"1.0\"}}\n\
         environments:\n  Prod:\n    template: public-vpc\n    spec: env-spec.yaml\n    stack_name: xacct-Prod\n    \
         region: eu-west-1\n    role_arn: {ROLE}\n    external_id: platform-team\n\
         services:\n  xfront:\n    template: lb-fargate-service\n    spec: svc-spec.yaml\n    \
         repository: {{connection_arn: \"arn:aws:codestar-connections:us-east-1:123456789012:connection/0123\", \
         id: my-org/front-end, branch: main}}\n"
    )
}

/// `calls` of one stack deploy made by the placed client, AssumeRole (its first use) after the first call.
fn placed(calls: Vec<String>, assume: bool) -> Vec<String> {
    let label = format!("[eu-west-1 as {ROLE}]");
    let mut out: Vec<String> = calls.into_iter().map(|c| format!("{label} {c}")).collect();
    if assume {
        out.insert(1, format!("{label} AssumeRole {ROLE}"));
    }
    out
}

/// Environment Prod in eu-west-1 of account 222233334444 through a role; the service's instance deployed there
/// with Prod's outputs read there; the pipeline in us-east-1 of the standard chain's account (123456789012,
/// moto's default) reading the instance's outputs across Regions; `status` reads each stack where it is.
#[test]
fn an_environment_in_another_account_and_region_through_a_role() {
    let Some(url) = endpoint() else { return };
    let _serial = serial();
    let dir = scratch("placement");
    lb_fargate_svc::app()
        .write(&dir.join("out"), &SynthOptions::default())
        .unwrap();
    fs::write(dir.join("env-spec.yaml"), ENV_SPEC).unwrap();
    fs::write(dir.join("svc-spec.yaml"), service_spec_in("Prod", 1)).unwrap();
    let path = dir.join("proton-deploy.yaml");
    fs::write(&path, deploy_file_text()).unwrap();
    let file = config::load(&path).unwrap();
    let cfn = CfnClient::connect(Some(&url)).unwrap();

    // deploy Prod: every call through the role, in eu-west-1; one AssumeRole.
    let (result, out) = run(&file, &cfn, Approval::Yes, |d| d.deploy("Prod"));
    let done = result.unwrap_or_else(|e| panic!("{e:?}\n{out}"));
    let prod = done[0].stack().clone();
    assert!(
        prod.id
            .starts_with("arn:aws:cloudformation:eu-west-1:222233334444:stack/xacct-Prod/"),
        "{}",
        prod.id
    );
    assert_eq!(calls(&cfn), placed(executed("xacct-Prod", "CREATE"), true));
    // Neither the standard chain's account in us-east-1 nor its account in eu-west-1 has it.
    assert_eq!(cfn.describe_stack("xacct-Prod").unwrap(), None);
    let eu = Placement {
        region: Some("eu-west-1".into()),
        role: None,
    };
    assert_eq!(cfn.placed(&eu).unwrap().describe_stack("xacct-Prod").unwrap(), None);

    // deploy xfront: the instance where Prod is, with Prod's outputs; the pipeline here, with the instance's.
    let before = cfn.calls().len();
    let (result, out) = run(&file, &cfn, Approval::Yes, |d| d.deploy("xfront"));
    let done = result.unwrap_or_else(|e| panic!("{e:?}\n{out}"));
    let (instance, pipeline) = (done[0].stack(), done[1].stack());
    assert!(
        instance
            .id
            .starts_with("arn:aws:cloudformation:eu-west-1:222233334444:stack/xfront-instance-1/"),
        "{}",
        instance.id
    );
    assert!(
        pipeline
            .id
            .starts_with("arn:aws:cloudformation:us-east-1:123456789012:stack/xfront-pipeline/"),
        "{}",
        pipeline.id
    );
    let mut expected = placed(vec!["DescribeStacks xacct-Prod".to_owned()], true);
    expected.extend(placed(executed("xfront-instance-1", "CREATE"), false));
    expected.extend(executed("xfront-pipeline", "CREATE"));
    assert_eq!(calls(&cfn)[before..], expected[..]);
    let connections = Connections::new(&cfn, &file, None).unwrap();
    let prod_cfn = connections.environment("Prod").cfn;
    let cluster = &prod.outputs["ClusterName"];
    assert!(
        prod_cfn
            .get_template("xfront-instance-1")
            .unwrap()
            .contains(cluster.as_str()),
        "the instance does not use Prod's cluster {cluster}"
    );
    let service_name = instance.outputs.get("ServiceName").cloned().unwrap_or_default();
    assert!(!service_name.is_empty(), "no ServiceName: {:?}", instance.outputs);
    assert!(
        cfn.get_template("xfront-pipeline")
            .unwrap()
            .contains(service_name.as_str()),
        "the pipeline does not deploy to the instance's ECS service {service_name}"
    );

    // status: each stack read where it runs, through its placement's credentials.
    let before = cfn.calls().len();
    let rows = status_of(&cfn, &file).unwrap();
    let placed_rows: Vec<(&str, &str, Option<&str>)> = rows
        .iter()
        .map(|r| (r.stack_name.as_str(), r.place.as_str(), r.stack_status.as_deref()))
        .collect();
    assert_eq!(
        placed_rows,
        [
            ("xacct-Prod", "eu-west-1 222233334444", Some("CREATE_COMPLETE")),
            ("xfront-instance-1", "eu-west-1 222233334444", Some("CREATE_COMPLETE")),
            ("xfront-pipeline", "us-east-1", Some("CREATE_COMPLETE")),
        ]
    );
    assert!(rows.iter().all(|r| !r.outdated(true) && !r.drifted()), "{rows:?}");
    let status_calls = &calls(&cfn)[before..];
    assert_eq!(
        status_calls,
        [
            placed(vec!["DescribeStacks xacct-Prod".into()], true),
            placed(
                vec![
                    "GetTemplate xacct-Prod".into(),
                    "DescribeStacks xfront-instance-1".into(),
                    "GetTemplate xfront-instance-1".into()
                ],
                false
            ),
            vec![
                "DescribeStacks xfront-pipeline".into(),
                "GetTemplate xfront-pipeline".into()
            ],
        ]
        .concat()
    );

    // The CLI's `status` shows the placement.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_proton-synth"))
        .args(["status", "--endpoint-url", &url, "--file"])
        .arg(&path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    let prod_line = stdout.lines().find(|l| l.starts_with("Prod ")).unwrap_or_default();
    assert!(
        prod_line.contains("xacct-Prod") && prod_line.contains("eu-west-1 222233334444"),
        "{stdout}"
    );

    // A large template of Prod's stacks needs Prod's own bucket: the top-level one is another account's.
    let Upload::Missing(fix) = connections.environment("Prod").upload else {
        panic!("Prod has no bucket of its own")
    };
    assert_eq!(
        fix,
        format!(
            "these stacks run in eu-west-1 (eu-west-1 as {ROLE}), so the top-level bucket does not serve them: set \
             `environments.Prod.s3_bucket` to a bucket of that account and Region"
        )
    );

    // A CloudFormation service role (top-level role_arn) of the standard account is not passed to Prod's stacks,
    // which are in another account; the pipeline's stack gets it.
    let service_role = "arn:aws:iam::123456789012:role/cfn-service";
    fs::write(&path, format!("role_arn: {service_role}\n{}", deploy_file_text())).unwrap();
    let file = config::load(&path).unwrap();
    let connections = Connections::new(&cfn, &file, None).unwrap();
    assert_eq!(connections.environment("Prod").service_role, None);
    assert_eq!(connections.pipeline("xfront").service_role, Some(service_role));
}

/// Bad placement keys are reported all at once, each naming its key, before anything is called.
#[test]
fn bad_placement_keys_are_all_reported() {
    let dir = std::env::temp_dir().join(format!("proton-placement-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let path = dir.join("proton-deploy.yaml");
    fs::write(
        &path,
        "templates:\n  t: {bundle: b, version: \"1.0\"}\nenvironments:\n  Prod:\n    template: t\n    spec: s.yaml\n    \
         region: Europe\n    role_arn: arn:aws:iam::12:role/x\n  Dev: {template: t, spec: s.yaml, external_id: abc}\n",
    )
    .unwrap();
    let shown = path.display();
    let errors = config::load(&path).unwrap_err();
    assert_eq!(errors.len(), 3, "{errors:#?}");
    assert!(errors[0].starts_with(&format!(
        "error: {shown}: environments.Prod.region: `Europe` is not an AWS Region code"
    )));
    assert!(errors[1].starts_with(&format!(
        "error: {shown}: environments.Prod.role_arn: `arn:aws:iam::12:role/x` is not an IAM role ARN"
    )));
    assert!(errors[2].starts_with(&format!(
        "error: {shown}: environments.Dev.external_id: is set without role_arn"
    )));
    fs::write(
        &path,
        "environments:\n  Prod: {template: t, spec: s, regoin: eu-west-1}\n",
    )
    .unwrap();
    let errors = config::load(&path).unwrap_err();
    assert!(errors[0].contains("unknown field `regoin`"), "{errors:?}");
    fs::remove_dir_all(&dir).unwrap();
}
