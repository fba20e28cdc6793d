//! `check` and `render`: findings on stderr as `error: FILE:LINE: what[; how to fix]`, the files written on
//! stdout, a one-line summary; exit code 1 when any finding is an error.

use crate::engine::{check_bundle_at, render_to_dir, CheckArgs, RenderArgs};

/// Run `check`; prints every finding and a one-line summary on stderr (as `render` and `synth` print
/// theirs) and returns the exit code (1 when any finding is an error).
pub fn run_check(args: &CheckArgs) -> i32 {
    let findings = check_bundle_at(&args.bundle);
    for f in &findings {
        eprintln!("{f}");
    }
    let errors = findings.iter().filter(|f| f.is_error()).count();
    let warnings = findings.len() - errors;
    if errors > 0 {
        eprintln!("{}: {errors} error(s), {warnings} warning(s)", args.bundle.display());
        1
    } else {
        eprintln!("{}: ok, {warnings} warning(s)", args.bundle.display());
        0
    }
}

/// Run `render`; prints findings and the files written, returns the exit code.
pub fn run_render(args: &RenderArgs) -> i32 {
    let mut notes = Vec::new();
    let result = render_to_dir(args, &mut notes);
    for note in &notes {
        eprintln!("note: {note}");
    }
    match result {
        Ok((written, warnings)) => {
            for w in &warnings {
                eprintln!("{w}");
            }
            for name in &written {
                println!("{}", args.out.join(name).display());
            }
            0
        }
        Err(findings) => {
            for f in &findings {
                eprintln!("{f}");
            }
            let n = findings.iter().filter(|f| f.is_error()).count();
            eprintln!(
                "render failed with {n} error(s); {} was not changed",
                args.out.display()
            );
            1
        }
    }
}
