//! The application: a set of templates plus the command-line interface every user program gets.
//!
//! ```no_run
//! use proton_synth::app::App;
//! use proton_synth::constructs::Stack;
//!
//! let mut app = App::new("my-platform");
//! app.add_stack(Stack::new("Network"));
//! std::process::exit(app.run());
//! ```
//!
//! AWS Proton templates are added with [`App::add_environment`] and [`App::add_service`]; for each one
//! `synth` writes (under `proton/`):
//!
//! ```text
//! proton/bundles/<name>/…                 the bundle folder (schema/, infrastructure/ or
//!                                         instance_infrastructure/ + pipeline_infrastructure/)
//! proton/bundles/<name>.tar.gz            deterministic archive, one wrapping folder <name>/
//! proton/template-sync/<name>/v<major>/…  template-sync layout (+ .template-registration.yaml for services)
//! proton/specs/<name>.env-spec.yaml       sample EnvironmentSpec (environments)
//! proton/specs/<name>.svc-spec-<n>.yaml   sample ServiceSpec with n = 1 and 20 instances (services)
//! proton/cloudformation/<name>.template.json           plain CloudFormation (environments)
//! proton/cloudformation/<name>.instance.template.json  plain CloudFormation (service instances)
//! ```
//!
//! `synth` builds everything in memory, validates every template, and only then writes the output folder
//! atomically (see [`crate::assembly`]). Exit codes: 0 success, 1 validation errors (all printed), 2 usage.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use proton_synth_constructs::synth::{to_json_string, Mode};
use proton_synth_constructs::{Diagnostic, Diagnostics, Stack, TemplateStats};

use crate::assembly::Assembly;
use crate::proton::{EnvironmentInterface, EnvironmentTemplate, ServiceTemplate, SpecSettings, TemplateOutput};
use crate::yaml;

/// Output format of plain CloudFormation templates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    #[default]
    Json,
    Yaml,
}

impl Format {
    fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Yaml => "yaml",
        }
    }
}

/// Options of a synthesis run.
#[derive(Clone, Copy, Debug, Default)]
pub struct SynthOptions {
    pub format: Format,
}

/// What `list` prints and `manifest.json` records for each template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateSummary {
    pub name: String,
    pub kind: &'static str,
    pub files: Vec<String>,
    pub stats: TemplateStats,
}

/// The result of a successful synthesis: files in memory, plus warnings and summaries.
#[derive(Clone, Debug)]
pub struct Synthesis {
    pub assembly: Assembly,
    pub warnings: Vec<Diagnostic>,
    pub summaries: Vec<TemplateSummary>,
    /// AWS Proton templates, with the files written for each.
    pub proton: Vec<ProtonSummary>,
}

/// What `list` prints and `manifest.json` records for an AWS Proton template.
#[derive(Clone, Debug)]
pub struct ProtonSummary {
    /// The template's synthesis, without its `bundle` files and `plain` templates, which moved into the
    /// assembly (under `files`); the archive, specs and summaries stay.
    pub output: TemplateOutput,
    /// Paths written, relative to the output folder.
    pub files: Vec<String>,
}

/// A program's templates.
#[derive(Debug)]
pub struct App {
    name: String,
    stacks: Vec<Stack>,
    environments: Vec<EnvironmentTemplate>,
    services: Vec<ServiceTemplate>,
    spec_settings: SpecSettings,
}

#[derive(Parser, Debug)]
#[command(
    name = "proton-synth",
    version,
    about = "Synthesize typed CloudFormation / AWS Proton templates"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Synthesize every template into an output folder (replaced atomically).
    Synth {
        /// Output folder.
        #[arg(long, default_value = "cdk.out")]
        out: PathBuf,
        /// Format of plain CloudFormation templates.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// List the templates of this program with their resource counts (Proton templates: inputs, outputs).
    List,
    /// Render an AWS Proton template bundle with a spec (as Proton did).
    Render(Box<crate::local::RenderArgs>),
    /// Check an AWS Proton template bundle statically.
    Check(crate::local::CheckArgs),
}

impl App {
    pub fn new(name: &str) -> Self {
        App {
            name: name.to_owned(),
            stacks: Vec::new(),
            environments: Vec::new(),
            services: Vec::new(),
            spec_settings: SpecSettings::default(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Add a plain CloudFormation template, written as `<name>.template.json`.
    pub fn add_stack(&mut self, stack: Stack) -> &mut Self {
        self.stacks.push(stack);
        self
    }

    /// Add an AWS Proton environment template.
    pub fn add_environment(&mut self, env: EnvironmentTemplate) -> &mut Self {
        self.environments.push(env);
        self
    }

    /// Add an AWS Proton service template. Its environment contract is checked against the environment
    /// templates of this app with the same name and major version (or against the declared
    /// [`EnvironmentInterface`] for environment templates defined elsewhere).
    pub fn add_service(&mut self, svc: ServiceTemplate) -> &mut Self {
        self.services.push(svc);
        self
    }

    /// Environment name and instance counts of the generated sample service specs.
    pub fn set_spec_settings(&mut self, settings: SpecSettings) -> &mut Self {
        self.spec_settings = settings;
        self
    }

    /// Synthesize the AWS Proton templates into `out`.
    fn synth_proton(&self, out: &mut Synthesis, errors: &mut Vec<Diagnostic>) {
        enum Job<'a> {
            Env(&'a EnvironmentTemplate),
            Svc(&'a ServiceTemplate),
        }
        let mut names = std::collections::BTreeSet::new();
        let mut jobs = Vec::new();
        let all = self
            .environments
            .iter()
            .map(|e| (e.name(), Job::Env(e)))
            .chain(self.services.iter().map(|s| (s.name(), Job::Svc(s))));
        for (name, job) in all {
            if names.insert(name.to_owned()) {
                jobs.push(job);
            } else {
                errors.push(Diagnostic::error(
                    name,
                    "two Proton templates have this name; names must be unique",
                ));
            }
        }
        // Templates are independent: synthesize and check them on every core; the results keep their order.
        let results = par_map(&jobs, |job| {
            let o = match job {
                Job::Env(env) => env.synth(&self.spec_settings)?,
                Job::Svc(svc) => svc.synth(&self.spec_settings, Some(&self.compatible_of(svc)))?,
            };
            // The local checker reads the bundle exactly as Proton would; its errors fail synthesis.
            let bundle = crate::local::Bundle::from_files(
                &o.name,
                o.bundle.iter().map(|(p, c)| (format!("{}/{p}", o.name), c.clone())),
            );
            let findings: Vec<Diagnostic> = crate::local::check_bundle(&bundle)
                .into_iter()
                .filter(crate::local::Finding::is_error)
                .map(|f| Diagnostic::error(&o.name, format!("bundle check: {f}")))
                .collect();
            if findings.is_empty() {
                Ok(o)
            } else {
                Err(Diagnostics(findings))
            }
        });
        for result in results {
            let mut o = match result {
                Ok(o) => o,
                Err(Diagnostics(d)) => {
                    errors.extend(d);
                    continue;
                }
            };
            let mut files = Vec::new();
            let mut add = |path: String, body: Vec<u8>, errors: &mut Vec<Diagnostic>| {
                if let Err(e) = out.assembly.add(path.clone(), body) {
                    errors.push(Diagnostic::error(&o.name, e));
                }
                files.push(path);
            };
            // The bundle files and plain templates move into the assembly (the summary keeps the rest).
            for (rel, body) in std::mem::take(&mut o.bundle) {
                add(format!("proton/bundles/{}/{rel}", o.name), body.clone(), errors);
                add(
                    format!("proton/template-sync/{}/v{}/{rel}", o.name, o.major),
                    body,
                    errors,
                );
            }
            if let Some(reg) = &o.registration {
                let path = format!(
                    "proton/template-sync/{}/v{}/.template-registration.yaml",
                    o.name, o.major
                );
                add(path, reg.clone().into_bytes(), errors);
            }
            add(format!("proton/bundles/{}.tar.gz", o.name), o.tar_gz.clone(), errors);
            for (file, body) in &o.specs {
                add(format!("proton/specs/{file}"), body.clone().into_bytes(), errors);
            }
            for (file, template) in std::mem::take(&mut o.plain) {
                add(
                    format!("proton/cloudformation/{file}"),
                    to_json_string(&template).into_bytes(),
                    errors,
                );
            }
            out.warnings.extend(o.warnings.iter().cloned());
            out.proton.push(ProtonSummary { output: o, files });
        }
    }

    /// The environment contracts a service is checked against: the app's own environment templates where it
    /// has them, else the declared interfaces.
    fn compatible_of(&self, svc: &ServiceTemplate) -> Vec<EnvironmentInterface> {
        svc.compatible_environments()
            .iter()
            .map(|c| {
                self.environments
                    .iter()
                    .find(|e| e.name() == c.name && e.major() == c.major)
                    .map(EnvironmentTemplate::interface)
                    .unwrap_or_else(|| c.clone())
            })
            .collect()
    }

    /// Synthesize every template in memory. All errors of all templates are returned together.
    pub fn synth(&self, opts: &SynthOptions) -> Result<Synthesis, Diagnostics> {
        let mut errors = Vec::new();
        let mut out = Synthesis {
            assembly: Assembly::new(),
            warnings: Vec::new(),
            summaries: Vec::new(),
            proton: Vec::new(),
        };
        let mut seen = std::collections::BTreeSet::new();
        for stack in &self.stacks {
            if !seen.insert(stack.name().to_owned()) {
                errors.push(Diagnostic::error(
                    stack.name(),
                    "two templates have this name; names must be unique",
                ));
                continue;
            }
            match stack.synth(Mode::Plain) {
                Ok(s) => {
                    let file = format!("{}.template.{}", stack.name(), opts.format.extension());
                    let body = match opts.format {
                        Format::Json => to_json_string(&s.template),
                        Format::Yaml => yaml::to_yaml(&s.template),
                    };
                    if let Err(e) = out.assembly.add(file.clone(), body) {
                        errors.push(Diagnostic::error(stack.name(), e));
                    }
                    out.warnings.extend(s.warnings);
                    out.summaries.push(TemplateSummary {
                        name: stack.name().to_owned(),
                        kind: "cloudformation",
                        files: vec![file],
                        stats: s.stats,
                    });
                }
                Err(Diagnostics(d)) => errors.extend(d),
            }
        }
        self.synth_proton(&mut out, &mut errors);
        if errors.iter().any(Diagnostic::is_error) {
            return Err(Diagnostics(errors));
        }
        let manifest = manifest_json(&self.name, &out);
        if let Err(e) = out.assembly.add("manifest.json", manifest) {
            return Err(Diagnostics(vec![Diagnostic::error(&self.name, e)]));
        }
        Ok(out)
    }

    /// Parse the process arguments and run; returns the exit code.
    pub fn run(self) -> i32 {
        self.run_with(std::env::args_os())
    }

    /// Parse `args` (the first item is the program name) and run; returns the exit code.
    pub fn run_with(self, args: impl IntoIterator<Item = OsString>) -> i32 {
        let cli = match Cli::try_parse_from(args) {
            Ok(c) => c,
            Err(e) => {
                let _ = e.print();
                return if e.use_stderr() { 2 } else { 0 };
            }
        };
        match cli.command {
            Command::Synth { out, format } => self.cmd_synth(&out, format),
            Command::List => self.cmd_list(),
            Command::Render(args) => crate::local::run_render(&args),
            Command::Check(args) => crate::local::run_check(&args),
        }
    }

    fn cmd_synth(&self, out: &std::path::Path, format: Format) -> i32 {
        match self.synth(&SynthOptions { format }) {
            Err(Diagnostics(diags)) => {
                let n = diags.iter().filter(|d| d.is_error()).count();
                for d in &diags {
                    eprintln!("{d}");
                }
                eprintln!("synthesis failed with {n} error(s); {} was not changed", out.display());
                1
            }
            Ok(s) => {
                for w in &s.warnings {
                    eprintln!("{w}");
                }
                if let Err(e) = s.assembly.write_atomic(out) {
                    eprintln!("error: writing {}: {e}", out.display());
                    return 1;
                }
                for t in &s.summaries {
                    eprintln!("{}: {}", t.name, stats_line(&t.stats));
                }
                for p in &s.proton {
                    eprintln!(
                        "{}: AWS Proton {} template v{}, {} file(s)",
                        p.output.name,
                        p.output.kind.as_str(),
                        p.output.major,
                        p.files.len()
                    );
                }
                eprintln!("wrote {} file(s) to {}", s.assembly.files().len(), out.display());
                0
            }
        }
    }

    fn cmd_list(&self) -> i32 {
        match self.synth(&SynthOptions::default()) {
            Err(Diagnostics(diags)) => {
                for d in &diags {
                    eprintln!("{d}");
                }
                1
            }
            Ok(s) => {
                for t in &s.summaries {
                    println!("{}\t{}\t{}", t.name, t.kind, stats_line(&t.stats));
                }
                for p in &s.proton {
                    print!("{}", proton_listing(&p.output));
                }
                0
            }
        }
    }
}

fn stats_line(s: &TemplateStats) -> String {
    format!(
        "{} resources, {} parameters, {} outputs, {} mappings, {} bytes",
        s.resources, s.parameters, s.outputs, s.mappings, s.bytes
    )
}

/// The `list` lines of a Proton template: header, inputs, outputs.
pub fn proton_listing(o: &TemplateOutput) -> String {
    let mut s = format!("{}\tproton-{}\tv{}", o.name, o.kind.as_str(), o.major);
    if !o.compatible.is_empty() {
        s.push_str(&format!("\tcompatible: {}", o.compatible.join(", ")));
    }
    s.push('\n');
    for (kind, name, ty) in &o.inputs {
        s.push_str(&format!("  input  {}.inputs.{name}: {ty:?}\n", kind_ns(*kind)));
    }
    for out in &o.outputs {
        s.push_str(&format!("  output {out}\n"));
    }
    s
}

fn kind_ns(k: crate::proton::Kind) -> &'static str {
    match k {
        crate::proton::Kind::Environment => "environment",
        crate::proton::Kind::ServiceInstance => "service_instance",
        crate::proton::Kind::Pipeline => "pipeline",
    }
}

fn manifest_json(app: &str, s: &Synthesis) -> String {
    let templates: Vec<serde_json::Value> = s
        .summaries
        .iter()
        .map(|t| {
            serde_json::json!({
                "name": t.name,
                "kind": t.kind,
                "files": t.files,
                "resources": t.stats.resources,
                "parameters": t.stats.parameters,
                "outputs": t.stats.outputs,
                "bytes": t.stats.bytes,
            })
        })
        .collect();
    let files: Vec<serde_json::Value> = s
        .assembly
        .files()
        .iter()
        .map(|(p, c)| serde_json::json!({ "path": p, "bytes": c.len() }))
        .collect();
    let proton: Vec<serde_json::Value> = s
        .proton
        .iter()
        .map(|p| {
            let o = &p.output;
            serde_json::json!({
                "name": o.name,
                "kind": o.kind.as_str(),
                "major": o.major,
                "inputs": o.inputs.iter().map(|(k, n, t)| serde_json::json!({
                    "namespace": kind_ns(*k), "name": n, "type": format!("{t:?}")
                })).collect::<Vec<_>>(),
                "outputs": o.outputs,
                "compatible_environments": o.compatible,
                "files": p.files,
            })
        })
        .collect();
    to_json_string(&serde_json::json!({ "app": app, "templates": templates, "proton": proton, "files": files }))
}

/// `items.iter().map(f)` on every core (scoped threads, contiguous chunks), results in input order.
fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|c| scope.spawn(|| c.iter().map(&f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    })
}
