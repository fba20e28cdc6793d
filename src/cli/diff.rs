//! `diff`: the comparison as text (coloured on a terminal unless `NO_COLOR` is set) or JSON on stdout.

use std::io::{IsTerminal, Write};

use crate::app::App;
use crate::diff::{compare, render_text, to_json, DiffArgs, FailOn, OutputFormat};

/// Run `diff`; prints the result and returns the exit code. `app` is the program (NEW by default with
/// `--against`).
pub fn run_diff(args: &DiffArgs, app: &App) -> i32 {
    match compare(args, app) {
        Ok(diff) => {
            let text = match args.format {
                OutputFormat::Json => serde_json::to_string_pretty(&to_json(&diff)).unwrap_or_default() + "\n",
                OutputFormat::Text => render_text(&diff, use_color()),
            };
            // A closed pipe (`| head`) is the reader's choice, not an error.
            let mut stdout = std::io::stdout().lock();
            if let Err(e) = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    eprintln!(
                        "error: stdout: {}; the diff could not be written",
                        crate::engine::io_words(&e)
                    );
                    return 2;
                }
            }
            let failed = match args.fail_on {
                Some(FailOn::Replace) => diff.has_replacement(),
                Some(FailOn::Breaking) => diff.has_breaking(),
                None => false,
            };
            i32::from(failed)
        }
        Err(errors) => {
            for e in errors {
                eprintln!("error: {e}");
            }
            2
        }
    }
}

fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
