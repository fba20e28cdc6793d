//! Hostile input to `render` and `check`: FIFOs, devices, huge and sparse files, lying archives, and where
//! diagnostics go (bad specs are in `bad_spec.rs`). Each case must fail fast with our own message (no hang,
//! no unbounded memory, no crate internals). Risky calls run in a child process or on a thread with a deadline, so a hang
//! fails the test instead of stalling it.

mod common;

use std::fs;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{assert_no_leak, copy_dir, gz, messages, mkfifo, samples, tar_header as header, temp_dir};
use proton_synth::engine::{check_bundle, load_bundle};

const DEADLINE: Duration = Duration::from_secs(20);

/// Run `f` on a thread; fail the test if it takes longer than the deadline (a hang).
fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(DEADLINE) {
        Ok(v) => v,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what}: no answer within {DEADLINE:?} (a hang)"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what}: the call panicked"),
    }
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

/// Run the `proton-synth` binary; kill it and fail the test when it outlives the deadline.
fn run(args: &[&str]) -> Run {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_proton-synth"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("proton-synth {args:?} hung (killed after {DEADLINE:?})");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    Run {
        code: status.code(),
        stdout,
        stderr,
        elapsed: start.elapsed(),
    }
}

// ----------------------------------------------------------------------------------------------------------
// FIFOs and devices

#[test]
fn a_fifo_given_as_bundle_spec_context_or_outputs_file_is_refused_at_once() {
    let dir = temp_dir("fifo-args");
    let fifo = dir.join("pipe");
    mkfifo(&fifo);
    let f = fifo.display().to_string();
    let bundle = samples().join("environment").display().to_string();
    let spec = samples().join("specs/env-spec.yaml").display().to_string();
    let out = dir.join("out").display().to_string();
    let fifo_is = |what: &str| {
        format!("error: {f}: {what} is a FIFO (named pipe), not a regular file; give the path of a regular file")
    };

    let r = run(&["check", &f]);
    assert_eq!(r.code, Some(1));
    assert!(
        r.stderr.starts_with(&format!(
            "error: {f}: the bundle is a FIFO (named pipe); expected a folder or a gzip-compressed tar archive (.tar.gz)\n"
        )),
        "{}",
        r.stderr
    );

    let r = run(&["render", &bundle, "--spec", &f, "--out", &out]);
    assert_eq!(r.code, Some(1));
    assert!(r.stderr.starts_with(&(fifo_is("the spec") + "\n")), "{}", r.stderr);

    let r = run(&["render", &bundle, "--spec", &spec, "--context", &f, "--out", &out]);
    assert!(
        r.stderr.starts_with(&(fifo_is("the context file") + "\n")),
        "{}",
        r.stderr
    );

    let env_outputs = format!("Beta={f}");
    let r = run(&[
        "render",
        &bundle,
        "--spec",
        &spec,
        "--env-outputs",
        &env_outputs,
        "--out",
        &out,
    ]);
    assert!(
        r.stderr.starts_with(&(fifo_is("the outputs file") + "\n")),
        "{}",
        r.stderr
    );

    // `outputs_file` in a context file, relative to it.
    let ctx = dir.join("ctx.yaml");
    fs::write(&ctx, "environments:\n  Beta:\n    outputs_file: pipe\n").unwrap();
    let c = ctx.display().to_string();
    let r = run(&["render", &bundle, "--spec", &spec, "--context", &c, "--out", &out]);
    assert!(
        r.stderr.starts_with(&(fifo_is("the outputs file") + "\n")),
        "{}",
        r.stderr
    );
    assert!(!dir.join("out").exists());
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_fifo_inside_a_folder_bundle_is_skipped_or_named_when_needed() {
    let dir = temp_dir("fifo-in-bundle");
    let env = dir.join("environment");
    copy_dir(&samples().join("environment"), &env);
    mkfifo(&env.join("infrastructure/notes.fifo"));
    let shown = env.display().to_string();
    let findings = within("check with an unused FIFO", {
        let env = env.clone();
        move || check_bundle(&load_bundle(&env).unwrap())
    });
    // AWS's sample prints its CIDR inputs without `| tojson`: the guard's warnings are not this test's subject.
    let findings: Vec<_> = findings
        .into_iter()
        .filter(|f| !f.message.contains("is free text printed without"))
        .collect();
    assert_eq!(
        messages(&findings),
        [format!(
            "warning: {shown}/infrastructure/notes.fifo: a FIFO (named pipe), skipped; a bundle holds regular files only"
        )]
    );

    // The manifest's template is a FIFO: named as such.
    let iac = env.join("infrastructure/cloudformation.yaml");
    fs::remove_file(&iac).unwrap();
    mkfifo(&iac);
    let findings = within("check with a FIFO template", {
        let env = env.clone();
        move || check_bundle(&load_bundle(&env).unwrap())
    });
    assert!(
        messages(&findings).contains(&format!(
            "error: {shown}/infrastructure/manifest.yaml:3: names the file `cloudformation.yaml`, which is not in \
             infrastructure/ (it is a FIFO (named pipe); a bundle holds regular files only)"
        )),
        "{findings:?}"
    );

    // The schema is a FIFO.
    let schema = env.join("schema/schema.yaml");
    fs::remove_file(&schema).unwrap();
    mkfifo(&schema);
    let findings = within("check with a FIFO schema", move || {
        check_bundle(&load_bundle(&env).unwrap())
    });
    assert!(
        messages(&findings).contains(&format!(
            "error: {shown}: schema/schema.yaml is missing (it is a FIFO (named pipe); a bundle holds regular files only)"
        )),
        "{findings:?}"
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn dev_zero_as_bundle_spec_or_context_is_refused() {
    let dir = temp_dir("dev-zero");
    let bundle = samples().join("environment").display().to_string();
    let spec = samples().join("specs/env-spec.yaml").display().to_string();
    let out = dir.join("out").display().to_string();
    let r = run(&["check", "/dev/zero"]);
    assert_eq!(r.code, Some(1));
    assert!(
        r.stderr.starts_with(
            "error: /dev/zero: the bundle is a device; expected a folder or a gzip-compressed tar archive (.tar.gz)\n"
        ),
        "{}",
        r.stderr
    );
    let device = |what: &str| {
        format!("error: /dev/zero: {what} is a device, not a regular file; give the path of a regular file\n")
    };
    let r = run(&["render", &bundle, "--spec", "/dev/zero", "--out", &out]);
    assert!(r.stderr.starts_with(&device("the spec")), "{}", r.stderr);
    let r = run(&[
        "render",
        &bundle,
        "--spec",
        &spec,
        "--context",
        "/dev/zero",
        "--out",
        &out,
    ]);
    assert!(r.stderr.starts_with(&device("the context file")), "{}", r.stderr);
    let r = run(&[
        "render",
        &bundle,
        "--spec",
        &spec,
        "--env-outputs",
        "Beta=/dev/zero",
        "--out",
        &out,
    ]);
    assert!(r.stderr.starts_with(&device("the outputs file")), "{}", r.stderr);
    fs::remove_dir_all(&dir).unwrap();
}

// ----------------------------------------------------------------------------------------------------------
// Sizes

/// The largest resident set of any child this test process has waited for, in KiB.
fn children_max_rss_kib() -> i64 {
    // SAFETY: getrusage writes into the zeroed struct it is given.
    unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        assert_eq!(libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage), 0);
        usage.ru_maxrss
    }
}

#[test]
fn a_sparse_2_gib_file_in_a_folder_bundle_is_rejected_without_reading_it() {
    let dir = temp_dir("sparse");
    let env = dir.join("environment");
    copy_dir(&samples().join("environment"), &env);
    let big = fs::File::create(env.join("infrastructure/big.bin")).unwrap();
    big.set_len(2 << 30).unwrap();
    drop(big);
    let shown = env.display().to_string();
    let r = run(&["check", &shown]);
    assert_eq!(r.code, Some(1));
    assert_eq!(
        r.stderr.lines().next().unwrap_or(""),
        format!(
            "error: {shown}: infrastructure/big.bin: the bundle's files add up to more than 64 MiB (this one is \
             2147483648 bytes); this is not a template bundle"
        )
    );
    assert!(r.elapsed < Duration::from_secs(10), "took {:?}", r.elapsed);
    let rss = children_max_rss_kib();
    assert!(rss < 200 * 1024, "a child used {rss} KiB");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_oversized_spec_or_archive_is_refused_before_reading() {
    let dir = temp_dir("big-spec");
    let big = dir.join("big.yaml");
    fs::File::create(&big).unwrap().set_len(3 << 30).unwrap();
    let b = big.display().to_string();
    let bundle = samples().join("environment").display().to_string();
    let out = dir.join("out").display().to_string();
    let r = run(&["render", &bundle, "--spec", &b, "--out", &out]);
    assert!(
        r.stderr.starts_with(&format!(
            "error: {b}: the spec is 3221225472 bytes, more than the 1 MiB this tool reads; check that this is the right file\n"
        )),
        "{}",
        r.stderr
    );
    assert!(r.elapsed < Duration::from_secs(10), "took {:?}", r.elapsed);

    let archive = dir.join("huge.tar.gz");
    fs::File::create(&archive).unwrap().set_len(1 << 30).unwrap();
    let shown = archive.display().to_string();
    let r = run(&["check", &shown]);
    assert!(
        r.stderr.starts_with(&format!(
            "error: {shown}: the archive is larger than the 64 MiB this tool reads; Proton accepts at most 5000000 \
             bytes (5 MB)\n"
        )),
        "{}",
        r.stderr
    );
    assert!(r.elapsed < Duration::from_secs(10), "took {:?}", r.elapsed);
    fs::remove_dir_all(&dir).unwrap();
}

// ----------------------------------------------------------------------------------------------------------
// Archives

fn load_error(archive: &Path) -> Vec<String> {
    let archive = archive.to_path_buf();
    messages(&within("load an archive", move || load_bundle(&archive).unwrap_err()))
}

#[test]
fn archive_entries_lying_about_their_size_are_errors_in_our_words() {
    let dir = temp_dir("lying-tar");
    let a = dir.join("a.tar.gz");
    let shown = a.display().to_string();

    // Claims 4 GiB (a bomb's header): refused before a byte is read.
    let mut blocks = header("schema/schema.yaml", 4 << 30);
    blocks.extend([0u8; 1024]);
    gz(&blocks, &a);
    assert_eq!(
        load_error(&a),
        [format!(
            "error: {shown}: cannot unpack the archive: schema/schema.yaml: the bundle's files add up to more than \
             64 MiB (this one is 4294967296 bytes); this is not a template bundle"
        )]
    );

    // Claims 100,000 bytes but the archive ends after 10.
    let mut blocks = header("schema/schema.yaml", 100_000);
    blocks.extend(b"schema: {}");
    gz(&blocks, &a);
    assert_eq!(
        load_error(&a),
        [format!(
            "error: {shown}: cannot unpack the archive: schema/schema.yaml: the entry header claims 100000 bytes but \
             the archive holds 10; the archive is truncated or corrupt"
        )]
    );

    // Claims 5 bytes but holds 600: the rest is read as a header, which is garbage.
    let mut blocks = header("schema/schema.yaml", 5);
    blocks.extend(vec![b'x'; 600]);
    blocks.resize(blocks.len().div_ceil(512) * 512 + 1024, 0);
    gz(&blocks, &a);
    let e = load_error(&a);
    assert_eq!(
        e,
        [format!(
            "error: {shown}: cannot unpack the archive: an entry header: not a valid tar archive (a corrupt or \
             truncated entry header); re-create it with `tar czf`"
        )]
    );
    assert_no_leak(&e[0]);

    // A FIFO entry is skipped with a warning, and named when the bundle needs it.
    let mut blocks = header("schema/schema.yaml", 0);
    let mut fifo = tar::Header::new_ustar();
    fifo.set_path("schema/pipe").unwrap();
    fifo.set_entry_type(tar::EntryType::Fifo);
    fifo.set_size(0);
    fifo.set_mode(0o644);
    fifo.set_cksum();
    blocks.extend(fifo.as_bytes());
    blocks.extend([0u8; 1024]);
    gz(&blocks, &a);
    let bundle = within("load an archive with a FIFO entry", {
        let a = a.clone();
        move || load_bundle(&a).unwrap()
    });
    assert_eq!(
        messages(&bundle.load_warnings),
        ["warning: schema/pipe: a FIFO or device entry, skipped; a bundle archive holds regular files only"]
    );
    assert_eq!(
        bundle.missing_reason("schema/pipe"),
        " (it is a FIFO or device entry; a bundle holds regular files only)"
    );

    // More entries than any bundle has (folders cost no bytes, but they count).
    let mut blocks = Vec::new();
    for i in 0..10_001 {
        let mut dir = tar::Header::new_ustar();
        dir.set_path(format!("d{i}/")).unwrap();
        dir.set_entry_type(tar::EntryType::Directory);
        dir.set_size(0);
        dir.set_mode(0o755);
        dir.set_cksum();
        blocks.extend(dir.as_bytes());
    }
    blocks.extend([0u8; 1024]);
    gz(&blocks, &a);
    assert_eq!(
        load_error(&a),
        [format!(
            "error: {shown}: cannot unpack the archive: d10000: the bundle has more than 10000 files and folders; \
             this is not a template bundle"
        )]
    );

    // Gzip data cut short.
    let mut blocks = header("schema/schema.yaml", 3);
    blocks.extend(b"a: 1");
    blocks.resize(4096, 0);
    gz(&blocks, &a);
    let bytes = fs::read(&a).unwrap();
    fs::write(&a, &bytes[..bytes.len() - 6]).unwrap();
    let e = load_error(&a);
    assert!(
        e[0].ends_with("the gzip data is corrupt or truncated; re-create the archive with `tar czf`"),
        "{e:?}"
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_prints_findings_and_its_summary_on_stderr() {
    let dir = temp_dir("check-stderr");
    let env = dir.join("environment");
    copy_dir(&samples().join("environment"), &env);
    fs::remove_file(env.join("infrastructure/manifest.yaml")).unwrap();
    let shown = env.display().to_string();
    let r = run(&["check", &shown]);
    assert_eq!(r.code, Some(1));
    assert_eq!(r.stdout, "", "check keeps stdout empty");
    assert_eq!(
        r.stderr,
        format!(
            "error: {shown}/infrastructure: infrastructure/manifest.yaml is missing\n{shown}: 1 error(s), 0 warning(s)\n"
        )
    );
    let r = run(&["check", &samples().join("environment").display().to_string()]);
    assert_eq!((r.code, r.stdout.as_str()), (Some(0), ""));
    // The sample's three free-text CIDR inputs (see tests/guard.rs), and nothing on stdout.
    assert!(r.stderr.ends_with(": ok, 3 warning(s)\n"), "{}", r.stderr);
    fs::remove_dir_all(&dir).unwrap();
}

/// Defect: a missing bundle said only `cannot read the bundle: no such file or folder`, without the
/// `; how to fix` part of every other message.
#[test]
fn a_missing_bundle_says_what_to_give() {
    let dir = temp_dir("missing-bundle");
    let shown = dir.join("nope.tar.gz").display().to_string();
    let r = run(&["check", &shown]);
    assert_eq!(r.code, Some(1));
    assert_eq!(
        r.stderr.lines().next().unwrap_or(""),
        format!(
            "error: {shown}: cannot read the bundle: no such file or folder; give a bundle folder or a .tar.gz \
             archive (e.g. proton-synth.out/proton/bundles/NAME.tar.gz)"
        )
    );
    fs::remove_dir_all(&dir).unwrap();
}
