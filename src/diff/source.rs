//! What a side of a diff is made of: the templates and AWS Proton schemas of a synth output folder (on disk
//! or in memory), a render output folder, a bundle (folder or `.tar.gz`) or a single template file.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use crate::app::Synthesis;
use crate::engine::{analyze, load_bundle, parse_schema, render_with_report, Bundle, Finding, RenderContext, Schema};

use super::TemplateDoc;

/// What a snapshot was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnapshotKind {
    /// A synth output folder (`manifest.json`, `*.template.json`, `proton/…`), or a synthesis in memory.
    SynthOutput,
    /// A folder of templates (`proton-synth render` output, or any folder of CloudFormation files).
    Folder,
    /// One AWS Proton bundle: its schema (its templates are Jinja, not CloudFormation).
    Bundle,
    /// One CloudFormation template file.
    Template,
}

/// One side of a diff.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub kind: SnapshotKind,
    /// What the user named, for messages.
    pub source: String,
    /// CloudFormation templates by name.
    pub templates: BTreeMap<String, TemplateDoc>,
    /// AWS Proton schemas by bundle name.
    pub schemas: BTreeMap<String, Schema>,
    /// Infrastructure files of a [`SnapshotKind::Bundle`] (Jinja), by path in the bundle.
    pub bundle_files: BTreeMap<String, String>,
    /// Limits of what this side lets `diff` compare.
    pub notes: Vec<String>,
}

/// How bundles are rendered so that their templates compare too (`diff --spec`).
#[derive(Clone, Debug, Default)]
pub struct BundleRender {
    /// The spec's file name, for messages.
    pub spec_name: String,
    /// The spec (`proton: EnvironmentSpec` or `ServiceSpec`).
    pub spec: String,
    /// What Proton knew (`--context`, `--environment-name`).
    pub context: RenderContext,
}

/// A template's name from its file name: `public-vpc.template.json` → `public-vpc`,
/// `lb-fargate-service.instance.template.json` → `lb-fargate-service.instance`, `environment.yaml` →
/// `environment`.
pub fn template_name(file: &str) -> String {
    let base = file.rsplit('/').next().unwrap_or(file);
    let stem = [".json", ".yaml", ".yml", ".template"]
        .iter()
        .find_map(|e| base.strip_suffix(e))
        .unwrap_or(base);
    stem.strip_suffix(".template").unwrap_or(stem).to_owned()
}

fn is_template_file(name: &str) -> bool {
    [".json", ".yaml", ".yml", ".template"]
        .iter()
        .any(|e| name.ends_with(e))
}

impl Snapshot {
    fn empty(kind: SnapshotKind, source: &str) -> Snapshot {
        Snapshot {
            kind,
            source: source.to_owned(),
            templates: BTreeMap::new(),
            schemas: BTreeMap::new(),
            bundle_files: BTreeMap::new(),
            notes: Vec::new(),
        }
    }

    /// Read a path: a synth or render output folder, a bundle folder or `.tar.gz`, or a template file.
    /// Errors read `<path>: <what>; <how to fix>`.
    pub fn load(path: &Path) -> Result<Snapshot, String> {
        Snapshot::load_with(path, None)
    }

    /// [`Snapshot::load`], rendering a bundle with `render` when given (its rendered templates are compared
    /// then, not only its schema).
    pub fn load_with(path: &Path, render: Option<&BundleRender>) -> Result<Snapshot, String> {
        let shown = path.display().to_string();
        let meta = fs::metadata(path).map_err(|e| {
            format!(
                "{shown}: cannot read it: {}; give a synth or render output folder, a bundle or a template file",
                crate::engine::io_words(&e)
            )
        })?;
        if meta.is_dir() {
            if is_bundle_dir(path) {
                return Snapshot::from_bundle_path(path, render);
            }
            let files = read_folder(path).map_err(|e| {
                format!(
                    "{shown}: cannot read the folder: {}; check its permissions",
                    crate::engine::io_words(&e)
                )
            })?;
            return Snapshot::from_files(&shown, &files);
        }
        let bytes = fs::read(path).map_err(|e| format!("{shown}: cannot read it: {}", crate::engine::io_words(&e)))?;
        if bytes.starts_with(&[0x1f, 0x8b]) {
            return Snapshot::from_bundle_path(path, render);
        }
        let text = String::from_utf8(bytes)
            .map_err(|_| format!("{shown}: not UTF-8 text; give a template, a folder or a .tar.gz bundle"))?;
        let name = template_name(&shown);
        let doc = TemplateDoc::parse(name.clone(), &text, &shown)
            .map_err(|e| format!("{e}; give a CloudFormation template (JSON, or YAML with short-form tags)"))?;
        let mut s = Snapshot::empty(SnapshotKind::Template, &shown);
        s.templates.insert(name, doc);
        Ok(s)
    }

    /// A synthesis in memory (`App::synth`), as its output folder would be read.
    pub fn from_synthesis(source: &str, synthesis: &Synthesis) -> Result<Snapshot, String> {
        Snapshot::from_files(source, synthesis.assembly.files())
    }

    /// Files by `/`-separated relative path: a synth output layout when it has `manifest.json` or
    /// `proton/`, else a folder of templates (files that are no CloudFormation template are skipped).
    pub fn from_files(source: &str, files: &BTreeMap<String, Vec<u8>>) -> Result<Snapshot, String> {
        let synth = files.keys().any(|p| p == "manifest.json" || p.starts_with("proton/"));
        let kind = if synth {
            SnapshotKind::SynthOutput
        } else {
            SnapshotKind::Folder
        };
        let mut s = Snapshot::empty(kind, source);
        for (path, bytes) in files {
            let file = format!("{source}/{path}");
            let top = !path.contains('/');
            if let Some(bundle) = path
                .strip_prefix("proton/bundles/")
                .and_then(|p| p.strip_suffix("/schema/schema.yaml"))
            {
                if !bundle.contains('/') {
                    let text = String::from_utf8_lossy(bytes);
                    s.schemas.insert(bundle.to_owned(), parse_schema(&text, &file).0);
                }
                continue;
            }
            let plain = path
                .strip_prefix("proton/cloudformation/")
                .is_some_and(|p| !p.contains('/'));
            if !(is_template_file(path) && (plain || top)) || path == "manifest.json" {
                continue;
            }
            let text = std::str::from_utf8(bytes).map_err(|_| format!("{file}: not UTF-8 text"))?;
            match TemplateDoc::parse(template_name(path), text, &file) {
                Ok(doc) => {
                    if let Some(prev) = s.templates.insert(doc.name.clone(), doc) {
                        return Err(format!(
                            "{source}: two templates are named `{}`; keep one file per name",
                            prev.name
                        ));
                    }
                }
                Err(e) if e.contains("not a CloudFormation template") => {
                    s.notes.push(format!("{file}: skipped, not a CloudFormation template"))
                }
                Err(e) => return Err(format!("{e}; fix the template or remove it from the folder")),
            }
        }
        if s.templates.is_empty() && s.schemas.is_empty() {
            return Err(format!(
                "{source}: no CloudFormation template or Proton bundle found; give a synth or render output folder, a bundle or a template file"
            ));
        }
        Ok(s)
    }

    fn from_bundle_path(path: &Path, render: Option<&BundleRender>) -> Result<Snapshot, String> {
        let shown = path.display().to_string();
        let bundle = load_bundle(path).map_err(|f| {
            let msgs: Vec<String> = f.iter().filter(|x| x.is_error()).map(Finding::located).collect();
            format!("{shown}: cannot load the bundle: {}", msgs.join("; "))
        })?;
        Snapshot::from_bundle(&bundle, &bundle_name(path, &bundle), render)
    }

    /// A bundle: its schema under `name` and its infrastructure files; with `render`, also the templates it
    /// renders to (named like `proton-synth render` names its files: `environment`, `instance-<name>`,
    /// `pipeline`).
    pub fn from_bundle(bundle: &Bundle, name: &str, render: Option<&BundleRender>) -> Result<Snapshot, String> {
        let (analysis, findings) = analyze(bundle);
        let Some(analysis) = analysis else {
            let msgs: Vec<String> = findings.iter().filter(|f| f.is_error()).map(Finding::located).collect();
            return Err(format!(
                "{}: not a usable bundle: {}; run `proton-synth check` on it",
                bundle.source,
                msgs.join("; ")
            ));
        };
        let mut s = Snapshot::empty(SnapshotKind::Bundle, &bundle.source);
        s.schemas.insert(name.to_owned(), analysis.schema);
        for t in analysis.templates {
            s.bundle_files.insert(format!("{name}/{}", t.path), t.text);
        }
        let Some(r) = render else {
            s.notes.push(format!(
                "{}: a bundle's templates are Jinja, so only its schema is compared; pass --spec to render both sides and compare their resources",
                bundle.source
            ));
            return Ok(s);
        };
        let report = render_with_report(bundle, &r.spec_name, &r.spec, &r.context).map_err(|f| {
            let msgs: Vec<String> = f.iter().filter(|x| x.is_error()).map(Finding::located).collect();
            format!(
                "{}: cannot render it with {}: {}; fix the spec or the context (`proton-synth render` reports the same)",
                bundle.source,
                r.spec_name,
                msgs.join("; ")
            )
        })?;
        for f in report.files {
            let doc = TemplateDoc::parse(
                template_name(&f.name),
                &f.text,
                &format!("{} → {}", bundle.source, f.name),
            )?;
            s.templates.insert(doc.name.clone(), doc);
        }
        Ok(s)
    }
}

fn is_bundle_dir(path: &Path) -> bool {
    if path.join("schema/schema.yaml").is_file() {
        return true;
    }
    let Ok(entries) = fs::read_dir(path) else { return false };
    let entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.len() == 1 && entries[0].path().join("schema/schema.yaml").is_file()
}

/// The name a bundle is paired by: its wrapping folder, else the folder or archive name.
fn bundle_name(path: &Path, bundle: &Bundle) -> String {
    if let Some(w) = &bundle.wrapper {
        return w.clone();
    }
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    file.strip_suffix(".tar.gz")
        .or(file.strip_suffix(".tgz"))
        .unwrap_or(&file)
        .to_owned()
}

/// The files of a folder that `from_files` reads: top-level files, `proton/cloudformation/*` and
/// `proton/bundles/<name>/schema/schema.yaml`.
fn read_folder(root: &Path) -> std::io::Result<BTreeMap<String, Vec<u8>>> {
    let mut files = BTreeMap::new();
    let read_files = |dir: &str, files: &mut BTreeMap<String, Vec<u8>>| -> std::io::Result<()> {
        let full = root.join(dir);
        if !full.is_dir() {
            return Ok(());
        }
        for e in fs::read_dir(&full)? {
            let e = e?;
            if e.file_type()?.is_file() {
                let name = e.file_name().to_string_lossy().into_owned();
                if is_template_file(&name) {
                    let rel = if dir.is_empty() { name } else { format!("{dir}/{name}") };
                    files.insert(rel, fs::read(e.path())?);
                }
            }
        }
        Ok(())
    };
    read_files("", &mut files)?;
    read_files("proton/cloudformation", &mut files)?;
    let bundles = root.join("proton/bundles");
    if bundles.is_dir() {
        for e in fs::read_dir(&bundles)? {
            let e = e?;
            let schema = e.path().join("schema/schema.yaml");
            if e.file_type()?.is_dir() && schema.is_file() {
                let name = e.file_name().to_string_lossy().into_owned();
                files.insert(format!("proton/bundles/{name}/schema/schema.yaml"), fs::read(schema)?);
            }
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for (file, want) in [
            ("out/public-vpc.template.json", "public-vpc"),
            ("lb.instance.template.json", "lb.instance"),
            ("environment.yaml", "environment"),
            ("Network.template.yaml", "Network"),
            ("x.template", "x"),
        ] {
            assert_eq!(template_name(file), want, "{file}");
        }
    }
}
