//! Proton's control plane, with CloudFormation as the only state store (cargo feature `deploy`).
//!
//! - `deploy NAME`: render an environment or a service from the deploy file ([`config`]) with the live outputs
//!   of the stacks it depends on, and deploy each stack through a change set shown for review ([`orchestrate`]);
//!   a service deploys its instances, then its pipeline with the instances' outputs ([`deployer`]).
//! - `status`: template version, spec hash and stack status of every stack; which are outdated ([`status`]).
//! - `upgrade [NAME…]`: re-deploy the outdated stacks, one change set each.
//!
//! Each stack records its template, template version and spec hash as tags and in its template's `Metadata`
//! ([`template`]); there is no local state file.

pub mod cfn_client;
pub mod classify;
pub mod config;
pub mod deployer;
pub mod events;
pub mod orchestrate;
pub mod plan;
pub mod status;
pub mod template;

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use cfn_client::CfnClient;
use classify::TemplateDiffClassifier;
use deployer::Deployer;
use orchestrate::{Approval, Deployed, Session};

/// What `deploy`, `status` and `upgrade` share.
#[derive(clap::Args, Debug, Clone)]
pub struct Common {
    /// The deploy file: environments and services, their template bundles, versions and specs.
    #[arg(long, short, value_name = "FILE", default_value = "proton-deploy.yaml")]
    pub file: PathBuf,
    /// CloudFormation endpoint instead of AWS's (tests, local emulators). Credentials and region come from the
    /// standard chain (AWS_PROFILE, AWS_REGION, …) either way.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

/// `proton-synth deploy NAME`.
#[derive(clap::Args, Debug, Clone)]
#[command(after_long_help = DEPLOY_HELP)]
pub struct DeployArgs {
    /// An environment or a service of the deploy file.
    #[arg(value_name = "NAME")]
    pub name: String,
    #[command(flatten)]
    pub common: Common,
    /// Execute every change set without asking (required when stdin is not a terminal).
    #[arg(long, short)]
    pub yes: bool,
}

/// `proton-synth status`.
#[derive(clap::Args, Debug, Clone)]
pub struct StatusArgs {
    #[command(flatten)]
    pub common: Common,
}

/// `proton-synth upgrade [NAME…]`.
#[derive(clap::Args, Debug, Clone)]
pub struct UpgradeArgs {
    /// Environments or services to upgrade (default: all).
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    #[command(flatten)]
    pub common: Common,
    /// Execute every change set without asking (required when stdin is not a terminal).
    #[arg(long, short)]
    pub yes: bool,
    /// Also move stacks to a new major version (Proton required this to be explicit).
    #[arg(long)]
    pub major: bool,
}

const DEPLOY_HELP: &str = "\
Deploy file (proton-deploy.yaml; paths relative to it):
  templates:
    public-vpc: {bundle: out/seed/proton/bundles/public-vpc.tar.gz, version: \"1.0\"}
    lb-fargate-service: {bundle: out/seed/proton/bundles/lb-fargate-service.tar.gz, version: \"1.0\"}
  environments:
    Beta: {template: public-vpc, spec: out/seed/proton/specs/public-vpc.env-spec.yaml}  # stack_name: optional
  services:
    front-end:
      template: lb-fargate-service
      spec: out/seed/proton/specs/lb-fargate-service.svc-spec-1.yaml   # instances name their environment
      repository: {connection_arn: arn:aws:codestar-connections:..., id: my-org/front-end, branch: main}
      # pipeline: false; stack_names: {instance-1: ..., pipeline: ...}
  # capabilities: [CAPABILITY_IAM, CAPABILITY_NAMED_IAM, CAPABILITY_AUTO_EXPAND]; role_arn: arn:aws:iam::...
Each stack is tagged proton-synth:template, proton-synth:template-version and proton-synth:spec-hash (also in
the template's Metadata): CloudFormation is the state, `status` reads it back.";

/// How long to wait between polls and for a stack to settle.
const POLL: Duration = Duration::from_secs(5);
const TIMEOUT: Duration = Duration::from_secs(3 * 3600);

fn print_errors(errors: &[String]) -> i32 {
    for e in errors {
        eprintln!("{e}");
    }
    1
}

fn prepare(common: &Common) -> Result<(config::DeployFile, CfnClient), Vec<String>> {
    let file = config::load(&common.file)?;
    let cfn = CfnClient::connect(common.endpoint_url.as_deref()).map_err(|e| {
        vec![format!(
            "error: {e}; configure credentials and region (AWS_PROFILE / AWS_REGION) or pass --endpoint-url"
        )]
    })?;
    Ok((file, cfn))
}

/// Ask on the terminal; refuse when stdin is not one.
fn ask_stdin(question: &str) -> Result<bool, String> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err("stdin is not a terminal, so nobody can approve the change set; pass --yes".to_owned());
    }
    print!("{question}");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the answer: {e}"))?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}

fn summary(done: &[Deployed]) -> String {
    let changed = done.iter().filter(|d| matches!(d, Deployed::Changed(_))).count();
    format!(
        "{} stack(s): {changed} changed, {} unchanged",
        done.len(),
        done.len() - changed
    )
}

/// Run `deploy` or `upgrade` (`work`) with a deployer on stdout; returns the exit code.
fn run_deploying(
    common: &Common,
    yes: bool,
    work: impl FnOnce(&mut Deployer<'_>) -> Result<Vec<Deployed>, Vec<String>>,
) -> i32 {
    let (file, cfn) = match prepare(common) {
        Ok(x) => x,
        Err(e) => return print_errors(&e),
    };
    let mut stdout = std::io::stdout();
    let classifier = TemplateDiffClassifier::vendored();
    let mut deployer = Deployer {
        file: &file,
        session: Session {
            cfn: &cfn,
            classifier: &classifier,
            capabilities: &file.capabilities,
            role_arn: file.role_arn.as_deref(),
            approval: if yes {
                Approval::Yes
            } else {
                Approval::Ask(Box::new(ask_stdin))
            },
            out: &mut stdout,
            poll_interval: POLL,
            timeout: TIMEOUT,
        },
    };
    match work(&mut deployer) {
        Ok(done) => {
            println!("{}", summary(&done));
            0
        }
        Err(e) => print_errors(&e),
    }
}

pub fn run_deploy(args: &DeployArgs) -> i32 {
    run_deploying(&args.common, args.yes, |d| d.deploy(&args.name))
}

pub fn run_upgrade(args: &UpgradeArgs) -> i32 {
    run_deploying(&args.common, args.yes, |d| status::upgrade(d, &args.names, args.major))
}

pub fn run_status(args: &StatusArgs) -> i32 {
    let (file, cfn) = match prepare(&args.common) {
        Ok(x) => x,
        Err(e) => return print_errors(&e),
    };
    match status::status(&cfn, &file) {
        Ok(rows) => {
            print!("{}", status::format_status(&rows));
            0
        }
        Err(e) => print_errors(&e),
    }
}
