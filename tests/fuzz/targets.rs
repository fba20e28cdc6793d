//! The fuzz targets. Each takes arbitrary bytes and must return (with findings or errors) without panicking.
//!
//! Inputs with several parts use sections: a line `=== NAME` starts a section (a file path in a bundle, or
//! `spec`, `environment`, `instance`, `pipeline` for the render target); text before the first marker is an
//! unnamed section.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::LazyLock;

use proton_synth::engine::context::parse_context;
use proton_synth::engine::{
    analyze, check_bundle, load_bundle, load_context_file, parse_outputs, parse_schema, parse_spec, render_bundle,
    Analysis, Bundle, RenderContext,
};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn text(input: &[u8]) -> String {
    String::from_utf8_lossy(input).into_owned()
}

/// `(name, content)` sections of an input (see the module documentation).
pub fn sections(input: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = vec![(String::new(), Vec::new())];
    for line in input.split_inclusive(|b| *b == b'\n') {
        if let Some(name) = line.strip_prefix(b"=== ") {
            let name = String::from_utf8_lossy(name).trim_end_matches(['\n', '\r']).to_owned();
            out.push((name, Vec::new()));
        } else if let Some(last) = out.last_mut() {
            last.1.extend_from_slice(line);
        }
    }
    if out[0].1.is_empty() && out.len() > 1 {
        out.remove(0);
    }
    out
}

/// A fixture bundle in memory, as `load_bundle` reads it.
fn fixture_bundle(rel: &str) -> Bundle {
    load_bundle(&root().join(rel)).unwrap_or_else(|f| panic!("fixture bundle {rel}: {f:?}"))
}

static ENVIRONMENT: LazyLock<Bundle> =
    LazyLock::new(|| fixture_bundle("tests/fixtures/aws-samples/loadbalanced-fargate-svc/environment"));
static SERVICE: LazyLock<Bundle> = LazyLock::new(|| fixture_bundle("tests/fixtures/local/features/service"));
static ANALYSES: LazyLock<Vec<Analysis>> = LazyLock::new(|| {
    [&*ENVIRONMENT, &*SERVICE]
        .into_iter()
        .map(|b| analyze(b).0.expect("a fixture bundle analyzes"))
        .collect()
});
static CONTEXT: LazyLock<RenderContext> = LazyLock::new(|| {
    let mut ctx = load_context_file(&root().join("tests/fixtures/local/features/context.yaml")).expect("the context");
    ctx.environment_name = Some("Beta".into());
    ctx
});

fn with_file(base: &Bundle, rel: &str, content: &[u8]) -> Bundle {
    let mut b = base.clone();
    b.files.insert(rel.to_owned(), content.to_vec());
    b
}

/// `parse_spec` against an environment and a service bundle.
pub fn spec(input: &[u8]) {
    let spec = text(input);
    for analysis in ANALYSES.iter() {
        let _ = parse_spec(&spec, "spec.yaml", analysis);
    }
}

/// `parse_outputs` and `parse_context` (relative `outputs_file` paths resolve in the fixtures' folder).
pub fn context(input: &[u8]) {
    let text = text(input);
    let _ = parse_outputs(&text);
    let _ = parse_context(&text, "context.yaml", &root().join("tests/fixtures/local/features"));
}

/// `parse_schema`, then the schema in a bundle: analysis and validation of the fixture specs against it.
pub fn schema(input: &[u8]) {
    let schema = text(input);
    let _ = parse_schema(&schema, "schema/schema.yaml");
    const SPECS: [&str; 2] = [
        "proton: EnvironmentSpec\nspec:\n  vpc_cidr: 10.0.0.0/16\n  subnet_one_cidr: 10.0.0.0/24\n",
        "proton: ServiceSpec\npipeline:\n  dockerfile: Dockerfile\ninstances:\n  - name: a\n    environment: Beta\n    spec:\n      port: 80\n      tags: [x]\n",
    ];
    for (base, spec) in [&*ENVIRONMENT, &*SERVICE].into_iter().zip(SPECS) {
        let bundle = with_file(base, "schema/schema.yaml", input);
        if let (Some(analysis), _) = analyze(&bundle) {
            let _ = parse_spec(spec, "spec.yaml", &analysis);
        }
        let _ = check_bundle(&bundle);
    }
}

/// `check_bundle` with the fuzzed text as the environment template and as the service's instance template.
pub fn check(input: &[u8]) {
    let _ = check_bundle(&with_file(&ENVIRONMENT, "infrastructure/cloudformation.yaml", input));
    let _ = check_bundle(&with_file(
        &SERVICE,
        "instance_infrastructure/cloudformation.yaml",
        input,
    ));
}

/// `render_bundle` with a fuzzed template (section `environment`, `instance` or `pipeline`) and spec
/// (section `spec`).
pub fn render(input: &[u8]) {
    let mut spec = String::new();
    let mut template: Option<(&str, Vec<u8>)> = None;
    for (name, content) in sections(input) {
        match name.as_str() {
            "spec" => spec = text(&content),
            "instance" => template = Some(("instance_infrastructure/cloudformation.yaml", content)),
            "pipeline" => template = Some(("pipeline_infrastructure/cloudformation.yaml", content)),
            _ => template = Some(("infrastructure/cloudformation.yaml", content)),
        }
    }
    let Some((file, content)) = template else { return };
    let base = if file.starts_with("infrastructure") {
        &*ENVIRONMENT
    } else {
        &*SERVICE
    };
    let _ = render_bundle(&with_file(base, file, &content), &spec, &CONTEXT);
}

/// A fresh folder for one input below the system's temporary folder (`TMPDIR`; `scripts/fuzz` points it
/// at a RAM disk when there is one); removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> TempDir {
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("proton-synth-fuzz-{label}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create a fuzz temp folder");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The safe relative form of a section name: no absolute paths, `..`, empty parts or NUL; `None` if empty.
fn safe_path(name: &str) -> Option<PathBuf> {
    let parts: Vec<&str> = name
        .split('/')
        .filter(|p| !p.is_empty() && *p != "." && *p != ".." && !p.contains('\0') && p.len() <= 100)
        .collect();
    (!parts.is_empty() && parts.len() <= 8).then(|| parts.iter().collect())
}

/// One entry of a file set: `=== path` (file), `=== path/` (folder), `=== path -> target` (symbolic link).
enum Entry {
    File(String, Vec<u8>),
    Dir(String),
    Link(String, String),
}

fn entries(input: &[u8]) -> Vec<Entry> {
    sections(input)
        .into_iter()
        .map(|(name, content)| match name.split_once(" -> ") {
            Some((path, target)) => Entry::Link(path.to_owned(), target.to_owned()),
            None if name.ends_with('/') => Entry::Dir(name),
            None => Entry::File(name, content),
        })
        .collect()
}

/// Write a file set into a folder (paths made safe; never FIFOs or devices), load it and check it.
pub fn bundle_dir(input: &[u8]) {
    let tmp = TempDir::new("bundle");
    let top = tmp.0.join("bundle");
    std::fs::create_dir_all(&top).expect("create the bundle folder");
    for entry in entries(input) {
        let _ = match entry {
            Entry::File(name, content) => safe_path(&name).map(|rel| write_file(&top.join(rel), &content)),
            Entry::Dir(name) => safe_path(&name).map(|rel| std::fs::create_dir_all(top.join(rel))),
            Entry::Link(name, target) => safe_path(&name).map(|rel| {
                let link = top.join(rel);
                link.parent().map_or(Ok(()), std::fs::create_dir_all)?;
                std::os::unix::fs::symlink(target, link)
            }),
        };
    }
    if let Ok(bundle) = load_bundle(&top) {
        let _ = check_bundle(&bundle);
    }
}

fn write_file(path: &Path, content: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, content)
}

/// Build a tar.gz from a file set. Paths go into the headers as given (absolute, `..`, over-long, invalid
/// UTF-8 after mutation): the tar crate's `Header` is filled byte by byte, so the archive can be malformed in
/// ways a careful writer would refuse. A section `@raw` is appended to the tar stream verbatim (broken
/// headers, truncated blocks); a section `@truncate` cuts the gzip stream at its length in bytes.
pub fn tar_gz_of(input: &[u8]) -> Vec<u8> {
    let mut tar: Vec<u8> = Vec::new();
    let mut truncate = None;
    for (name, content) in sections(input) {
        if name == "@raw" {
            tar.extend_from_slice(&content);
            continue;
        }
        if name == "@truncate" {
            truncate = Some(content.len());
            continue;
        }
        let (path, kind, link, body) = match name.split_once(" -> ") {
            Some((p, t)) => (p.to_owned(), tar::EntryType::Symlink, t.to_owned(), Vec::new()),
            None if name.ends_with('/') => (name.clone(), tar::EntryType::Directory, String::new(), Vec::new()),
            None => (name.clone(), tar::EntryType::Regular, String::new(), content),
        };
        let mut header = tar::Header::new_gnu();
        let raw = header.as_mut_bytes();
        let path = path.as_bytes();
        raw[..path.len().min(100)].copy_from_slice(&path[..path.len().min(100)]);
        let link = link.as_bytes();
        raw[157..157 + link.len().min(100)].copy_from_slice(&link[..link.len().min(100)]);
        header.set_mode(0o644);
        header.set_size(body.len() as u64);
        header.set_entry_type(kind);
        header.set_cksum();
        tar.extend_from_slice(header.as_bytes());
        tar.extend_from_slice(&body);
        tar.resize(tar.len().div_ceil(512) * 512, 0);
    }
    tar.extend_from_slice(&[0; 1024]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).expect("gzip in memory");
    let mut bytes = gz.finish().expect("gzip in memory");
    if let Some(n) = truncate {
        bytes.truncate(n);
    }
    bytes
}

/// Load a `.tar.gz` (raw gzip bytes as given, or built from a file set) and check it.
pub fn bundle_tar_gz(input: &[u8]) {
    let bytes = if input.starts_with(&[0x1f, 0x8b]) {
        input.to_vec()
    } else {
        tar_gz_of(input)
    };
    let tmp = TempDir::new("archive");
    let path = tmp.0.join("bundle.tar.gz");
    std::fs::write(&path, &bytes).expect("write the archive");
    if let Ok(bundle) = load_bundle(&path) {
        let _ = check_bundle(&bundle);
    }
}

/// Seeds for the archive target: each file set of the corpus as real gzip bytes, so byte-level mutations
/// also reach the gzip and tar decoders.
pub fn archives_of(corpus: &[Vec<u8>]) -> Vec<Vec<u8>> {
    corpus.iter().map(|c| tar_gz_of(c)).collect()
}
