//! `synth` and `list`: what they print.

use std::path::Path;

use proton_synth_constructs::{Diagnostics, TemplateStats};

use crate::app::{App, Format, Listing, SynthOptions};
use crate::assembly::StagingDir;
use crate::output::OutputOptions;

/// `synth --out DIR`: problems and warnings on stderr, then one line per template and the file count.
pub(super) fn synth(app: &App, out: &Path, format: Format, force: bool) -> i32 {
    if !app.has_templates() {
        eprintln!(
            "error: {}: this program defines no templates, so there is nothing to synthesize; add them with \
             App::add_stack, add_environment or add_service (the proton-synth binary itself only renders and \
             checks bundles: `proton-synth render`, `proton-synth check`)",
            app.name()
        );
        return 1;
    }
    let options = OutputOptions {
        force,
        ..OutputOptions::default()
    };
    let staging = match StagingDir::open(out, &options) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    for note in staging.notes() {
        eprintln!("note: {note}");
    }
    match app.write_staged(staging, &SynthOptions { format }) {
        Err(Diagnostics(diags)) => {
            let n = diags.iter().filter(|d| d.is_error()).count();
            for d in &diags {
                eprintln!("{d}");
            }
            eprintln!("synthesis failed with {n} error(s); {} was not changed", out.display());
            1
        }
        Ok(r) => {
            for w in &r.warnings {
                eprintln!("{w}");
            }
            for t in &r.summaries {
                eprintln!("{}: {}", t.name, stats_line(&t.stats));
            }
            for p in &r.proton {
                eprintln!(
                    "{}: AWS Proton {} template v{}, {} file(s)",
                    p.output.name,
                    p.output.kind.as_str(),
                    p.output.major,
                    p.files.len()
                );
            }
            eprintln!("wrote {} file(s) to {}", r.files.len(), out.display());
            0
        }
    }
}

/// `list`: one line per plain template, and each Proton template's interface, from the declarations alone.
pub(super) fn list(app: &App) -> i32 {
    for l in app.listing() {
        match l {
            Listing::Stack { name, resources } => println!("{name}\tcloudformation\t{resources} resources"),
            Listing::Proton(p) => print!("{}", p.to_text()),
            Listing::Component {
                name,
                resources,
                outputs,
            } => {
                println!("{name}\tproton-component\t{resources} resources");
                for o in outputs {
                    println!("  output {o}");
                }
            }
        }
    }
    0
}

fn stats_line(s: &TemplateStats) -> String {
    format!(
        "{} resources, {} parameters, {} outputs, {} mappings, {} bytes",
        s.resources, s.parameters, s.outputs, s.mappings, s.bytes
    )
}
