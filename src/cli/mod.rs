//! The command line: argument parsing (clap) and every line printed to stdout or stderr. Library code
//! (`app`, `engine`, `proton`, `diff`, `output`) returns values, warnings and errors; this module turns
//! them into output and exit codes (0 success, 1 errors, 2 usage).
//!
//! Arguments are parsed before any template is built: [`run_lazily`] builds the program's templates only
//! for the commands that need them (`synth`, `list`, `diff --against OLD`), so `--help`, `render`, `check`
//! and `diff OLD NEW` start at once, and `list` builds the templates but synthesizes nothing.
//!
//! The option structs of the commands (`engine::RenderArgs`, `diff::DiffArgs`, …) derive `clap::Args` next to
//! the code they configure, as plain data; only this module parses. `deploy`, `status` and `upgrade` get their
//! progress through the writer they are given (stdout here) and their approvals through `ask_stdin`.

#[cfg(feature = "deploy")]
mod deploy;
mod diff;
mod engine;
mod synth;

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::app::{App, Format};

pub use diff::run_diff;
pub use engine::{run_check, run_render};

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
        /// Output folder: missing, empty, or written by proton-synth before (it has a .proton-synth-out file).
        #[arg(long, default_value = "proton-synth.out")]
        out: PathBuf,
        /// Format of plain CloudFormation templates.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
        /// Replace the output folder even if proton-synth did not write it (everything in it is deleted).
        #[arg(long)]
        force: bool,
    },
    /// List the templates of this program (resources; Proton templates: inputs, outputs) without synthesizing.
    List,
    /// Render an AWS Proton template bundle with a spec (as Proton did).
    Render(Box<crate::engine::RenderArgs>),
    /// Check an AWS Proton template bundle statically.
    Check(crate::engine::CheckArgs),
    /// Compare with a previous output: resources added, removed, changed or replaced, exports, Proton schemas.
    Diff(crate::diff::DiffArgs),
    /// Deploy an environment or a service of the deploy file through CloudFormation change sets.
    #[cfg(feature = "deploy")]
    Deploy(Box<crate::deploy::DeployArgs>),
    /// Template version, spec hash and status of every stack of the deploy file.
    #[cfg(feature = "deploy")]
    Status(crate::deploy::StatusArgs),
    /// Re-deploy the stacks that run an older template version than the deploy file names.
    #[cfg(feature = "deploy")]
    Upgrade(crate::deploy::UpgradeArgs),
}

/// Parse the process arguments, build the program's templates with `build` only if the command needs
/// them, and run; returns the exit code. A program's `main`:
/// `std::process::exit(proton_synth::cli::run_lazily(app))`.
pub fn run_lazily(build: impl FnOnce() -> App) -> i32 {
    run_lazily_with(build, std::env::args_os())
}

/// [`run_lazily`] with the arguments given (the first item is the program name).
pub fn run_lazily_with(build: impl FnOnce() -> App, args: impl IntoIterator<Item = OsString>) -> i32 {
    let command = match parse(args) {
        Ok(c) => c,
        Err(code) => return code,
    };
    match command {
        Command::Synth { out, format, force } => synth::synth(&build(), &out, format, force),
        Command::List => synth::list(&build()),
        Command::Diff(args) => {
            // Only `diff --against OLD` (no NEW path) compares this program's synthesis.
            let app = if args.against.is_some() && args.paths.is_empty() {
                build()
            } else {
                App::new("proton-synth")
            };
            run_diff(&args, &app)
        }
        Command::Render(args) => run_render(&args),
        Command::Check(args) => run_check(&args),
        #[cfg(feature = "deploy")]
        Command::Deploy(args) => deploy::run_deploy(&args),
        #[cfg(feature = "deploy")]
        Command::Status(args) => deploy::run_status(&args),
        #[cfg(feature = "deploy")]
        Command::Upgrade(args) => deploy::run_upgrade(&args),
    }
}

/// Parse `args` and run `app`'s command; returns the exit code.
pub fn run_with(app: App, args: impl IntoIterator<Item = OsString>) -> i32 {
    run_lazily_with(move || app, args)
}

/// The command, or the exit code of a usage error (2) or of `--help`/`--version` (0), already printed.
fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, i32> {
    match Cli::try_parse_from(args) {
        Ok(c) => Ok(c.command),
        Err(e) => {
            // Through the print macros rather than `e.print()`, so test harnesses capture it.
            let text = e.render().to_string();
            if e.use_stderr() {
                eprint!("{text}");
                Err(2)
            } else {
                print!("{text}");
                Err(0)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proton_synth_constructs::Expr;

    use super::*;
    use crate::app::{proton_listing, Listing, SynthOptions};
    use crate::proton::{EnvironmentTemplate, InputDef, ServiceTemplate};

    fn args(a: &[&str]) -> Vec<OsString> {
        std::iter::once("prog")
            .chain(a.iter().copied())
            .map(OsString::from)
            .collect()
    }

    fn unbuilt() -> App {
        panic!("this command built the program's templates")
    }

    #[test]
    fn help_check_render_and_diff_of_paths_build_no_template() {
        assert_eq!(run_lazily_with(unbuilt, args(&["--help"])), 0);
        assert_eq!(run_lazily_with(unbuilt, args(&["no-such-command"])), 2);
        assert_eq!(run_lazily_with(unbuilt, args(&["check", "/no/such/bundle"])), 1);
        assert_eq!(run_lazily_with(unbuilt, args(&["diff", "/no/such/a", "/no/such/b"])), 2);
    }

    #[test]
    fn list_shows_without_synthesis_what_synthesis_reports() {
        let mut env = EnvironmentTemplate::new("env");
        let cidr = env.input(InputDef::string("cidr").default("10.0.0.0/16"));
        let props = Expr::Map(
            [("CidrBlock".to_owned(), cidr.value().into_expr())]
                .into_iter()
                .collect(),
        );
        let vpc = env.root().add_untyped("Vpc", "AWS::EC2::VPC", props);
        env.output("VpcId", vpc.r#ref());
        let mut svc = ServiceTemplate::new("svc", &[env.interface()]);
        let name = svc.instance_input(InputDef::string("name").default("n"));
        let props = Expr::Map([("Value".to_owned(), name.value().into_expr())].into_iter().collect());
        svc.instance().add_untyped("P", "AWS::SSM::Parameter", props);
        let mut app = App::new("a");
        app.add_environment(env);
        app.add_service(svc);
        let listed: Vec<String> = app
            .listing()
            .into_iter()
            .map(|l| match l {
                Listing::Proton(p) => p.to_text(),
                Listing::Stack { name, .. } | Listing::Component { name, .. } => name,
            })
            .collect();
        let synth = app.synth(&SynthOptions::default()).expect("synthesizes");
        let reported: Vec<String> = synth.proton.iter().map(|p| proton_listing(&p.output)).collect();
        assert_eq!(listed, reported);
        assert!(listed[1].contains("compatible: env:1") && listed[1].contains("service_instance.inputs.name"));
    }
}
