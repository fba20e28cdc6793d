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
//! `synth` builds everything in memory, validates every template, and only then writes the output folder
//! atomically (see [`crate::assembly`]). Exit codes: 0 success, 1 validation errors (all printed), 2 usage.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use proton_synth_constructs::synth::{to_json_string, Mode};
use proton_synth_constructs::{Diagnostic, Diagnostics, Stack, TemplateStats};

use crate::assembly::Assembly;
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
}

/// A program's templates.
#[derive(Debug)]
pub struct App {
    name: String,
    stacks: Vec<Stack>,
}

#[derive(Parser, Debug)]
#[command(name = "proton-synth", version, about = "Synthesize typed CloudFormation / AWS Proton templates")]
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
    /// List the templates of this program with their resource counts.
    List,
}

impl App {
    pub fn new(name: &str) -> Self {
        App {
            name: name.to_owned(),
            stacks: Vec::new(),
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

    /// Synthesize every template in memory. All errors of all templates are returned together.
    pub fn synth(&self, opts: &SynthOptions) -> Result<Synthesis, Diagnostics> {
        let mut errors = Vec::new();
        let mut out = Synthesis {
            assembly: Assembly::new(),
            warnings: Vec::new(),
            summaries: Vec::new(),
        };
        let mut seen = std::collections::BTreeSet::new();
        for stack in &self.stacks {
            if !seen.insert(stack.name().to_owned()) {
                errors.push(Diagnostic::error(stack.name(), "two templates have this name; names must be unique"));
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
    to_json_string(&serde_json::json!({ "app": app, "templates": templates, "files": files }))
}
