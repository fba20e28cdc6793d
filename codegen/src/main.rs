//! `cargo run -p proton-synth-codegen [-- --check | --vendor <cfnlint/data/schemas>]`
//!
//! Regenerates `constructs/src/cfn/` (and `src/diff/registry.rs`, the update table of `diff`) from `codegen/services.txt` and the schemas vendored in
//! `constructs/schemas/` (offline). `--vendor` first copies the schemas from an installed cfn-lint package;
//! `--check` writes nothing and fails when the checked-in code is out of date.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<ExitCode, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("no workspace root")?
        .to_path_buf();
    let Some(opts) = parse_args(&root)? else {
        return Ok(ExitCode::SUCCESS);
    };
    let (files, notes) = proton_synth_codegen::generate_with_notes(&root)?;
    if opts.verbose {
        for n in &notes {
            println!("note: {n}");
        }
    }
    let changed = sync(&root, &files, opts.check)?;
    let size: usize = files.values().map(String::len).sum();
    if opts.check {
        if changed > 0 {
            eprintln!("run `cargo run -p proton-synth-codegen` to regenerate");
            return Ok(ExitCode::FAILURE);
        }
        println!("{} files up to date ({size} bytes)", files.len());
    } else {
        println!(
            "{} files, {size} bytes, {changed} changed; {} schema notes (--verbose to list)",
            files.len(),
            notes.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

struct Options {
    /// Write nothing; report what is out of date.
    check: bool,
    /// Print the schema notes.
    verbose: bool,
}

/// The options; `--vendor DIR` vendors the schemas on the way. `None` after `--help`.
fn parse_args(root: &Path) -> Result<Option<Options>, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut opts = Options {
        check: false,
        verbose: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--check" => opts.check = true,
            "--verbose" | "-v" => opts.verbose = true,
            "--vendor" => {
                let dir = it.next().ok_or("--vendor needs the cfnlint/data/schemas directory")?;
                let version = proton_synth_codegen::vendor(root, Path::new(dir))?;
                println!(
                    "vendored schemas from cfn-lint {version} into {}",
                    proton_synth_codegen::SCHEMA_DIR
                );
            }
            "--help" | "-h" => {
                println!(
                    "usage: proton-synth-codegen [--check] [--verbose] [--vendor <site-packages>/cfnlint/data/schemas]"
                );
                return Ok(None);
            }
            other => return Err(format!("unknown argument {other:?} (see --help)")),
        }
    }
    Ok(Some(opts))
}

/// Write the generated `files` that differ from the checked-in ones and remove stale files of the output
/// folder (with `check`, only report them). Returns how many were (or would be) changed.
fn sync(root: &Path, files: &BTreeMap<PathBuf, String>, check: bool) -> Result<usize, String> {
    let out_dir = root.join(proton_synth_codegen::OUT_DIR);
    let stale: Vec<PathBuf> = match fs::read_dir(&out_dir) {
        Ok(rd) => rd
            .filter_map(Result::ok)
            .map(|e| PathBuf::from(proton_synth_codegen::OUT_DIR).join(e.file_name()))
            .filter(|p| !files.contains_key(p))
            .collect(),
        Err(_) => Vec::new(),
    };
    let mut changed = 0;
    for (rel, content) in files {
        let path = root.join(rel);
        if fs::read_to_string(&path).ok().as_deref() != Some(content.as_str()) {
            changed += 1;
            if check {
                eprintln!("out of date: {}", rel.display());
            } else {
                fs::create_dir_all(path.parent().unwrap()).map_err(|e| e.to_string())?;
                fs::write(&path, content).map_err(|e| format!("{}: {e}", path.display()))?;
            }
        }
    }
    for rel in &stale {
        changed += 1;
        if check {
            eprintln!("stale: {}", rel.display());
        } else {
            fs::remove_file(root.join(rel)).map_err(|e| format!("{}: {e}", rel.display()))?;
        }
    }
    Ok(changed)
}
