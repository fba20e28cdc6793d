//! A small mutation fuzzer that runs on stable Rust without dependencies: replay a corpus, then mutate its
//! entries (bit flips, interesting bytes, dictionary tokens, deletions, duplications, bounded repeats,
//! splices between entries, line shuffles) for a bounded number of iterations or seconds. Every input runs on
//! a worker thread under `catch_unwind`, with a timeout; a panic or a hang is a failure whose input is
//! written to `target/fuzz-failures/<target>/` so it can be added to the corpus.
//!
//! Settings (environment): `FUZZ_SEED` (default fixed, so CI runs the same inputs), `FUZZ_ITERATIONS`,
//! `FUZZ_SECONDS` (whichever ends first), `FUZZ_TIMEOUT_SECS` (per input, default 10), `FUZZ_MAX_LEN`
//! (bytes, default 65536), `FUZZ_TRACE=1` (write every input to `last-input.bin` before running it, to find
//! the input of a crash that aborts the process), `FUZZ_HOSTILE=0` (leave the renderer-bomb tokens
//! out of the dictionary: loops over huge ranges, string doubling, runaway recursion; in by default since the
//! renderer has fuel, recursion, output and time limits).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Derives more seeds from a corpus.
pub type DeriveSeeds = fn(&[Vec<u8>]) -> Vec<Vec<u8>>;

/// A fuzz target: a name, its corpus folder below `tests/fuzz/corpus/`, the function under test, and
/// optionally a function deriving more seeds from the corpus (e.g. archives built from file sets).
pub struct Target {
    pub name: &'static str,
    pub corpus: &'static str,
    pub run: fn(&[u8]),
    pub derive_seeds: Option<DeriveSeeds>,
    /// Iterations when `FUZZ_ITERATIONS` is not set (sized so `cargo test` stays fast in debug builds).
    pub default_iterations: u64,
}

/// Tokens inserted by the mutator: YAML, JSON and Jinja syntax, CloudFormation tags, bounded sizes only.
const DICTIONARY: &[&str] = &[
    "{{",
    "}}",
    "{%",
    "%}",
    "{#",
    "#}",
    "{{ ",
    " }}",
    "{%- ",
    " -%}",
    ": ",
    ":",
    "\n- ",
    "- ",
    "\n",
    "\r\n",
    "\t",
    "  ",
    "!Ref ",
    "!GetAtt ",
    "!Sub ",
    "!Join ",
    "!If ",
    "!!str ",
    "!!binary ",
    "!<tag:x> ",
    "&a ",
    "*a",
    "<<: *a\n",
    "---\n",
    "...\n",
    "%YAML 1.2\n",
    "? ",
    "|\n  ",
    ">-\n  ",
    "'",
    "\"",
    "\\",
    "\\u0000",
    "[",
    "]",
    "{",
    "}",
    ",",
    "#",
    "~",
    "null",
    "true",
    "on",
    "0x1F",
    "-0",
    "1e999",
    ".nan",
    "-.inf",
    "\u{feff}",
    "\u{0}",
    "é",
    "\u{2028}",
    "{% if x %}",
    "{% else %}",
    "{% endif %}",
    "{% for i in x %}",
    "{% endfor %}",
    "{% raw %}",
    "{% endraw %}",
    "{% set x = 1 %}",
    "{% macro m() %}",
    "{% endmacro %}",
    "{{ m() }}",
    "{{ x | tojson }}",
    "| default(1)",
    "| truncate(3)",
    "| lower",
    "| join(',')",
    "| list",
    "{{ loop.index }}",
    "environment.inputs.",
    "environment.outputs.",
    "service_instance.inputs.",
    "pipeline.inputs.",
    "service_instances",
    "service.name",
    "{{ environment.name }}",
    "proton: EnvironmentSpec\n",
    "proton: ServiceSpec\n",
    "spec:\n  ",
    "instances:\n  - name: i\n    environment: Beta\n",
    "schema:\n  format:\n    openapi: \"3.0.0\"\n",
    "type: string\n",
    "type: number\n",
    "type: array\n",
    "type: object\n",
    "pattern: \"(a+)+$\"\n",
    "minimum: 1e308\n",
    "default: [1, {a: b}]\n",
    "required: [x]\n",
    "$ref: '#/x'\n",
    "templates:\n  - file: cloudformation.yaml\n    rendering_engine: jinja\n    template_language: cloudformation\n",
];

/// Tokens that would make a renderer without limits loop for a long time or allocate without bound; in the
/// dictionary unless `FUZZ_HOSTILE=0` (the render limits of `engine/jinja.rs` stop each in well under a second).
const HOSTILE: &[&str] = &[
    "{% for i in range(100000000) %}",
    "{% set x = x ~ x %}",
    "{{ 'ab' * 100000000 }}",
    "{% for a in range(99999) %}{% for b in range(99999) %}",
    "{% macro r() %}{{ r() }}{% endmacro %}{{ r() }}",
];

pub struct Settings {
    pub seed: u64,
    pub iterations: u64,
    pub seconds: f64,
    pub timeout: Duration,
    pub max_len: usize,
    pub trace: bool,
    pub hostile: bool,
}

fn env_num<T: std::str::FromStr>(name: &str) -> Option<T> {
    let raw = std::env::var(name).ok()?;
    Some(
        raw.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={raw:?} is not a number")),
    )
}

impl Settings {
    pub fn from_env(default_iterations: u64) -> Settings {
        Settings {
            seed: env_num("FUZZ_SEED").unwrap_or(0x70_72_6f_74_6f_6e),
            iterations: env_num("FUZZ_ITERATIONS").unwrap_or(default_iterations),
            // Only a guard for a very slow machine: a default run ends after its iterations (a fixed set of inputs,
            // ~11 s for all targets in debug on 2 loaded cores), so CI replays the same inputs every time.
            seconds: env_num("FUZZ_SECONDS").unwrap_or(15.0),
            timeout: Duration::from_secs_f64(env_num("FUZZ_TIMEOUT_SECS").unwrap_or(10.0)),
            max_len: env_num("FUZZ_MAX_LEN").unwrap_or(1 << 16),
            trace: std::env::var_os("FUZZ_TRACE").is_some_and(|v| v != "0"),
            hostile: std::env::var_os("FUZZ_HOSTILE").is_none_or(|v| v != "0"),
        }
    }
}

/// SplitMix64: tiny, seedable, good enough to drive mutations.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// FNV-1a, to name failure files and derive per-target seeds.
pub fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

struct Mutator<'a> {
    rng: Rng,
    corpus: &'a [Vec<u8>],
    dictionary: Vec<&'static str>,
    max_len: usize,
}

impl Mutator<'_> {
    /// A mutant of `base`: one to four stacked mutations, at most `max_len` bytes.
    fn mutate(&mut self, base: &[u8]) -> Vec<u8> {
        let mut data = base.to_vec();
        for _ in 0..1 + self.rng.below(4) {
            self.mutate_once(&mut data);
        }
        data.truncate(self.max_len);
        data
    }

    fn mutate_once(&mut self, data: &mut Vec<u8>) {
        let pos = self.rng.below(data.len() + 1);
        let at = pos.min(data.len().saturating_sub(1));
        match self.rng.below(10) {
            0 if !data.is_empty() => data[at] ^= 1 << self.rng.below(8),
            1 if !data.is_empty() => {
                const INTERESTING: &[u8] = b"\0\xff\n\r\t :{}[]-#'\"\\%!&*|>?,";
                data[at] = INTERESTING[self.rng.below(INTERESTING.len())];
            }
            2 | 3 => {
                let pos = if self.rng.below(2) == 0 {
                    self.line_start(data, pos)
                } else {
                    pos
                };
                let token = self.dictionary[self.rng.below(self.dictionary.len())];
                data.splice(pos..pos, token.bytes());
            }
            4 if !data.is_empty() => {
                let len = 1 + self.rng.below(64.min(data.len()));
                let start = self.rng.below(data.len() - len + 1);
                data.drain(start..start + len);
            }
            5 if !data.is_empty() => {
                let len = 1 + self.rng.below(256.min(data.len()));
                let start = self.rng.below(data.len() - len + 1);
                let chunk = data[start..start + len].to_vec();
                data.splice(pos..pos, chunk);
            }
            6 => {
                let token = self.dictionary[self.rng.below(self.dictionary.len())];
                let times = 2 + self.rng.below(63);
                let repeated = token.repeat(times);
                data.splice(pos..pos, repeated.bytes().take(self.max_len / 4));
            }
            7 => self.splice(data, pos),
            8 => self.swap_lines(data),
            _ if !data.is_empty() && self.rng.below(4) == 0 => data.truncate(pos),
            _ => {
                let token = self.dictionary[self.rng.below(self.dictionary.len())];
                data.splice(pos..pos, token.bytes());
            }
        }
    }

    fn line_start(&self, data: &[u8], pos: usize) -> usize {
        data[..pos].iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1)
    }

    /// Insert a chunk of another corpus entry, or replace the tail with another entry's tail.
    fn splice(&mut self, data: &mut Vec<u8>, pos: usize) {
        let other = &self.corpus[self.rng.below(self.corpus.len())];
        if other.is_empty() {
            return;
        }
        let start = self.rng.below(other.len());
        let len = 1 + self.rng.below((other.len() - start).min(512));
        if self.rng.below(2) == 0 {
            data.splice(pos..pos, other[start..start + len].iter().copied());
        } else {
            data.truncate(pos);
            data.extend_from_slice(&other[start..]);
        }
    }

    fn swap_lines(&mut self, data: &mut Vec<u8>) {
        let mut lines: Vec<Vec<u8>> = data.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
        if lines.len() < 2 {
            return;
        }
        let (a, b) = (self.rng.below(lines.len()), self.rng.below(lines.len()));
        match self.rng.below(3) {
            0 => lines.swap(a, b),
            1 => {
                let line = lines[a].clone();
                lines.insert(b, line);
            }
            _ => {
                lines.remove(a);
            }
        }
        *data = lines.join(&b'\n');
    }
}

enum Outcome {
    Ok,
    Panic(String),
    Hang,
}

/// Run one input on a worker thread with the CLI main thread's usual stack (8 MiB), so recursion that would
/// overflow the command line's stack overflows here too.
fn execute(name: &str, run: fn(&[u8]), input: &[u8], timeout: Duration) -> Outcome {
    let (tx, rx) = mpsc::channel();
    let data = input.to_vec();
    let spawned = std::thread::Builder::new()
        .name(format!("fuzz-{name}"))
        .stack_size(8 << 20)
        .spawn(move || {
            let result = catch_unwind(AssertUnwindSafe(|| run(&data)));
            let _ = tx.send(result.map_err(|p| panic_message(p.as_ref())));
        })
        .expect("spawn a fuzz worker");
    match rx.recv_timeout(timeout) {
        Ok(Ok(())) => {
            let _ = spawned.join();
            Outcome::Ok
        }
        Ok(Err(message)) => {
            let _ = spawned.join();
            Outcome::Panic(message)
        }
        // The worker is stuck (or died without sending): leave it; the test fails.
        Err(_) => Outcome::Hang,
    }
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic with a non-string payload".to_owned())
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The corpus entries of a target, sorted by file name (deterministic order).
fn load_corpus(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut entries: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("corpus folder {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| {
            let bytes = std::fs::read(e.path()).expect("a readable corpus file");
            (e.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect();
    entries.sort();
    entries
}

fn failure_dir(target: &str) -> PathBuf {
    root().join("target/fuzz-failures").join(target)
}

/// Save a failing input; returns where.
fn save_failure(target: &str, input: &[u8]) -> PathBuf {
    let dir = failure_dir(target);
    std::fs::create_dir_all(&dir).expect("create target/fuzz-failures");
    let path = dir.join(format!("{:016x}.bin", fnv(input)));
    std::fs::write(&path, input).expect("write a failing input");
    path
}

/// Replay the target's corpus, then fuzz it; panics (failing the test) listing every failing input.
pub fn fuzz(target: &Target) {
    let corpus_dir = root().join("tests/fuzz/corpus").join(target.corpus);
    let named = load_corpus(&corpus_dir);
    assert!(!named.is_empty(), "no corpus in {}", corpus_dir.display());
    let mut corpus: Vec<Vec<u8>> = named.into_iter().map(|(_, b)| b).collect();
    if let Some(derive) = target.derive_seeds {
        let derived = derive(&corpus);
        corpus.extend(derived);
    }
    let failures = run(target, &corpus, &Settings::from_env(target.default_iterations));
    let failures: Vec<String> = failures
        .iter()
        .map(|(what, path)| {
            format!(
                "{what}\n  input: {} (copy it into {} once fixed)",
                path.display(),
                corpus_dir.display()
            )
        })
        .collect();
    assert!(
        failures.is_empty(),
        "fuzz target {} failed:\n{}",
        target.name,
        failures.join("\n")
    );
}

/// Run the corpus, then mutants; returns each failure (what happened, where its input was saved). Stops at
/// the first hang (its worker cannot be stopped) or after 20 failures.
pub fn run(target: &Target, corpus: &[Vec<u8>], s: &Settings) -> Vec<(String, PathBuf)> {
    let mut dictionary = DICTIONARY.to_vec();
    if s.hostile {
        dictionary.extend_from_slice(HOSTILE);
    }
    let mut mutator = Mutator {
        rng: Rng::new(s.seed ^ fnv(target.name.as_bytes())),
        corpus,
        dictionary,
        max_len: s.max_len,
    };
    let started = Instant::now();
    let mut failures = Vec::new();
    let trace = s.trace.then(|| failure_dir(target.name).join("last-input.bin"));
    let check = |input: &[u8], failures: &mut Vec<(String, PathBuf)>| -> bool {
        if let Some(path) = &trace {
            let _ = std::fs::create_dir_all(path.parent().expect("a parent"));
            let _ = std::fs::write(path, input);
        }
        let (what, stop) = match execute(target.name, target.run, input, s.timeout) {
            Outcome::Ok => return true,
            Outcome::Panic(message) => (format!("panicked: {message}"), false),
            Outcome::Hang => (format!("did not finish within {:?}", s.timeout), true),
        };
        failures.push((what, save_failure(target.name, input)));
        !stop
    };
    let mut going = corpus.iter().all(|input| check(input, &mut failures));
    let mut i = 0;
    while going && i < s.iterations && started.elapsed().as_secs_f64() < s.seconds && failures.len() < 20 {
        let base = mutator.rng.below(corpus.len());
        let input = mutator.mutate(&corpus[base]);
        going = check(&input, &mut failures);
        i += 1;
    }
    let cut = if going && i < s.iterations && failures.len() < 20 {
        " (stopped by FUZZ_SECONDS before its iterations: not the usual set of inputs)"
    } else {
        ""
    };
    eprintln!(
        "fuzz {}: {} corpus inputs and {i} mutants in {:.1}s, FUZZ_SEED={}, {} failure(s){cut}",
        target.name,
        corpus.len(),
        started.elapsed().as_secs_f64(),
        s.seed,
        failures.len()
    );
    failures
}
