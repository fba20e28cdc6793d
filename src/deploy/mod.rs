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
pub mod connections;
pub mod deployer;
pub mod events;
pub mod orchestrate;
pub mod placement;
pub mod plan;
pub mod s3;
pub mod status;
pub mod template;

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use cfn_client::CfnClient;
use classify::TemplateDiffClassifier;
use connections::Connections;
use deployer::Deployer;
use orchestrate::{Approval, Ask, Deployed, Session};

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

/// Where templates over CloudFormation's 51,200-byte inline limit are uploaded (`deploy`, `upgrade`).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct UploadArgs {
    /// S3 bucket for templates over 51,200 bytes (uploaded once, as `PREFIX/<stack>/<sha256>.template`, and
    /// passed as TemplateURL), like `aws cloudformation deploy --s3-bucket`. Overrides the file's `s3_bucket`.
    #[arg(long, value_name = "BUCKET")]
    pub s3_bucket: Option<String>,
    /// Key prefix in that bucket. Overrides the file's `s3_prefix`.
    #[arg(long, value_name = "PREFIX")]
    pub s3_prefix: Option<String>,
}

impl UploadArgs {
    /// The flags over the deploy file's `s3_bucket`/`s3_prefix`.
    pub fn resolve(&self, file: Option<&s3::TemplateUpload>) -> Result<Option<s3::TemplateUpload>, String> {
        let bucket = match (&self.s3_bucket, file) {
            (Some(b), _) => b.as_str(),
            (None, Some(f)) => f.bucket.as_str(),
            (None, None) if self.s3_prefix.is_some() => {
                return Err(
                    "error: --s3-prefix needs a bucket; pass --s3-bucket BUCKET or set s3_bucket in the \
                            deploy file"
                        .to_owned(),
                )
            }
            (None, None) => return Ok(None),
        };
        let prefix = self.s3_prefix.as_deref().or(file.map(|f| f.prefix.as_str()));
        s3::TemplateUpload::new(bucket, prefix, "error: --s3-bucket/--s3-prefix").map(Some)
    }
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
    #[command(flatten)]
    pub upload: UploadArgs,
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
    #[command(flatten)]
    pub upload: UploadArgs,
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
    # Prod: {template: public-vpc, spec: ..., region: eu-west-1, role_arn: arn:aws:iam::ACCOUNT:role/NAME,
    #        external_id: ID, session_name: proton-synth, s3_bucket: BUCKET-IN-THAT-ACCOUNT-AND-REGION}
    #   its stacks and its instances' stacks go there, through the role (STS AssumeRole)
  services:
    front-end:
      template: lb-fargate-service
      spec: out/seed/proton/specs/lb-fargate-service.svc-spec-1.yaml   # instances name their environment
      repository: {connection_arn: arn:aws:codestar-connections:..., id: my-org/front-end, branch: main}
      # pipeline: false; stack_names: {instance-1: ..., pipeline: ...}; region/role_arn/...: the pipeline's
  # capabilities: [CAPABILITY_IAM, CAPABILITY_NAMED_IAM, CAPABILITY_AUTO_EXPAND]; role_arn: arn:aws:iam::...
  # s3_bucket: BUCKET; s3_prefix: PREFIX   (templates over 51,200 bytes of stacks not placed elsewhere;
  #                                        --s3-bucket/--s3-prefix override)
Each stack is tagged proton-synth:template, proton-synth:template-version and proton-synth:spec-hash (also in
the template's Metadata): CloudFormation is the state, `status` reads it back.";

/// How long to wait between polls and for a stack to settle.
const POLL: Duration = Duration::from_secs(5);
const TIMEOUT: Duration = Duration::from_secs(3 * 3600);

/// The deploy file, the top-level upload bucket (`None` for `status`) and the standard chain's client.
type Prepared = (config::DeployFile, Option<s3::TemplateUpload>, CfnClient);

fn prepare(common: &Common, upload: Option<&UploadArgs>) -> Result<Prepared, Vec<String>> {
    let file = config::load(&common.file)?;
    let upload = match upload {
        Some(args) => args.resolve(file.upload.as_ref()).map_err(|e| vec![e])?,
        None => None,
    };
    let cfn = CfnClient::connect(common.endpoint_url.as_deref()).map_err(connect_error)?;
    Ok((file, upload, cfn))
}

fn connect_error(e: String) -> Vec<String> {
    vec![format!(
        "error: {e}; configure credentials and region (AWS_PROFILE / AWS_REGION) or pass --endpoint-url"
    )]
}

/// A client per placement of the file.
fn connect<'c>(
    cfn: &'c CfnClient,
    file: &config::DeployFile,
    upload: Option<s3::TemplateUpload>,
) -> Result<Connections<'c>, Vec<String>> {
    Connections::new(cfn, file, upload).map_err(connect_error)
}

fn summary(done: &[Deployed]) -> String {
    let changed = done.iter().filter(|d| matches!(d, Deployed::Changed(_))).count();
    format!(
        "{} stack(s): {changed} changed, {} unchanged",
        done.len(),
        done.len() - changed
    )
}

/// Run `deploy` or `upgrade` (`work`) with a deployer writing its progress to `out` and asking `ask` for
/// approval (unless `yes`); returns the summary line or every error.
fn deploying(
    common: &Common,
    upload: &UploadArgs,
    yes: bool,
    ask: Ask,
    out: &mut dyn Write,
    work: impl FnOnce(&mut Deployer<'_>) -> Result<Vec<Deployed>, Vec<String>>,
) -> Result<String, Vec<String>> {
    let (file, upload, cfn) = prepare(common, Some(upload))?;
    let connections = connect(&cfn, &file, upload)?;
    let classifier = TemplateDiffClassifier::vendored();
    let standard = connections.standard();
    let mut deployer = Deployer {
        file: &file,
        connections: &connections,
        session: Session {
            cfn: standard.cfn,
            classifier: &classifier,
            capabilities: &file.capabilities,
            role_arn: file.role_arn.as_deref(),
            upload: standard.upload,
            approval: if yes { Approval::Yes } else { Approval::Ask(ask) },
            out,
            poll_interval: POLL,
            timeout: TIMEOUT,
        },
    };
    work(&mut deployer).map(|done| summary(&done))
}

/// `deploy`: progress to `out`, approval through `ask` (unless `--yes`); the summary line, or every error.
pub fn deploy(args: &DeployArgs, ask: Ask, out: &mut dyn Write) -> Result<String, Vec<String>> {
    deploying(&args.common, &args.upload, args.yes, ask, out, |d| d.deploy(&args.name))
}

/// `upgrade`: as [`deploy`], for the stacks that run an older template version.
pub fn upgrade(args: &UpgradeArgs, ask: Ask, out: &mut dyn Write) -> Result<String, Vec<String>> {
    deploying(&args.common, &args.upload, args.yes, ask, out, |d| {
        status::upgrade(d, &args.names, args.major)
    })
}

/// `status`: the table of every stack of the deploy file, or every error.
pub fn status_table(args: &StatusArgs) -> Result<String, Vec<String>> {
    let (file, _, cfn) = prepare(&args.common, None)?;
    let connections = connect(&cfn, &file, None)?;
    status::status(&connections, &file).map(|rows| status::format_status(&rows))
}

#[cfg(test)]
mod tests {
    use super::s3::TemplateUpload;
    use super::UploadArgs;

    #[test]
    fn the_upload_flags_override_the_deploy_file() {
        let file = TemplateUpload::new("from-file", Some("file-prefix"), "file").unwrap();
        let flags = |bucket: Option<&str>, prefix: Option<&str>| UploadArgs {
            s3_bucket: bucket.map(str::to_owned),
            s3_prefix: prefix.map(str::to_owned),
        };
        let resolved = |args: UploadArgs, file: Option<&TemplateUpload>| {
            args.resolve(file)
                .map(|u| u.map(|u| format!("{}/{}", u.bucket, u.prefix)))
        };
        assert_eq!(resolved(flags(None, None), None), Ok(None));
        assert_eq!(
            resolved(flags(None, None), Some(&file)),
            Ok(Some("from-file/file-prefix".into()))
        );
        assert_eq!(
            resolved(flags(Some("flag"), None), Some(&file)),
            Ok(Some("flag/file-prefix".into()))
        );
        assert_eq!(
            resolved(flags(None, Some("p")), Some(&file)),
            Ok(Some("from-file/p".into()))
        );
        assert_eq!(resolved(flags(Some("flag"), None), None), Ok(Some("flag/".into())));
        let err = resolved(flags(None, Some("p")), None).unwrap_err();
        assert!(err.starts_with("error: --s3-prefix needs a bucket"), "{err}");
        let err = resolved(flags(Some("No"), None), None).unwrap_err();
        assert!(
            err.starts_with("error: --s3-bucket/--s3-prefix: `No` is not an S3 bucket name"),
            "{err}"
        );
    }
}
