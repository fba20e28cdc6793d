//! Local Proton: render and check template bundles without the AWS Proton service.
//!
//! AWS Proton reached end of support, so nothing at AWS renders bundles any more. This module does its
//! job locally, with Proton's semantics (see `proton-bundle-format.md`):
//!
//! - [`check_bundle`] validates a bundle statically: layout for its kind, manifests, the schema and its
//!   keyword subset, Proton's limits, Jinja syntax, and every variable each template references against
//!   the namespaces its kind may use and the inputs its schema declares.
//! - [`render_bundle`] validates a spec against the schema (all problems at once, with their path in the
//!   spec), merges schema defaults, renders each template with exactly its kind's context, and parses the
//!   result (YAML with CloudFormation short-form tags, or JSON) before returning it.
//!   Every user-supplied string a template prints must land as whole scalars of the parsed result
//!   (`guard.rs`): a value that adds keys or does not read back unchanged fails the render, naming the
//!   input and the template line (`--allow-unsafe-values` renders as Proton did, with a warning).
//!
//! On the command line (`proton-synth check BUNDLE`, `proton-synth render BUNDLE --spec SPEC --out DIR`),
//! findings print on stderr as `error: FILE:LINE: what[; how to fix]`, the exit code is 1 when any finding
//! is an error, and `render` writes nothing unless everything rendered: it writes into a temporary folder
//! next to DIR and swaps it into place, and DIR must be missing, empty or written by proton-synth
//! ([`crate::output`]). Every input is read within the bounds of [`limits`].
//!
//! What Proton knew from its own state comes from flags or a context file ([`context`] documents the
//! format):
//!
//! | Flag | Context file key | Template variable |
//! |---|---|---|
//! | `--environment-name` | `environment.name` | `environment.name` (environment templates) |
//! | `--service-name` | `service.name` | `service.name` |
//! | `--repository-connection-arn`, `--repository-id`, `--branch-name` | `service.*` | `service.*` (pipelines) |
//! | `--account-id` | `account_id` | default `environment.account_id` |
//! | `--env-account-id NAME=ID` | `environments.NAME.account_id` | `environment.account_id` |
//! | `--env-outputs NAME=FILE` | `environments.NAME.outputs[_file]` | `environment.outputs.*` |
//! | `--instance-outputs NAME=FILE` | `instances.NAME.outputs[_file]` | `service_instances[*].outputs.*` |
//! | `--component-outputs NAME=FILE` | `instances.NAME.component` | `service_instance.components.default.outputs.*` |

mod bundle;
mod cfn;
mod check;
pub mod context;
mod depth;
mod filters;
mod finding;
mod guard;
mod jinja;
pub mod limits;
mod load;
mod manifest;
mod missing;
mod namespace;
mod node;
mod pycompat;
mod pyfmt;
mod read;
mod render;
mod schema;
mod spec;
mod yaml11;

use std::path::{Path, PathBuf};

pub use bundle::{analyze, Analysis, Bundle, BundleKind, IacTemplate, InfraKind};
pub use check::{check_bundle, check_templates, Detail};
pub use context::{
    load_context_file, parse_outputs, ComponentInfo, EnvironmentInfo, InstanceInfo, Only, Outputs, RenderContext,
    ServiceInfo,
};
pub use finding::{has_errors, Finding, Severity};
pub use jinja::{environment as jinja_environment, FILTERS, FUNCTIONS, TESTS};
pub use load::load_bundle;
pub(crate) use read::io_words;
pub use render::{render_bundle, render_with_report, RenderReport, RenderedFile};
pub use schema::{parse_schema, InputType, Property, Schema};
// For `diff`: schema property types, and templates parsed with their short-form tags.
pub use node::{parse_yaml, Node, NodeValue};
pub use schema::{Pattern, PropType};
pub use spec::{invalid_name, is_valid_name, parse_spec, InstanceSpec, Spec};

use crate::assembly::{Sink, StagingDir};

/// `proton-synth render`: render a bundle with a spec into CloudFormation templates.
#[derive(clap::Args, Debug, Clone, Default)]
#[command(after_long_help = CONTEXT_HELP)]
pub struct RenderArgs {
    /// Template bundle: a folder or a .tar.gz, with or without one wrapping folder.
    #[arg(value_name = "BUNDLE")]
    pub bundle: PathBuf,
    /// Spec file (`proton: EnvironmentSpec` or `proton: ServiceSpec`).
    #[arg(long, value_name = "FILE")]
    pub spec: PathBuf,
    /// Output folder; replaced as a whole, and only when everything rendered. It must be missing, empty or
    /// written by proton-synth before (it has a .proton-synth-out file), and hold none of the inputs.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Replace the output folder even if proton-synth did not write it (everything in it is deleted).
    #[arg(long)]
    pub force: bool,
    /// Context file (YAML or JSON) with what Proton knew from its own state; flags override it.
    #[arg(long, value_name = "FILE")]
    pub context: Option<PathBuf>,
    /// Name of the environment being rendered (`environment.name` in environment templates).
    #[arg(long, value_name = "NAME")]
    pub environment_name: Option<String>,
    /// Account id of every environment that has none of its own.
    #[arg(long, value_name = "ID")]
    pub account_id: Option<String>,
    /// Account id of one environment.
    #[arg(long, value_name = "NAME=ID")]
    pub env_account_id: Vec<String>,
    /// Service name (`service.name`).
    #[arg(long, value_name = "NAME")]
    pub service_name: Option<String>,
    /// Source connection ARN (`service.repository_connection_arn`, pipelines).
    #[arg(long, value_name = "ARN")]
    pub repository_connection_arn: Option<String>,
    /// Source repository `owner/repo` (`service.repository_id`, pipelines).
    #[arg(long, value_name = "OWNER/REPO")]
    pub repository_id: Option<String>,
    /// Source branch (`service.branch_name`, pipelines).
    #[arg(long, value_name = "BRANCH")]
    pub branch_name: Option<String>,
    /// Outputs of an environment: describe-stacks JSON, an Outputs list or a key/value map. Repeatable.
    #[arg(long, value_name = "NAME=FILE")]
    pub env_outputs: Vec<String>,
    /// Outputs of a service instance's stack, for the pipeline's `service_instances`. Repeatable.
    #[arg(long, value_name = "NAME=FILE")]
    pub instance_outputs: Vec<String>,
    /// Outputs of the component attached to a service instance. Repeatable.
    #[arg(long, value_name = "NAME=FILE")]
    pub component_outputs: Vec<String>,
    /// Render only the instance templates or only the pipeline of a service bundle (deploy the instances,
    /// then render the pipeline with `--instance-outputs`, as Proton did)
    #[arg(long, value_enum, default_value_t = context::Only::All)]
    pub only: context::Only,
    /// Render values that change a template's structure (a quote, `: ` or a line break in a spec value
    /// adding keys) as Proton would, with a warning instead of an error
    #[arg(long)]
    pub allow_unsafe_values: bool,
}

/// `proton-synth check`: validate a bundle without a spec.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct CheckArgs {
    /// Template bundle: a folder or a .tar.gz, with or without one wrapping folder.
    #[arg(value_name = "BUNDLE")]
    pub bundle: PathBuf,
}

const CONTEXT_HELP: &str = "\
Context file (YAML or JSON; every key optional; flags override it):
  environment: {name: Beta}
  service: {name: front-end, repository_connection_arn: arn:..., repository_id: owner/repo, branch_name: main}
  account_id: \"111122223333\"            # default for every environment
  environments:
    Beta: {account_id: \"111122223333\", outputs_file: beta.json}   # or outputs: {Key: value}
  instances:
    frontend-dev:
      outputs_file: frontend-dev.json   # or outputs: {...}; for the pipeline
      component: {name: c, outputs: {Key: value}}
Outputs files: `aws cloudformation describe-stacks` JSON (one stack), a bare Outputs list, or a key/value
map. Relative outputs_file paths are relative to the context file.";

/// Check the bundle (folder or `.tar.gz`) at `path`: the findings of loading it, or of [`check_bundle`].
pub fn check_bundle_at(path: &Path) -> Vec<Finding> {
    match load_bundle(path) {
        Ok(bundle) => check_bundle(&bundle),
        Err(f) => f,
    }
}

/// Render the bundle of `args` with its spec into its output folder, which is replaced only when everything
/// rendered. Returns the files written and the warnings, or every problem; `notes` receives what opening the
/// output folder noticed (a stale lock, …), whatever the outcome.
pub fn render_to_dir(args: &RenderArgs, notes: &mut Vec<String>) -> Result<(Vec<String>, Vec<Finding>), Vec<Finding>> {
    let mut errors = Vec::new();
    let bundle = load_bundle(&args.bundle).map_err(|f| errors.extend(f)).ok();
    let spec_shown = args.spec.display().to_string();
    let spec = read::read_text_bounded(&args.spec, limits::MAX_SPEC_BYTES)
        .map_err(|e| errors.push(Finding::error(e.message("the spec")).in_file(&spec_shown)))
        .ok();
    let ctx = context_from_args(args).map_err(|f| errors.extend(f)).ok();
    let (Some(bundle), Some(spec), Some(ctx)) = (bundle, spec, ctx) else {
        return Err(errors);
    };
    let inputs = crate::output::render_inputs(args, &ctx);
    let opts = crate::output::OutputOptions {
        force: args.force,
        inputs,
        ..Default::default()
    };
    let staging = StagingDir::open(&args.out, &opts).map_err(|e| vec![Finding::error(e.to_string())])?;
    notes.extend(staging.notes().iter().cloned());
    let report = render_with_report(&bundle, &spec_shown, &spec, &ctx)?;
    for f in &report.files {
        staging
            .put(f.name.clone(), f.text.clone().into_bytes())
            .map_err(|e| vec![Finding::error(e).in_file(&f.name)])?;
    }
    staging.commit().map_err(|e| vec![Finding::error(e.to_string())])?;
    Ok((report.files.into_iter().map(|f| f.name).collect(), report.warnings))
}

/// The render context: the context file, then the flags on top.
pub fn context_from_args(args: &RenderArgs) -> Result<RenderContext, Vec<Finding>> {
    let mut ctx = match &args.context {
        Some(path) => load_context_file(path)?,
        None => RenderContext::default(),
    };
    let mut errors = Vec::new();
    for (flag, value) in [
        ("--environment-name", &args.environment_name),
        ("--service-name", &args.service_name),
    ] {
        if let Some(name) = value.as_deref().filter(|n| !is_valid_name(n)) {
            errors.push(Finding::error(format!(
                "{}; give the name the environment or service has in the spec and its stacks",
                invalid_name(flag, name)
            )));
        }
    }
    let set = |slot: &mut Option<String>, v: &Option<String>| {
        if v.is_some() {
            slot.clone_from(v);
        }
    };
    ctx.only = args.only;
    ctx.allow_unsafe_values = args.allow_unsafe_values;
    set(&mut ctx.environment_name, &args.environment_name);
    set(&mut ctx.default_account_id, &args.account_id);
    set(&mut ctx.service.name, &args.service_name);
    set(
        &mut ctx.service.repository_connection_arn,
        &args.repository_connection_arn,
    );
    set(&mut ctx.service.repository_id, &args.repository_id);
    set(&mut ctx.service.branch_name, &args.branch_name);
    for (flag, values, form) in [
        ("--env-account-id", &args.env_account_id, "NAME=ID"),
        ("--env-outputs", &args.env_outputs, "NAME=FILE"),
        ("--instance-outputs", &args.instance_outputs, "NAME=FILE"),
        ("--component-outputs", &args.component_outputs, "NAME=FILE"),
    ] {
        for raw in values {
            let Some((name, value)) = raw.split_once('=').filter(|(n, v)| !n.is_empty() && !v.is_empty()) else {
                errors.push(Finding::error(format!("{flag} {raw}: expected {form}")));
                continue;
            };
            if let Err(e) = apply_flag(&mut ctx, flag, name, value) {
                errors.push(e);
            }
        }
    }
    if errors.is_empty() {
        Ok(ctx)
    } else {
        Err(errors)
    }
}

fn apply_flag(ctx: &mut RenderContext, flag: &str, name: &str, value: &str) -> Result<(), Finding> {
    let name = name.to_owned();
    match flag {
        "--env-account-id" => ctx.environments.entry(name).or_default().account_id = Some(value.to_owned()),
        "--env-outputs" => {
            ctx.environments.entry(name).or_default().outputs = Some(context::load_outputs_file(Path::new(value))?)
        }
        "--instance-outputs" => {
            ctx.instances.entry(name).or_default().outputs = Some(context::load_outputs_file(Path::new(value))?)
        }
        _ => {
            let outputs = context::load_outputs_file(Path::new(value))?;
            let instance = ctx.instances.entry(name).or_default();
            match &mut instance.component {
                Some(c) => c.outputs = outputs,
                None => instance.component = Some(ComponentInfo { name: None, outputs }),
            }
        }
    }
    Ok(())
}
