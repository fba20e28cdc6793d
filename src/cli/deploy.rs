//! `deploy`, `upgrade` and `status`: progress and tables on stdout, approval questions on the terminal,
//! errors on stderr.

use std::io::{BufRead, IsTerminal, Write};

use crate::deploy::{DeployArgs, StatusArgs, UpgradeArgs};

pub fn run_deploy(args: &DeployArgs) -> i32 {
    report(crate::deploy::deploy(args, Box::new(ask_stdin), &mut std::io::stdout()))
}

pub fn run_upgrade(args: &UpgradeArgs) -> i32 {
    report(crate::deploy::upgrade(
        args,
        Box::new(ask_stdin),
        &mut std::io::stdout(),
    ))
}

pub fn run_status(args: &StatusArgs) -> i32 {
    match crate::deploy::status_table(args) {
        Ok(table) => {
            print!("{table}");
            0
        }
        Err(e) => print_errors(&e),
    }
}

fn report(result: Result<String, Vec<String>>) -> i32 {
    match result {
        Ok(summary) => {
            println!("{summary}");
            0
        }
        Err(e) => print_errors(&e),
    }
}

fn print_errors(errors: &[String]) -> i32 {
    for e in errors {
        eprintln!("{e}");
    }
    1
}

/// Ask on the terminal; refuse when stdin is not one.
fn ask_stdin(question: &str) -> Result<bool, String> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err("stdin is not a terminal, so nobody can approve the change set; pass --yes".to_owned());
    }
    print!("{question}");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the answer: {e}"))?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}
