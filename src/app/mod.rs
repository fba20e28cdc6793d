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
//! proton/cloudformation/<name>.pipeline.template.json  plain CloudFormation (pipelines, for one instance)
//! proton/components/<name>/{manifest,cloudformation}.yaml  directly defined components (App::add_component)
//! proton/cloudformation/<name>.component.template.json plain CloudFormation (components)
//! ```
//!
//! Customer-managed environment templates ([`App::add_customer_managed_environment`]) get the bundle
//! (schema only), its archive, template-sync copy and sample spec, and no plain template.
//!
//! `synth` synthesizes and checks the templates on every core and streams each one's files into a temporary
//! folder beside the output folder ([`App::write`]); only when every template succeeded is that folder swapped
//! with the output, so a failed run leaves the previous output untouched (and only a folder proton-synth
//! wrote, or an empty one, is ever replaced: see [`crate::output`]) and memory stays flat however many
//! templates there are (templates added with [`App::add_service_with`] are even built on demand and dropped
//! once written). [`App::synth`] does the same in memory. Exit codes: 0 success, 1 validation errors (all
//! printed) or a refused output folder, 2 usage.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use clap::ValueEnum;
use proton_synth_constructs::{Diagnostic, Diagnostics, Stack, TemplateStats};

use crate::assembly::{Assembly, MemorySink, Sink, StagingDir};
use crate::proton::{
    ComponentTemplate, CustomerManagedEnvironmentTemplate, EnvironmentInterface, EnvironmentTemplate, ServiceTemplate,
    SpecSettings, TemplateOutput,
};
use crate::yaml;

mod listing;

use listing::manifest_json;
pub use listing::{proton_listing, Listing, ProtonListing};

/// Output format of plain CloudFormation templates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    #[default]
    Json,
    Yaml,
}

impl Format {
    pub fn extension(self) -> &'static str {
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

/// What a synthesis run reports besides its files (see [`App::synth_to`]).
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub warnings: Vec<Diagnostic>,
    pub summaries: Vec<TemplateSummary>,
    /// AWS Proton templates, with the files written for each (their `output` without archive and specs).
    pub proton: Vec<ProtonSummary>,
    /// Every file written, `manifest.json` included: relative path → size in bytes.
    pub files: BTreeMap<String, usize>,
}

/// What `list` prints and `manifest.json` records for an AWS Proton template.
#[derive(Clone, Debug)]
pub struct ProtonSummary {
    /// The template's synthesis, without its `bundle` files and `plain` templates, which went to the sink
    /// (under `files`). [`App::synth`] keeps the archive and specs here too; [`App::synth_to`] and
    /// [`App::write`] do not (they are in the sink).
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
    customer_managed: Vec<CustomerManagedEnvironmentTemplate>,
    services: Vec<ServiceSource>,
    components: Vec<ComponentTemplate>,
    spec_settings: SpecSettings,
}

type ServiceBuilder = Box<dyn Fn() -> ServiceTemplate + Send + Sync>;

/// A service template, built up front or on demand.
enum ServiceSource {
    Built(Box<ServiceTemplate>),
    Deferred(ServiceBuilder),
}

impl std::fmt::Debug for ServiceSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServiceSource::Built(s) => f.debug_tuple("Built").field(&s.name()).finish(),
            ServiceSource::Deferred(_) => f.write_str("Deferred"),
        }
    }
}

impl App {
    pub fn new(name: &str) -> Self {
        App {
            name: name.to_owned(),
            stacks: Vec::new(),
            environments: Vec::new(),
            customer_managed: Vec::new(),
            services: Vec::new(),
            components: Vec::new(),
            spec_settings: SpecSettings::default(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the program has any template (`diff --against` needs one to synthesize).
    pub fn has_templates(&self) -> bool {
        !(self.stacks.is_empty()
            && self.environments.is_empty()
            && self.customer_managed.is_empty()
            && self.services.is_empty()
            && self.components.is_empty())
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

    /// Add an AWS Proton customer-managed environment template (schema only; see
    /// [`CustomerManagedEnvironmentTemplate`]). Services compatible with it are checked against its outputs.
    pub fn add_customer_managed_environment(&mut self, env: CustomerManagedEnvironmentTemplate) -> &mut Self {
        self.customer_managed.push(env);
        self
    }

    /// Add a directly defined AWS Proton component (see [`ComponentTemplate`]), written to
    /// `proton/components/<name>/` and `proton/cloudformation/<name>.component.template.json`.
    pub fn add_component(&mut self, component: ComponentTemplate) -> &mut Self {
        self.components.push(component);
        self
    }

    /// Add an AWS Proton service template. Its environment contract is checked against the environment
    /// templates of this app with the same name and major version (or against the declared
    /// [`EnvironmentInterface`] for environment templates defined elsewhere).
    pub fn add_service(&mut self, svc: ServiceTemplate) -> &mut Self {
        self.services.push(ServiceSource::Built(Box::new(svc)));
        self
    }

    /// Add an AWS Proton service template built on demand, on a synthesis thread, and dropped once its files
    /// are written: for programs with many templates (a platform's whole catalog, generated from data), memory
    /// then holds only the templates in flight. `build` runs once per synthesis (`synth`, `list`).
    pub fn add_service_with(&mut self, build: impl Fn() -> ServiceTemplate + Send + Sync + 'static) -> &mut Self {
        self.services.push(ServiceSource::Deferred(Box::new(build)));
        self
    }

    /// Environment name and instance counts of the generated sample service specs.
    pub fn set_spec_settings(&mut self, settings: SpecSettings) -> &mut Self {
        self.spec_settings = settings;
        self
    }

    /// Synthesize the AWS Proton templates into `out`.
    /// Synthesize, check and emit every AWS Proton template, on every core; each worker puts its template's
    /// files into `sink` as soon as they are ready.
    fn synth_proton(&self, sink: &dyn Sink, keep: bool, report: &mut Report, errors: &mut Vec<Diagnostic>) {
        enum Job<'a> {
            Env(&'a EnvironmentTemplate),
            Managed(&'a CustomerManagedEnvironmentTemplate),
            Svc(&'a ServiceSource),
        }
        let jobs: Vec<Job<'_>> = self
            .environments
            .iter()
            .map(Job::Env)
            .chain(self.customer_managed.iter().map(Job::Managed))
            .chain(self.services.iter().map(Job::Svc))
            .collect();
        let names = Mutex::new(BTreeSet::new());
        let results = par_map(&jobs, |job| {
            let built;
            let o = match job {
                Job::Env(env) => env.synth(&self.spec_settings)?,
                Job::Managed(env) => env.synth(&self.spec_settings)?,
                Job::Svc(source) => {
                    let svc = match source {
                        ServiceSource::Built(s) => s,
                        ServiceSource::Deferred(build) => {
                            built = build();
                            &built
                        }
                    };
                    svc.synth(&self.spec_settings, Some(&self.compatible_of(svc)))?
                }
            };
            if !names.lock().unwrap_or_else(|p| p.into_inner()).insert(o.name.clone()) {
                return Err(Diagnostics(vec![Diagnostic::error(
                    &o.name,
                    "two Proton templates have this name; names must be unique",
                )]));
            }
            // The checker's verdict on the bundle, from the typed schema; its errors fail synthesis.
            let findings = o.self_check();
            if !findings.is_empty() {
                return Err(Diagnostics(findings));
            }
            Ok(emit_proton(o, sink, keep))
        });
        // The file list is built in one go: sorting the ~11 files of each of 1,000 templates and building the
        // map from the sorted run costs less than inserting them one by one (this part runs on one thread).
        let mut files: Vec<(String, usize)> = std::mem::take(&mut report.files).into_iter().collect();
        for result in results {
            match result {
                Ok((summary, written, put_errors)) => {
                    errors.extend(put_errors);
                    files.extend(written);
                    report.warnings.extend(summary.output.warnings.iter().cloned());
                    report.proton.push(summary);
                }
                Err(Diagnostics(d)) => errors.extend(d),
            }
        }
        // `from_iter` sorts stably and keeps the last of equal paths, as inserting in this order would.
        report.files = files.into_iter().collect();
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
                    .or_else(|| {
                        self.customer_managed
                            .iter()
                            .find(|e| e.name() == c.name && e.major() == c.major)
                            .map(CustomerManagedEnvironmentTemplate::interface)
                    })
                    .unwrap_or_else(|| c.clone())
            })
            .collect()
    }

    /// Synthesize every template into `sink`, then `manifest.json`. All errors of all templates are returned
    /// together; files already put are the caller's to discard then ([`StagingDir`] does on drop).
    pub fn synth_to(&self, opts: &SynthOptions, sink: &dyn Sink) -> Result<Report, Diagnostics> {
        self.synth_into(opts, sink, false)
    }

    fn synth_into(&self, opts: &SynthOptions, sink: &dyn Sink, keep: bool) -> Result<Report, Diagnostics> {
        let mut errors = Vec::new();
        let mut report = Report::default();
        let mut seen = BTreeSet::new();
        for stack in &self.stacks {
            if !seen.insert(stack.name().to_owned()) {
                errors.push(Diagnostic::error(
                    stack.name(),
                    "two templates have this name; names must be unique",
                ));
                continue;
            }
            match stack.synth() {
                Ok(s) => {
                    let file = format!("{}.template.{}", stack.name(), opts.format.extension());
                    let body = match opts.format {
                        Format::Json => s.to_json_string(),
                        Format::Yaml => yaml::to_yaml(&s.template),
                    };
                    report.files.insert(file.clone(), body.len());
                    if let Err(e) = sink.put(file.clone(), body.into_bytes()) {
                        errors.push(Diagnostic::error(stack.name(), e));
                    }
                    report.warnings.extend(s.warnings);
                    report.summaries.push(TemplateSummary {
                        name: stack.name().to_owned(),
                        kind: "cloudformation",
                        files: vec![file],
                        stats: s.stats,
                    });
                }
                Err(Diagnostics(d)) => errors.extend(d),
            }
        }
        self.synth_proton(sink, keep, &mut report, &mut errors);
        for c in &self.components {
            match crate::proton::component::emit_component(c, sink) {
                Ok((out, written)) => {
                    report.warnings.extend(out.warnings);
                    report.summaries.push(TemplateSummary {
                        name: out.name,
                        kind: "proton-component",
                        files: written.iter().map(|(p, _)| p.clone()).collect(),
                        stats: out.stats,
                    });
                    report.files.extend(written);
                }
                Err(Diagnostics(d)) => errors.extend(d),
            }
        }
        if errors.iter().any(Diagnostic::is_error) {
            return Err(Diagnostics(errors));
        }
        let manifest = manifest_json(&self.name, &report);
        report.files.insert("manifest.json".to_owned(), manifest.len());
        if let Err(e) = sink.put("manifest.json".to_owned(), manifest.into_bytes()) {
            return Err(Diagnostics(vec![Diagnostic::error(&self.name, e)]));
        }
        Ok(report)
    }

    /// Synthesize every template in memory (files in [`Synthesis::assembly`]). All errors of all templates are
    /// returned together.
    pub fn synth(&self, opts: &SynthOptions) -> Result<Synthesis, Diagnostics> {
        let sink = MemorySink::new();
        let report = self.synth_into(opts, &sink, true)?;
        Ok(Synthesis {
            assembly: sink.into_assembly(),
            warnings: report.warnings,
            summaries: report.summaries,
            proton: report.proton,
        })
    }

    /// Synthesize every template into the folder `out`, streaming files into a temporary folder beside it that
    /// replaces `out` only when every template succeeded (`out` is untouched otherwise). Errors writing files
    /// are diagnostics too.
    /// `out` must be missing, empty or a folder proton-synth wrote ([`crate::output`]).
    pub fn write(&self, out: &Path, opts: &SynthOptions) -> Result<Report, Diagnostics> {
        let output_error =
            |e: crate::output::OutputError| Diagnostics(vec![Diagnostic::error(&self.name, e.to_string())]);
        let staging = StagingDir::new(out).map_err(output_error)?;
        self.write_staged(staging, opts)
    }

    /// [`App::write`] into an output folder already opened (checked and locked) with [`StagingDir::open`].
    pub fn write_staged(&self, staging: StagingDir, opts: &SynthOptions) -> Result<Report, Diagnostics> {
        let report = self.synth_to(opts, &staging)?;
        staging
            .commit()
            .map_err(|e| Diagnostics(vec![Diagnostic::error(&self.name, e.to_string())]))?;
        Ok(report)
    }

    /// Parse the process arguments and run; returns the exit code (see [`crate::cli`]). The templates are
    /// already built; [`crate::cli::run_lazily`] builds them only for the commands that need them.
    pub fn run(self) -> i32 {
        self.run_with(std::env::args_os())
    }

    /// Parse `args` (the first item is the program name) and run; returns the exit code.
    pub fn run_with(self, args: impl IntoIterator<Item = OsString>) -> i32 {
        crate::cli::run_with(self, args)
    }
}

/// Output paths and sizes of one template, and errors storing them.
type Emitted = (ProtonSummary, Vec<(String, usize)>, Vec<Diagnostic>);

/// Put a template's files into the sink: the bundle folder, its template-sync copy, the archive, the specs and
/// the plain templates. `keep`: leave the archive and specs in the summary too.
fn emit_proton(mut o: TemplateOutput, sink: &dyn Sink, keep: bool) -> Emitted {
    let mut written = Vec::new();
    let mut errors = Vec::new();
    let name = o.name.clone();
    // `copy_of`: a file put before with the same contents.
    let mut put_as = |path: String, body: Vec<u8>, copy_of: Option<&str>| {
        written.push((path.clone(), body.len()));
        let stored = match copy_of {
            Some(original) => sink.put_copy(path, original, body),
            None => sink.put(path, body),
        };
        if let Err(e) = stored {
            errors.push(Diagnostic::error(&name, e));
        }
    };
    for (rel, body) in std::mem::take(&mut o.bundle) {
        let bundle_file = format!("proton/bundles/{}/{rel}", o.name);
        put_as(bundle_file.clone(), body.clone(), None);
        put_as(
            format!("proton/template-sync/{}/v{}/{rel}", o.name, o.major),
            body,
            Some(&bundle_file),
        );
    }
    let mut put = |path: String, body: Vec<u8>| put_as(path, body, None);
    if let Some(reg) = &o.registration {
        put(
            format!(
                "proton/template-sync/{}/v{}/.template-registration.yaml",
                o.name, o.major
            ),
            reg.clone().into_bytes(),
        );
    }
    let tar_gz = if keep {
        o.tar_gz.clone()
    } else {
        std::mem::take(&mut o.tar_gz)
    };
    put(format!("proton/bundles/{}.tar.gz", o.name), tar_gz);
    let specs = if keep {
        o.specs.clone()
    } else {
        std::mem::take(&mut o.specs)
    };
    for (file, body) in specs {
        put(format!("proton/specs/{file}"), body.into_bytes());
    }
    for (file, template) in std::mem::take(&mut o.plain) {
        put(format!("proton/cloudformation/{file}"), template.into_bytes());
    }
    let files = written.iter().map(|(path, _)| path.clone()).collect();
    (ProtonSummary { output: o, files }, written, errors)
}

/// `items.iter().map(f)` on every core, results in input order: the calling thread and one spawned thread per
/// other core take the next item from a shared counter, so uneven items (an environment beside small
/// services) keep every core busy. Even two templates are worth a thread: on this VM's ext4 the files of each
/// cost as much kernel time as their synthesis, and the wall time of `synth --out` was lower with the thread
/// (measured against the calling thread alone; ARCHITECTURE.md, "Performance").
fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut mine = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else { break };
            mine.push((i, f(item)));
        }
        mine
    };
    let mut out: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mut out = work();
        for h in handles {
            out.extend(h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
        }
        out
    });
    out.sort_unstable_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, r)| r).collect()
}
