//! `deploy`, `status` and `upgrade` against a real CloudFormation API server: moto's server (pinned in
//! `scripts/test`, started there on a free loopback port; its URL is in `PROTON_SYNTH_TEST_CFN_ENDPOINT`).
//!
//! How these tests cope with moto 5.2.5 (see also `scripts/moto_server.py`, the shim the server runs in):
//! - After ExecuteChangeSet moto leaves Outputs empty, keeps the old tags and raises the error of a failing
//!   resource from ExecuteChangeSet itself: the shim makes it do what CloudFormation does (outputs from the
//!   executed template, the change set's tags, CREATE_FAILED event + rollback), so proton-synth runs its real
//!   code paths (outputs read by DescribeStacks, failures read from stack events).
//! - moto never computes `Replacement`: proton-synth's classifier then compares the current template
//!   (GetTemplate) with the new one through `diff::diff_templates` and the vendored registry schemas; the
//!   replacement test asserts that verdict (it would be CloudFormation's `Replacement: True` on AWS).
//! - moto emits only stack-level events (and the shim's CREATE_FAILED): the event stream shows what there is.
//! - moto ignores a change set whose resources are unchanged even when its tags differ, so the "new minor
//!   version" below changes the instance and pipeline templates (as a real new version does).
//! - Resource types moto lacks are skipped silently and it has no `Fn::Cidr` (the seed templates compute their
//!   CIDRs at synth time, so none is needed).
//! - moto reads a `TemplateURL` on its own endpoint (`http://127.0.0.1:PORT/BUCKET/KEY`) with the host as the
//!   bucket unless the host is `localhost`: the shim reads it path style, as S3 serves it there.

#![cfg(feature = "deploy")]

use std::fs;
use std::path::{Path, PathBuf};

use proton_synth::app::SynthOptions;
use proton_synth::deploy::cfn_client::CfnClient;
use proton_synth::deploy::config::{self, DeployFile};
use proton_synth::deploy::deployer::ServiceParts;
use proton_synth::deploy::orchestrate::{Approval, Deployed};
use proton_synth::deploy::status::{self, StackStatus};

#[path = "../examples/lb_fargate_svc.rs"]
mod lb_fargate_svc;

mod deploy_support;
use deploy_support::*;

fn deploy_file(dir: &Path, service_bundle: &str, service_version: &str) -> DeployFile {
    let text = format!(
        "templates:\n  public-vpc: {{bundle: out/proton/bundles/public-vpc, version: \"1.0\"}}\n  \
         lb-fargate-service: {{bundle: {service_bundle}, version: \"{service_version}\"}}\n\
         environments:\n  Beta: {{template: public-vpc, spec: env-spec.yaml, stack_name: seed-Beta}}\n\
         services:\n  front-end:\n    template: lb-fargate-service\n    spec: svc-spec.yaml\n    \
         repository: {{connection_arn: \"arn:aws:codestar-connections:us-east-1:123456789012:connection/0123\", \
         id: my-org/front-end, branch: main}}\n"
    );
    fs::write(dir.join("proton-deploy.yaml"), text).unwrap();
    config::load(&dir.join("proton-deploy.yaml")).unwrap()
}

/// A new minor version of the service template: one more resource in the instance and pipeline templates.
fn new_minor_version(dir: &Path) -> String {
    let from = dir.join("out/proton/bundles/lb-fargate-service");
    let to = dir.join("lb-fargate-service-1.1");
    for entry in walk(&from) {
        let rel = entry.strip_prefix(&from).unwrap();
        fs::create_dir_all(to.join(rel).parent().unwrap()).unwrap();
        let mut text = fs::read_to_string(&entry).unwrap();
        if rel.ends_with("cloudformation.yaml") {
            let marker = "Resources:\n  UpgradeMarker:\n    Type: AWS::SQS::Queue\n";
            assert!(text.contains("\nResources:\n"), "{}", entry.display());
            text = text.replacen("\nResources:\n", &format!("\n{marker}"), 1);
        }
        fs::write(to.join(rel), text).unwrap();
    }
    "lb-fargate-service-1.1".to_owned()
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

fn row<'a>(rows: &'a [StackStatus], stack: &str) -> &'a StackStatus {
    rows.iter()
        .find(|r| r.stack_name == stack)
        .unwrap_or_else(|| panic!("no status row for {stack}"))
}

/// AWS's seed walkthrough: the environment, the service with two instances and its pipeline (outputs passed
/// along from the stacks themselves), a replacing update shown and declined, `status` and `upgrade`.
#[test]
fn seed_walkthrough_status_and_upgrade() {
    let Some(url) = endpoint() else { return };
    let _serial = serial();
    let dir = scratch("seed");
    lb_fargate_svc::app()
        .write(&dir.join("out"), &SynthOptions::default())
        .unwrap();
    fs::write(dir.join("env-spec.yaml"), ENV_SPEC).unwrap();
    fs::write(dir.join("svc-spec.yaml"), service_spec()).unwrap();
    let file = deploy_file(&dir, "out/proton/bundles/lb-fargate-service", "1.0");
    let cfn = CfnClient::connect(Some(&url)).unwrap();

    // deploy Beta: a CREATE change set, executed; the outputs come back from DescribeStacks.
    let (result, out) = run(&file, &cfn, Approval::Yes, |d| d.deploy("Beta"));
    let done = result.unwrap_or_else(|e| panic!("{e:?}\n{out}"));
    let Deployed::Changed(beta) = &done[0] else {
        panic!("Beta was not created: {out}")
    };
    assert_eq!(beta.status, "CREATE_COMPLETE");
    for key in [
        "ClusterName",
        "VpcId",
        "PublicSubnetOne",
        "PublicSubnetTwo",
        "ContainerSecurityGroup",
    ] {
        assert!(
            beta.outputs.get(key).is_some_and(|v| !v.is_empty()),
            "{key} missing: {:?}",
            beta.outputs
        );
    }
    assert!(
        out.contains("== environment Beta (stack seed-Beta): CREATE change set"),
        "{out}"
    );
    assert!(out.contains("add          AWS::EC2::VPC"), "{out}");
    assert_eq!(calls(&cfn), executed("seed-Beta", "CREATE"));

    // deploy front-end: both instances with Beta's live outputs, then the pipeline with theirs.
    let (result, out) = run(&file, &cfn, Approval::Yes, |d| d.deploy("front-end"));
    let done = result.unwrap_or_else(|e| panic!("{e:?}\n{out}"));
    let names: Vec<&str> = done.iter().map(|d| d.stack().name.as_str()).collect();
    assert_eq!(
        names,
        ["front-end-instance-1", "front-end-instance-2", "front-end-pipeline"]
    );
    let mut expected = vec!["DescribeStacks seed-Beta".to_owned()];
    for stack in ["front-end-instance-1", "front-end-instance-2", "front-end-pipeline"] {
        expected.extend(executed(stack, "CREATE"));
    }
    assert_eq!(calls(&cfn)[7..], expected[..]);
    let cluster = &beta.outputs["ClusterName"];
    let instance_template = cfn.get_template("front-end-instance-1").unwrap();
    assert!(
        instance_template.contains(cluster.as_str()),
        "the instance does not use Beta's cluster {cluster}"
    );
    let endpoint_1 = done[0]
        .stack()
        .outputs
        .get("ServiceEndpoint")
        .cloned()
        .unwrap_or_default();
    assert!(
        !endpoint_1.is_empty(),
        "instance-1 has no ServiceEndpoint: {:?}",
        done[0].stack().outputs
    );
    let pipeline_template = cfn.get_template("front-end-pipeline").unwrap();
    assert!(pipeline_template.contains("\"proton-synth\":{\"template\":\"lb-fargate-service\""));
    assert_eq!(
        done[2]
            .stack()
            .tags
            .iter()
            .find(|(k, _)| k == "proton-synth:template-version")
            .unwrap()
            .1,
        "1.0"
    );

    // Everything is at the file's version and spec.
    let rows = status_of(&cfn, &file).unwrap();
    assert_eq!(rows.len(), 4);
    assert!(
        rows.iter()
            .all(|r| r.stack_status.is_some() && !r.outdated(true) && !r.drifted()),
        "{rows:?}"
    );

    // An update that replaces the VPC is shown, replacements first, before anything executes; declined.
    fs::write(dir.join("env-spec.yaml"), ENV_SPEC.replace("10.0.", "10.9.")).unwrap();
    let before = cfn.calls().len();
    let asked = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let questions = asked.clone();
    let decline = move |q: &str| -> Result<bool, String> {
        questions.borrow_mut().push(q.to_owned());
        Ok(false)
    };
    let (result, out) = run(&file, &cfn, Approval::Ask(Box::new(decline)), |d| d.deploy("Beta"));
    let err = result.unwrap_err();
    assert!(err[0].contains("not approved; nothing was executed"), "{err:?}");
    let asked = asked.borrow();
    assert_eq!(asked.len(), 1);
    assert!(asked[0].starts_with("Execute change set proton-synth-") && asked[0].ends_with(" on seed-Beta? [y/N] "));
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[2].starts_with("   replace      AWS::EC2::"), "{out}");
    assert!(
        out.contains("AWS::EC2::VPC") && out.contains("(Properties.CidrBlock: replace)"),
        "{out}"
    );
    let vpc = lines.iter().position(|l| l.contains("AWS::EC2::VPC")).unwrap();
    assert!(lines[vpc].starts_with("   replace      AWS::EC2::VPC"), "{out}");
    assert!(out.contains("replace      AWS::EC2::Subnet"), "{out}");
    let new_calls: Vec<String> = calls(&cfn)[before..].to_vec();
    assert_eq!(
        new_calls,
        [
            "DescribeStacks seed-Beta",
            "GetTemplate seed-Beta",
            "CreateChangeSet seed-Beta UPDATE",
            "DescribeChangeSet seed-Beta CS",
            "DeleteChangeSet seed-Beta CS",
        ]
    );
    // The declined spec is now drift: the file says something else than what runs.
    let rows = status_of(&cfn, &file).unwrap();
    assert!(row(&rows, "seed-Beta").drifted() && !row(&rows, "seed-Beta").outdated(true));
    fs::write(dir.join("env-spec.yaml"), ENV_SPEC).unwrap();

    // A new minor version of the service template: status finds its stacks outdated, upgrade fixes them.
    let bundle = new_minor_version(&dir);
    let file = deploy_file(&dir, &bundle, "1.1");
    let rows = status_of(&cfn, &file).unwrap();
    let table = status::format_status(&rows);
    assert!(table.contains("outdated (1.0 → 1.1)"), "{table}");
    assert!(row(&rows, "front-end-instance-2").outdated(false));
    assert!(!row(&rows, "seed-Beta").outdated(true));
    let before = cfn.calls().len();
    let (result, out) = run(&file, &cfn, Approval::Yes, |d| status::upgrade(d, &[], false));
    let done = result.unwrap_or_else(|e| panic!("{e:?}\n{out}"));
    assert_eq!(done.len(), 3, "{out}");
    assert!(done.iter().all(|d| matches!(d, Deployed::Changed(_))), "{out}");
    assert!(out.contains("add          AWS::SQS::Queue"), "{out}");
    let upgrade_calls = &calls(&cfn)[before..];
    assert!(upgrade_calls.contains(&"CreateChangeSet front-end-instance-1 UPDATE".to_owned()));
    assert!(upgrade_calls.contains(&"CreateChangeSet front-end-pipeline UPDATE".to_owned()));
    assert!(!upgrade_calls.iter().any(|c| c.starts_with("CreateChangeSet seed-Beta")));
    let rows = status_of(&cfn, &file).unwrap();
    assert!(
        rows.iter().all(|r| !r.outdated(true) && !r.drifted()),
        "{}",
        status::format_status(&rows)
    );
    assert_eq!(
        row(&rows, "front-end-instance-1")
            .deployed
            .as_ref()
            .unwrap()
            .version
            .to_string(),
        "1.1"
    );
}

/// A resource that fails to create: the failed events with their reasons are shown, the stack is left rolled
/// back, and the next deploy says how to recover.
#[test]
fn a_failed_create_shows_its_events_and_stays_rolled_back() {
    let Some(url) = endpoint() else { return };
    let _serial = serial();
    let dir = scratch("failed");
    let bundle = dir.join("broken-env");
    fs::create_dir_all(bundle.join("schema")).unwrap();
    fs::create_dir_all(bundle.join("infrastructure")).unwrap();
    fs::write(
        bundle.join("schema/schema.yaml"),
        "schema:\n  format:\n    openapi: \"3.0.0\"\n  environment_input_type: \"Input\"\n  types:\n    Input:\n      \
         type: object\n      properties:\n        cluster:\n          type: string\n          default: no-such-cluster\n",
    )
    .unwrap();
    fs::write(
        bundle.join("infrastructure/manifest.yaml"),
        "infrastructure:\n  templates:\n    - file: \"cloudformation.yaml\"\n      rendering_engine: jinja\n      \
         template_language: cloudformation\n",
    )
    .unwrap();
    fs::write(
        bundle.join("infrastructure/cloudformation.yaml"),
        "Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n  Service:\n    Type: AWS::ECS::Service\n    Properties:\n      \
         Cluster: \"{{ environment.inputs.cluster }}\"\n      TaskDefinition: no-such-task\n",
    )
    .unwrap();
    fs::write(dir.join("spec.yaml"), "proton: EnvironmentSpec\nspec: {}\n").unwrap();
    fs::write(
        dir.join("proton-deploy.yaml"),
        "templates:\n  broken: {bundle: broken-env, version: \"1.0\"}\nenvironments:\n  \
         Broken: {template: broken, spec: spec.yaml, stack_name: failing-env}\n",
    )
    .unwrap();
    let file = config::load(&dir.join("proton-deploy.yaml")).unwrap();
    let cfn = CfnClient::connect(Some(&url)).unwrap();

    let (result, out) = run(&file, &cfn, Approval::Yes, |d| d.deploy("Broken"));
    let err = result.unwrap_err();
    assert!(
        err[0].starts_with("error: failing-env: deploy failed, the stack is ROLLBACK_COMPLETE"),
        "{err:?}"
    );
    assert!(
        out.contains("CREATE_FAILED AWS::ECS::Service Service: Cluster not found"),
        "{out}"
    );
    assert!(out.contains("ROLLBACK_COMPLETE"), "{out}");
    assert_eq!(calls(&cfn), executed("failing-env", "CREATE"));
    assert_eq!(
        cfn.describe_stack("failing-env").unwrap().unwrap().status,
        "ROLLBACK_COMPLETE"
    );

    let (result, _) = run(&file, &cfn, Approval::Yes, |d| d.deploy("Broken"));
    let err = result.unwrap_err();
    assert!(
        err[0].contains("cannot be updated; delete it with `aws cloudformation delete-stack --stack-name failing-env`")
    );
}

/// The CLI: without a terminal on stdin and without `--yes`, the change set is shown, then refused and deleted.
#[test]
fn the_cli_refuses_to_execute_without_yes_when_nobody_can_answer() {
    let Some(url) = endpoint() else { return };
    let _serial = serial();
    let dir = scratch("cli");
    lb_fargate_svc::public_vpc_env::app()
        .write(&dir.join("out"), &SynthOptions::default())
        .unwrap();
    fs::write(dir.join("env-spec.yaml"), ENV_SPEC).unwrap();
    fs::write(
        dir.join("proton-deploy.yaml"),
        "templates:\n  public-vpc: {bundle: out/proton/bundles/public-vpc.tar.gz, version: \"1.0\"}\n\
         environments:\n  Gamma: {template: public-vpc, spec: env-spec.yaml, stack_name: cli-Gamma}\n",
    )
    .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_proton-synth"))
        .args(["deploy", "Gamma", "--endpoint-url", &url, "--file"])
        .arg(dir.join("proton-deploy.yaml"))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("add          AWS::EC2::VPC"), "{stdout}");
    assert!(stderr.contains("error: cli-Gamma: stdin is not a terminal"), "{stderr}");
    assert!(stderr.contains("pass --yes"), "{stderr}");
    let cfn = CfnClient::connect(Some(&url)).unwrap();
    // The CREATE change set left an empty REVIEW_IN_PROGRESS stack, as CloudFormation does; nothing ran.
    let stack = cfn.describe_stack("cli-Gamma").unwrap();
    assert!(stack.is_none_or(|s| s.status == "REVIEW_IN_PROGRESS"));

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_proton-synth"))
        .args(["status", "--endpoint-url", &url, "--file"])
        .arg(dir.join("proton-deploy.yaml"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("Gamma") && stdout.contains("not deployed"), "{stdout}");
}

/// An unsigned request to moto's server (which takes requests without credentials as S3's): the status.
fn moto_s3(url: &str, method: &str, path: &str) -> u16 {
    use std::io::{Read, Write};
    let host = url.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A pipeline over CloudFormation's inline limit (the seed service with 20 instances) goes through the S3 bucket
/// the deploy file names: uploaded under its SHA-256 before CreateChangeSet, which passes its TemplateURL; moto's
/// CloudFormation reads the object from its own S3 and creates the stack from it. Deployed again through the CLI
/// with `--s3-bucket`, the object is found and not uploaded again. Without a bucket, the error names both ways to
/// give one.
#[test]
fn a_template_over_the_inline_limit_goes_through_s3() {
    let Some(url) = endpoint() else { return };
    let _serial = serial();
    let dir = scratch("s3");
    lb_fargate_svc::app()
        .write(&dir.join("out"), &SynthOptions::default())
        .unwrap();
    fs::write(dir.join("env-spec.yaml"), ENV_SPEC).unwrap();
    fs::write(dir.join("svc-spec.yaml"), service_spec_with(20)).unwrap();
    let deploy_file = |s3: &str| {
        let text = format!(
            "templates:\n  public-vpc: {{bundle: out/proton/bundles/public-vpc, version: \"1.0\"}}\n  \
             lb-fargate-service: {{bundle: out/proton/bundles/lb-fargate-service, version: \"1.0\"}}\n\
             environments:\n  Beta: {{template: public-vpc, spec: env-spec.yaml, stack_name: big-Beta}}\n\
             services:\n  big-front:\n    template: lb-fargate-service\n    spec: svc-spec.yaml\n    \
             repository: {{connection_arn: \"arn:aws:codestar-connections:us-east-1:123456789012:connection/0123\", \
             id: my-org/front-end, branch: main}}\n{s3}"
        );
        let path = dir.join(if s3.is_empty() {
            "plain.yaml"
        } else {
            "proton-deploy.yaml"
        });
        fs::write(&path, text).unwrap();
        (path.clone(), config::load(&path).unwrap())
    };
    let (_, file) = deploy_file("s3_bucket: proton-synth-templates\ns3_prefix: /cfn/\n");
    assert_eq!(moto_s3(&url, "PUT", "/proton-synth-templates"), 200);
    let cfn = CfnClient::connect(Some(&url)).unwrap();

    let (result, out) = run(&file, &cfn, Approval::Yes, |d| d.deploy("Beta"));
    result.unwrap_or_else(|e| panic!("{e:?}\n{out}"));
    let (result, out) = run(&file, &cfn, Approval::Yes, |d| d.deploy("big-front"));
    let done = result.unwrap_or_else(|e| panic!("{e:?}\n{out}"));
    assert_eq!(done.len(), 21, "{out}");
    let Deployed::Changed(pipeline) = &done[20] else {
        panic!("the pipeline was not created: {out}")
    };
    assert_eq!(pipeline.status, "CREATE_COMPLETE");

    // The stack runs the uploaded object: what CloudFormation holds hashes to the object's key.
    let template = cfn.get_template("big-front-pipeline").unwrap();
    assert!(template.len() > 51_200, "{} bytes", template.len());
    let key = format!("cfn/big-front-pipeline/{}.template", sha256_hex(&template));
    let object_url = format!("{url}/proton-synth-templates/{key}");
    assert!(
        out.contains(&format!(
            "   template ({} bytes) uploaded to s3://proton-synth-templates/{key}",
            template.len()
        )),
        "{out}"
    );
    assert!(cfn
        .object_exists("proton-synth-templates", &key, "123456789012")
        .unwrap());
    assert!(!cfn
        .object_exists(
            "proton-synth-templates",
            "cfn/big-front-pipeline/0.template",
            "123456789012"
        )
        .unwrap());
    // Only the pipeline is over the limit; it is uploaded after it is known to be new, before its change set.
    let all = calls(&cfn);
    let start = all
        .iter()
        .position(|c| c == "DescribeStacks big-front-pipeline")
        .unwrap();
    // The account the bucket must belong to (x-amz-expected-bucket-owner) is asked once, before the first upload.
    assert_eq!(
        all[start..start + 6],
        [
            "DescribeStacks big-front-pipeline".to_owned(),
            "GetCallerIdentity".to_owned(),
            format!("HeadObject proton-synth-templates/{key} owner=123456789012"),
            format!("PutObject proton-synth-templates/{key} owner=123456789012"),
            format!("CreateChangeSet big-front-pipeline CREATE TemplateURL={object_url}"),
            "DescribeChangeSet big-front-pipeline CS".to_owned(),
        ]
    );
    assert_eq!(all.iter().filter(|c| c.starts_with("PutObject")).count(), 1, "{all:?}");

    // Again through the CLI, the bucket from the flags: the object is there, nothing changes.
    let (plain, _) = deploy_file("");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_proton-synth"))
        .args(["deploy", "big-front", "--yes", "--endpoint-url", &url])
        .args(["--s3-bucket", "proton-synth-templates", "--s3-prefix", "cfn", "--file"])
        .arg(&plain)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains(&format!("already in s3://proton-synth-templates/{key}")),
        "{stdout}"
    );
    assert!(stdout.contains("21 stack(s): 0 changed, 21 unchanged"), "{stdout}");

    // Without a bucket: an error naming the flag and the deploy file's key, before any change set.
    let file = config::load(&plain).unwrap();
    let before = cfn.calls().len();
    let parts = ServiceParts {
        instances: Some(Vec::new()),
        pipeline: true,
    };
    let svc = file.services[0].clone();
    let (result, _) = run(&file, &cfn, Approval::Yes, |d| d.service(&svc, &parts));
    let err = result.unwrap_err();
    assert_eq!(
        err,
        [format!(
            "error: big-front-pipeline: the template is {} bytes, over CloudFormation's 51200-byte inline limit, so \
             it must go through S3; name a bucket of this account and Region with `--s3-bucket BUCKET` or \
             `s3_bucket: BUCKET` in the deploy file",
            template.len()
        )]
    );
    assert!(!calls(&cfn)[before..].iter().any(|c| c.starts_with("CreateChangeSet")));
}
