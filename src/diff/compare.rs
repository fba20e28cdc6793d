//! What `diff` compares: its options, and both sides read (`proton-synth diff OLD NEW`, and in every user
//! program `diff --against OLD`, where this program's synthesis, in memory, is NEW). Printing is
//! [`crate::cli::run_diff`]'s.

use std::path::PathBuf;

use clap::ValueEnum;

use crate::app::{App, SynthOptions};

use crate::engine::{invalid_name, is_valid_name, load_context_file, Finding, RenderContext};

use super::{diff_sets, BundleRender, Diff, ResourceSchemas, Snapshot};

/// Output format of `diff`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// For people: replacements first, coloured on a terminal unless `NO_COLOR` is set.
    #[default]
    Text,
    /// For CI: the JSON shape documented in README.md (`"version": 1`).
    Json,
}

/// What makes `diff` exit with 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// A resource is replaced or may be (create-only property, rename, type change, unknown type).
    Replace,
    /// A breaking AWS Proton schema change, or an export removed or renamed while still imported.
    Breaking,
}

/// `diff`: compare two synth outputs, render outputs, bundles or templates.
#[derive(clap::Args, Debug, Clone, Default)]
#[command(after_long_help = DIFF_HELP)]
pub struct DiffArgs {
    /// OLD and NEW: synth or render output folders, bundles (folder or .tar.gz) or template files. With
    /// `--against`, only NEW (default: this program's synthesis).
    #[arg(value_name = "PATH", num_args = 0..=2)]
    pub paths: Vec<PathBuf>,
    /// The previous output to compare this program's synthesis (or NEW) with.
    #[arg(long, value_name = "OLD")]
    pub against: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Exit with 1 when such a change exists (0 otherwise).
    #[arg(long, value_enum, value_name = "replace|breaking")]
    pub fail_on: Option<FailOn>,
    /// Render bundles (OLD, NEW) with this spec, so their resources compare too, not only their schemas.
    #[arg(long, value_name = "FILE")]
    pub spec: Option<PathBuf>,
    /// With --spec: what Proton knew (the context file of `proton-synth render --help`).
    #[arg(long, value_name = "FILE", requires = "spec")]
    pub context: Option<PathBuf>,
    /// With --spec: the environment's name (`environment.name`).
    #[arg(long, value_name = "NAME", requires = "spec")]
    pub environment_name: Option<String>,
}

const DIFF_HELP: &str = "\
Exit codes: 0 compared (and no change matched --fail-on), 1 a change matched --fail-on, 2 usage error or
an input that cannot be read or synthesized.
Replacement comes from the createOnlyProperties of the vendored CloudFormation registry schemas; types
without a vendored schema say `may replace (no schema for this type)`. The schemas carry no interruption
data: every other change is shown as `update`.
A bundle's templates are Jinja: without --spec only its schema is compared; with --spec (and --context /
--environment-name, as for `render`) both sides are rendered and their templates compared too.";

/// Read both sides and compare them.
pub fn compare(args: &DiffArgs, app: &App) -> Result<Diff, Vec<String>> {
    let render = bundle_render(args)?;
    let load = |p: &PathBuf| Snapshot::load_with(p, render.as_ref());
    let (old, new) = match (&args.against, args.paths.as_slice()) {
        (Some(old), []) => (load(old), synthesized(app)),
        (Some(old), [new]) => (load(old), load(new)),
        (None, [old, new]) => (load(old), load(new)),
        (Some(_), _) => return Err(vec!["diff: with --against OLD, give at most one path (NEW); see --help".to_owned()]),
        (None, _) => {
            return Err(vec![
                "diff: give OLD and NEW (`diff OLD NEW`), or `--against OLD` to compare this program's synthesis; see --help".to_owned(),
            ])
        }
    };
    match (old, new) {
        (Ok(o), Ok(n)) => Ok(diff_sets(&o, &n, &ResourceSchemas::vendored())),
        (o, n) => Err(o.err().into_iter().chain(n.err()).collect()),
    }
}

/// `--spec`, `--context` and `--environment-name` as a [`BundleRender`].
fn bundle_render(args: &DiffArgs) -> Result<Option<BundleRender>, Vec<String>> {
    let Some(spec_path) = &args.spec else {
        return Ok(None);
    };
    let spec_name = spec_path.display().to_string();
    let spec = std::fs::read_to_string(spec_path).map_err(|e| {
        vec![format!(
            "{spec_name}: cannot read the spec: {}; give a spec file (`proton: EnvironmentSpec` or `ServiceSpec`)",
            crate::engine::io_words(&e)
        )]
    })?;
    let mut context = match &args.context {
        Some(path) => load_context_file(path).map_err(|f| f.iter().map(Finding::located).collect::<Vec<_>>())?,
        None => RenderContext::default(),
    };
    if let Some(name) = &args.environment_name {
        if !is_valid_name(name) {
            return Err(vec![invalid_name("--environment-name", name)]);
        }
        context.environment_name = Some(name.clone());
    }
    Ok(Some(BundleRender {
        spec_name,
        spec,
        context,
    }))
}

fn synthesized(app: &App) -> Result<Snapshot, String> {
    if !app.has_templates() {
        return Err(format!(
            "diff --against: the program `{}` has no templates; give NEW as a path (`diff --against OLD NEW`)",
            app.name()
        ));
    }
    let synthesis = app.synth(&SynthOptions::default()).map_err(|d| {
        let lines: Vec<String> = d.0.iter().filter(|x| x.is_error()).map(|x| x.to_string()).collect();
        format!(
            "{}: synthesis failed; fix these first:\n{}",
            app.name(),
            lines.join("\n")
        )
    })?;
    Snapshot::from_synthesis(&format!("{} (synthesized)", app.name()), &synthesis)
}
