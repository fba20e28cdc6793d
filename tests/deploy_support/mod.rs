//! What the `deploy` feature's tests against moto share: the server's URL, one test at a time, scratch folders,
//! the observed call log and a deployer writing to a buffer. `tests/deploy.rs` and `tests/deploy_placement.rs`
//! include it with `mod deploy_support;`.

#![allow(dead_code)] // each test binary uses part of it

use std::fs;
use std::path::PathBuf;
use std::time::Duration;

use proton_synth::deploy::cfn_client::CfnClient;
use proton_synth::deploy::classify::TemplateDiffClassifier;
use proton_synth::deploy::config::DeployFile;
use proton_synth::deploy::connections::Connections;
use proton_synth::deploy::deployer::Deployer;
use proton_synth::deploy::orchestrate::{Approval, Session};
use proton_synth::deploy::status::{self, StackStatus};

pub const ENDPOINT_VAR: &str = "PROTON_SYNTH_TEST_CFN_ENDPOINT";

/// The moto endpoint, or `None` (with the reason printed) when the test command did not start one.
pub fn endpoint() -> Option<String> {
    let url = std::env::var(ENDPOINT_VAR).ok().filter(|u| !u.is_empty());
    if url.is_none() {
        eprintln!("skipped: {ENDPOINT_VAR} is not set (scripts/test starts moto and sets it)");
    }
    url
}

/// One test at a time against the server: moto's development server handles requests on threads over shared,
/// unlocked state, and the call-sequence assertions expect each stack to settle before the next request.
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static MOTO: std::sync::Mutex<()> = std::sync::Mutex::new(());
    MOTO.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("deploy-tests")
        .join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every call the client made, change set names replaced by `CS`.
pub fn calls(cfn: &CfnClient) -> Vec<String> {
    let re = regex::Regex::new(r"proton-synth-\d+-\d+").unwrap();
    cfn.calls()
        .iter()
        .map(|c| re.replace_all(c, "CS").into_owned())
        .collect()
}

/// The calls of one stack deploy through a change set that executes (moto finishes at once, so one poll).
pub fn executed(stack: &str, kind: &str) -> Vec<String> {
    vec![
        format!("DescribeStacks {stack}"),
        format!("CreateChangeSet {stack} {kind}"),
        format!("DescribeChangeSet {stack} CS"),
        format!("DescribeStackEvents {stack}"),
        format!("ExecuteChangeSet {stack} CS"),
        format!("DescribeStackEvents {stack}"),
        format!("DescribeStacks {stack}"),
    ]
}

pub fn run<T>(
    file: &DeployFile,
    cfn: &CfnClient,
    approval: Approval,
    work: impl FnOnce(&mut Deployer<'_>) -> T,
) -> (T, String) {
    let mut out = Vec::new();
    let connections = Connections::new(cfn, file, file.upload.clone()).unwrap();
    let standard = connections.standard();
    let result = {
        let mut deployer = Deployer {
            file,
            connections: &connections,
            session: Session {
                cfn,
                classifier: &TemplateDiffClassifier::vendored(),
                capabilities: &file.capabilities,
                role_arn: None,
                upload: standard.upload,
                approval,
                out: &mut out,
                poll_interval: Duration::from_millis(50),
                timeout: Duration::from_secs(120),
            },
        };
        work(&mut deployer)
    };
    (result, String::from_utf8(out).unwrap())
}

/// `status` of every stack of the file, each read where its placement puts it.
pub fn status_of(cfn: &CfnClient, file: &DeployFile) -> Result<Vec<StackStatus>, Vec<String>> {
    status::status(&Connections::new(cfn, file, None).unwrap(), file)
}

pub const ENV_SPEC: &str = "proton: EnvironmentSpec\nspec:\n  vpc_cidr: 10.0.0.0/16\n  subnet_one_cidr: 10.0.0.0/24\n  subnet_two_cidr: 10.0.1.0/24\n";

pub fn service_spec() -> String {
    service_spec_with(2)
}

/// The seed service's spec with `n` instances (`instance-1` …) in Beta.
pub fn service_spec_with(n: usize) -> String {
    service_spec_in("Beta", n)
}

/// The seed service's spec with `n` instances (`instance-1` …) in environment `env`.
pub fn service_spec_in(env: &str, n: usize) -> String {
    let instance = |name: &str| {
        format!(
            "  - name: {name}\n    environment: {env}\n    spec:\n      port: 80\n      desired_count: 1\n      \
             task_size: x-small\n      image: public.ecr.aws/z9d2n7e1/nginx:1.21.0\n"
        )
    };
    let instances: String = (1..=n).map(|i| instance(&format!("instance-{i}"))).collect();
    format!("proton: ServiceSpec\npipeline:\n  dockerfile: Dockerfile\n  unit_test_command: echo ok\ninstances:\n{instances}")
}
