//! Loading a template bundle (a folder or a `.tar.gz`, with or without one wrapping folder) and working out
//! what it is: its kind, schema, manifests and infrastructure templates, with Proton's layout rules and
//! limits.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Read;
use std::path::{Component, Path};

use super::finding::Finding;
use super::manifest::parse_manifest;
use super::schema::{parse_schema, Schema};

/// Template bundle limits (section 9 of the format notes). Sizes use 1 KB = 1000 bytes, the stricter
/// reading of AWS's "KB".
pub mod limits {
    pub const MAX_ARCHIVE_BYTES: u64 = 5_000_000;
    pub const MAX_FILES: usize = 10;
    pub const MAX_MANIFEST_OR_SCHEMA_BYTES: usize = 50_000;
    pub const MAX_OTHER_FILE_BYTES: usize = 200_000;
    /// Not a Proton limit: protection against archive bombs when unpacking.
    pub const MAX_UNPACKED_BYTES: u64 = 64 << 20;
    pub const MAX_ENTRIES: usize = 10_000;
}

pub const SCHEMA_PATH: &str = "schema/schema.yaml";

/// A bundle's files in memory.
#[derive(Clone, Debug, Default)]
pub struct Bundle {
    /// What the user named (a path), for messages.
    pub source: String,
    /// The one folder that wraps the bundle (`environment` in `environment/schema/schema.yaml`), if any.
    pub wrapper: Option<String>,
    /// File contents by `/`-separated path below the wrapping folder.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Folders (below the wrapping folder), including empty ones.
    pub dirs: BTreeSet<String>,
    /// Size of the `.tar.gz`, when the bundle came from one.
    pub archive_size: Option<u64>,
    /// Prefix of every path shown in findings: the folder as the user named it (plus the wrapping folder),
    /// or the wrapping folder inside an archive.
    pub display_root: String,
    /// Warnings found while loading (skipped links and the like).
    pub load_warnings: Vec<Finding>,
}

impl Bundle {
    /// Build a bundle from in-memory files (paths `/`-separated, optionally under one wrapping folder).
    pub fn from_files<I, P, C>(source: &str, files: I) -> Bundle
    where
        I: IntoIterator<Item = (P, C)>,
        P: Into<String>,
        C: Into<Vec<u8>>,
    {
        let mut raw = RawFiles::default();
        for (p, c) in files {
            raw.add_file(p.into(), c.into());
        }
        raw.into_bundle(source.to_owned(), None, "")
    }

    /// The path of a bundle file as the user sees it: below the folder they named, or inside the archive
    /// (with the wrapping folder).
    pub fn display_path(&self, rel: &str) -> String {
        let root = self.display_root.trim_end_matches('/');
        if root.is_empty() {
            rel.to_owned()
        } else {
            format!("{root}/{rel}")
        }
    }

    pub fn file(&self, rel: &str) -> Option<&[u8]> {
        self.files.get(rel).map(Vec::as_slice)
    }

    pub fn has_dir(&self, rel: &str) -> bool {
        self.dirs.contains(rel)
    }
}

/// Load a bundle from a folder or a gzip-compressed tar archive.
pub fn load_bundle(path: &Path) -> Result<Bundle, Vec<Finding>> {
    let source = path.display().to_string();
    let fail = |msg: String| vec![Finding::error(msg).in_file(source.clone())];
    let meta = fs::metadata(path).map_err(|e| fail(format!("cannot read the bundle: {e}")))?;
    let mut raw = RawFiles::default();
    let (archive_size, folder) = if meta.is_dir() {
        read_dir_into(path, "", 0, &mut raw).map_err(|e| fail(format!("cannot read the bundle folder: {e}")))?;
        (None, source.as_str())
    } else {
        let bytes = fs::read(path).map_err(|e| fail(format!("cannot read the bundle: {e}")))?;
        if !bytes.starts_with(&[0x1f, 0x8b]) {
            return Err(fail(
                "not a bundle: expected a folder or a gzip-compressed tar archive (.tar.gz)".to_owned(),
            ));
        }
        read_tar_gz(&bytes, &mut raw).map_err(|e| fail(format!("cannot unpack the archive: {e}")))?;
        (Some(bytes.len() as u64), "")
    };
    if raw.files.is_empty() {
        return Err(fail("the bundle has no files".to_owned()));
    }
    let folder = folder.to_owned();
    Ok(raw.into_bundle(source, archive_size, &folder))
}

#[derive(Default)]
struct RawFiles {
    files: BTreeMap<String, Vec<u8>>,
    dirs: BTreeSet<String>,
    warnings: Vec<Finding>,
    unpacked: u64,
}

impl RawFiles {
    fn add_file(&mut self, path: String, contents: Vec<u8>) {
        let path = path.trim_start_matches("./").trim_matches('/').to_owned();
        let mut parent = path.as_str();
        while let Some(i) = parent.rfind('/') {
            parent = &parent[..i];
            self.dirs.insert(parent.to_owned());
        }
        self.files.insert(path, contents);
    }

    fn add_dir(&mut self, path: &str) {
        let path = path.trim_start_matches("./").trim_matches('/');
        if !path.is_empty() && path != "." {
            self.dirs.insert(path.to_owned());
        }
    }

    /// Strip one wrapping folder when every entry is inside it and the bundle root is not at the top.
    fn into_bundle(self, source: String, archive_size: Option<u64>, folder: &str) -> Bundle {
        let top = |p: &str| p.split('/').next().unwrap_or("").to_owned();
        let tops: BTreeSet<String> = self.files.keys().chain(self.dirs.iter()).map(|p| top(p)).collect();
        let wrapper = match tops.iter().next() {
            Some(t) if tops.len() == 1 && t != "schema" && !self.files.contains_key(t) => Some(t.clone()),
            _ => None,
        };
        let strip = |p: &str| match &wrapper {
            Some(w) => p
                .strip_prefix(w.as_str())
                .unwrap_or(p)
                .trim_start_matches('/')
                .to_owned(),
            None => p.to_owned(),
        };
        let display_root = match (&wrapper, folder.trim_end_matches('/')) {
            (Some(w), "") => w.clone(),
            (Some(w), f) => format!("{f}/{w}"),
            (None, f) => f.to_owned(),
        };
        Bundle {
            source,
            display_root,
            files: self.files.iter().map(|(p, c)| (strip(p), c.clone())).collect(),
            dirs: self.dirs.iter().map(|d| strip(d)).filter(|d| !d.is_empty()).collect(),
            wrapper,
            archive_size,
            load_warnings: self.warnings,
        }
    }

    fn account(&mut self, size: u64) -> Result<(), String> {
        self.unpacked = self.unpacked.saturating_add(size);
        if self.unpacked > limits::MAX_UNPACKED_BYTES || self.files.len() + self.dirs.len() > limits::MAX_ENTRIES {
            return Err(format!(
                "more than {} MB or {} entries unpacked; this is not a template bundle",
                limits::MAX_UNPACKED_BYTES >> 20,
                limits::MAX_ENTRIES
            ));
        }
        Ok(())
    }
}

fn read_dir_into(dir: &Path, prefix: &str, depth: usize, raw: &mut RawFiles) -> Result<(), String> {
    if depth > 16 {
        return Err(format!("folders nested too deep at {prefix}"));
    }
    let mut entries: Vec<_> = fs::read_dir(dir)
        .map_err(|e| e.to_string())?
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        let ft = entry.file_type().map_err(|e| e.to_string())?;
        if ft.is_symlink() {
            raw.warnings.push(Finding::warning(format!(
                "{rel}: symbolic link skipped; a bundle archive holds regular files only"
            )));
        } else if ft.is_dir() {
            raw.add_dir(&rel);
            read_dir_into(&entry.path(), &rel, depth + 1, raw)?;
        } else {
            let contents = fs::read(entry.path()).map_err(|e| format!("{rel}: {e}"))?;
            raw.account(contents.len() as u64)?;
            raw.add_file(rel, contents);
        }
    }
    Ok(())
}

fn read_tar_gz(bytes: &[u8], raw: &mut RawFiles) -> Result<(), String> {
    let gz = flate2::read::GzDecoder::new(bytes);
    let mut archive = tar::Archive::new(gz);
    let entries = archive.entries().map_err(|e| e.to_string())?;
    for entry in entries {
        let mut entry = entry.map_err(|e| e.to_string())?;
        let path = entry.path().map_err(|e| e.to_string())?.into_owned();
        let rel = safe_relative(&path).ok_or_else(|| format!("unsafe path in archive: {}", path.display()))?;
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            raw.add_dir(&rel);
        } else if kind.is_file() {
            raw.account(entry.size())?;
            let mut contents = Vec::new();
            entry
                .by_ref()
                .take(limits::MAX_UNPACKED_BYTES)
                .read_to_end(&mut contents)
                .map_err(|e| format!("{rel}: {e}"))?;
            raw.add_file(rel, contents);
        } else if kind.is_symlink() || kind.is_hard_link() {
            raw.warnings.push(Finding::warning(format!(
                "{rel}: link skipped; a bundle archive holds regular files only"
            )));
        }
    }
    // The tar end marker can come before the end of the gzip stream: read the rest so that a truncated or
    // corrupt archive (bad CRC, missing trailer) is an error rather than a silently shorter bundle.
    let mut rest = archive.into_inner().take(limits::MAX_UNPACKED_BYTES);
    std::io::copy(&mut rest, &mut std::io::sink()).map_err(|e| format!("truncated or corrupt gzip stream: {e}"))?;
    Ok(())
}

/// A `/`-joined relative path, or `None` for absolute paths and `..`.
fn safe_relative(path: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(parts.join("/"))
}

/// What a bundle is, from its schema and folders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BundleKind {
    /// `environment_input_type` and `infrastructure/`.
    Environment,
    /// `environment_input_type` and nothing but the schema (`--provisioning CUSTOMER_MANAGED`).
    CustomerManagedEnvironment,
    /// `service_input_type`, `instance_infrastructure/` and, when `pipeline` is true, `pipeline_infrastructure/`.
    Service { pipeline: bool },
}

impl BundleKind {
    pub fn describe(self) -> &'static str {
        match self {
            BundleKind::Environment => "environment template",
            BundleKind::CustomerManagedEnvironment => "customer-managed environment template (schema only)",
            BundleKind::Service { pipeline: true } => "service template with a pipeline",
            BundleKind::Service { pipeline: false } => "service template without a pipeline",
        }
    }
}

/// The kinds of infrastructure template, each with its own Jinja namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TemplateKind {
    Environment,
    ServiceInstance,
    Pipeline,
}

impl TemplateKind {
    pub const ALL: [TemplateKind; 3] = [
        TemplateKind::Environment,
        TemplateKind::ServiceInstance,
        TemplateKind::Pipeline,
    ];

    /// The folder that holds this kind's manifest and IaC file.
    pub fn folder(self) -> &'static str {
        match self {
            TemplateKind::Environment => "infrastructure",
            TemplateKind::ServiceInstance => "instance_infrastructure",
            TemplateKind::Pipeline => "pipeline_infrastructure",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            TemplateKind::Environment => "environment templates",
            TemplateKind::ServiceInstance => "service instance templates",
            TemplateKind::Pipeline => "pipeline templates",
        }
    }
}

/// An infrastructure (IaC) file named by a manifest.
#[derive(Clone, Debug)]
pub struct IacTemplate {
    pub kind: TemplateKind,
    /// Path in the bundle, below the wrapping folder.
    pub path: String,
    /// Path as shown in findings (with the wrapping folder).
    pub display: String,
    pub text: String,
}

impl IacTemplate {
    /// `json` for `.json` files, else `yaml`.
    pub fn extension(&self) -> &'static str {
        if self.path.to_ascii_lowercase().ends_with(".json") {
            "json"
        } else {
            "yaml"
        }
    }
}

/// A bundle that passed the structural checks.
#[derive(Clone, Debug)]
pub struct Analysis {
    pub kind: BundleKind,
    pub schema: Schema,
    pub templates: Vec<IacTemplate>,
}

impl Analysis {
    pub fn template(&self, kind: TemplateKind) -> Option<&IacTemplate> {
        self.templates.iter().find(|t| t.kind == kind)
    }
}

/// Structural check: schema, kind, layout, manifests, IaC files and limits. Returns every finding and,
/// when the kind could be worked out, what was understood (usable for rendering only without errors).
pub fn analyze(bundle: &Bundle) -> (Option<Analysis>, Vec<Finding>) {
    let mut findings = bundle.load_warnings.clone();
    check_limits(bundle, &mut findings);
    let schema_display = bundle.display_path(SCHEMA_PATH);
    let schema = match bundle.file(SCHEMA_PATH) {
        None => {
            findings.push(missing_schema(bundle));
            None
        }
        Some(bytes) => match std::str::from_utf8(bytes) {
            Err(_) => {
                findings.push(Finding::error("not valid UTF-8 text").in_file(&schema_display));
                None
            }
            Ok(text) => {
                let (schema, f) = parse_schema(text, &schema_display);
                findings.extend(f);
                Some(schema)
            }
        },
    };
    let kind = classify(bundle, schema.as_ref(), &mut findings);
    let mut templates = Vec::new();
    if let (Some(kind), Some(schema)) = (kind, &schema) {
        check_layout(bundle, kind, schema, &mut findings);
        for tk in template_kinds(kind) {
            if let Some(t) = load_template(bundle, tk, &mut findings) {
                templates.push(t);
            }
        }
    }
    let analysis = match (kind, schema) {
        (Some(kind), Some(schema)) => Some(Analysis {
            kind,
            schema,
            templates,
        }),
        _ => None,
    };
    (analysis, findings)
}

fn missing_schema(bundle: &Bundle) -> Finding {
    let hint = if bundle.files.keys().any(|p| p.ends_with("/schema/schema.yaml")) {
        "; the bundle root must be the folder holding schema/ (at most one wrapping folder)"
    } else {
        ""
    };
    Finding::error(format!("{SCHEMA_PATH} is missing{hint}")).in_file(bundle.source.clone())
}

fn template_kinds(kind: BundleKind) -> Vec<TemplateKind> {
    match kind {
        BundleKind::Environment => vec![TemplateKind::Environment],
        BundleKind::CustomerManagedEnvironment => vec![],
        BundleKind::Service { pipeline } => {
            let mut v = vec![TemplateKind::ServiceInstance];
            if pipeline {
                v.push(TemplateKind::Pipeline);
            }
            v
        }
    }
}

fn classify(bundle: &Bundle, schema: Option<&Schema>, findings: &mut Vec<Finding>) -> Option<BundleKind> {
    let schema = schema?;
    let file = bundle.display_path(SCHEMA_PATH);
    let has = |d: &str| bundle.has_dir(d);
    match (&schema.environment_input_type, &schema.service_input_type) {
        (Some(_), Some(_)) => {
            findings.push(Finding::error("the schema declares both environment_input_type and service_input_type; a bundle is one or the other").in_file(file));
            None
        }
        (None, None) => {
            findings.push(Finding::error("the schema declares neither environment_input_type (environment template) nor service_input_type (service template)").in_file(file));
            None
        }
        (Some(_), None) => {
            if schema.pipeline_input_type.is_some() {
                findings.push(
                    Finding::error("pipeline_input_type belongs in service templates, not in an environment template")
                        .in_file(file),
                );
            }
            Some(if has("infrastructure") {
                BundleKind::Environment
            } else {
                BundleKind::CustomerManagedEnvironment
            })
        }
        (None, Some(_)) => Some(BundleKind::Service {
            pipeline: schema.pipeline_input_type.is_some() || has("pipeline_infrastructure"),
        }),
    }
}

fn check_layout(bundle: &Bundle, kind: BundleKind, schema: &Schema, findings: &mut Vec<Finding>) {
    let mut err = |path: &str, msg: String| findings.push(Finding::error(msg).in_file(bundle.display_path(path)));
    let schema_has_pipeline = schema.pipeline_input_type.is_some();
    match kind {
        BundleKind::Environment | BundleKind::CustomerManagedEnvironment => {
            for d in ["instance_infrastructure", "pipeline_infrastructure"] {
                if bundle.has_dir(d) {
                    err(d, format!("{d}/ belongs in service templates; this is an environment template (environment_input_type)"));
                }
            }
        }
        BundleKind::Service { pipeline } => {
            if bundle.has_dir("infrastructure") {
                err("infrastructure", "infrastructure/ belongs in environment templates; a service template has instance_infrastructure/ (and pipeline_infrastructure/)".to_owned());
            }
            if !bundle.has_dir("instance_infrastructure") {
                err(
                    "instance_infrastructure",
                    "instance_infrastructure/ is missing; every service template needs it".to_owned(),
                );
            }
            if schema_has_pipeline && !bundle.has_dir("pipeline_infrastructure") {
                err(SCHEMA_PATH, "the schema declares pipeline_input_type but pipeline_infrastructure/ is missing; add the pipeline or remove pipeline_input_type (and create the template with --pipeline-provisioning CUSTOMER_MANAGED)".to_owned());
            }
            if pipeline && !schema_has_pipeline {
                err(SCHEMA_PATH, "pipeline_infrastructure/ exists but the schema has no pipeline_input_type; declare the pipeline's input type or remove the folder".to_owned());
            }
        }
    }
    let expected: Vec<&str> = match kind {
        BundleKind::Environment => vec!["infrastructure"],
        BundleKind::CustomerManagedEnvironment => vec![],
        BundleKind::Service { .. } => vec!["instance_infrastructure", "pipeline_infrastructure"],
    };
    for path in bundle.files.keys() {
        let top = path.split('/').next().unwrap_or("");
        let known_root = matches!(path.as_str(), ".template-registration.yaml" | ".compatible-envs");
        if top != "schema" && !expected.contains(&top) && !known_root && !is_misplaced_dir(top) {
            findings.push(
                Finding::warning(
                    "not part of the bundle layout; Proton ignores it (it still counts toward the file limit)",
                )
                .in_file(bundle.display_path(path)),
            );
        }
    }
}

/// Folders already reported by the layout errors.
fn is_misplaced_dir(top: &str) -> bool {
    matches!(
        top,
        "infrastructure" | "instance_infrastructure" | "pipeline_infrastructure"
    )
}

fn check_limits(bundle: &Bundle, findings: &mut Vec<Finding>) {
    let n = bundle.files.len();
    if n > limits::MAX_FILES {
        findings.push(
            Finding::error(format!(
                "the bundle has {n} files; Proton accepts at most {}",
                limits::MAX_FILES
            ))
            .in_file(bundle.source.clone()),
        );
    }
    if let Some(size) = bundle.archive_size.filter(|s| *s > limits::MAX_ARCHIVE_BYTES) {
        findings.push(
            Finding::error(format!(
                "the archive is {size} bytes; Proton accepts at most {} (5 MB)",
                limits::MAX_ARCHIVE_BYTES
            ))
            .in_file(bundle.source.clone()),
        );
    }
    let total: usize = bundle.files.values().map(Vec::len).sum();
    if bundle.archive_size.is_none() && total as u64 > limits::MAX_ARCHIVE_BYTES {
        findings.push(
            Finding::warning(format!(
                "the files add up to {total} bytes; the compressed archive must stay under 5 MB"
            ))
            .in_file(bundle.source.clone()),
        );
    }
    for (path, contents) in &bundle.files {
        let name = path.rsplit('/').next().unwrap_or(path);
        let limit = if matches!(name, "manifest.yaml" | "schema.yaml") {
            limits::MAX_MANIFEST_OR_SCHEMA_BYTES
        } else {
            limits::MAX_OTHER_FILE_BYTES
        };
        if contents.len() > limit {
            findings.push(
                Finding::error(format!(
                    "file is too large: {} bytes, Proton accepts at most {limit} for {name}",
                    contents.len()
                ))
                .in_file(bundle.display_path(path)),
            );
        }
    }
}

fn load_template(bundle: &Bundle, kind: TemplateKind, findings: &mut Vec<Finding>) -> Option<IacTemplate> {
    let folder = kind.folder();
    if !bundle.has_dir(folder) {
        return None; // reported by the layout check
    }
    let manifest_path = format!("{folder}/manifest.yaml");
    let manifest_display = bundle.display_path(&manifest_path);
    let Some(bytes) = bundle.file(&manifest_path) else {
        findings
            .push(Finding::error(format!("{folder}/manifest.yaml is missing")).in_file(bundle.display_path(folder)));
        return None;
    };
    let Ok(text) = std::str::from_utf8(bytes) else {
        findings.push(Finding::error("not valid UTF-8 text").in_file(manifest_display));
        return None;
    };
    let (entry, f) = parse_manifest(text, &manifest_display);
    findings.extend(f);
    let entry = entry?;
    let path = format!("{folder}/{}", entry.file);
    let display = bundle.display_path(&path);
    let Some(bytes) = bundle.file(&path) else {
        findings.push(
            Finding::error(format!("names the file `{}`, which is not in {folder}/", entry.file))
                .in_file(manifest_display)
                .at_line(entry.line),
        );
        return None;
    };
    for other in bundle.files.keys() {
        if other.starts_with(&format!("{folder}/")) && *other != path && *other != manifest_path {
            findings.push(
                Finding::warning("not named by the manifest; Proton renders only the manifest's file")
                    .in_file(bundle.display_path(other)),
            );
        }
    }
    match String::from_utf8(bytes.to_vec()) {
        Ok(text) => Some(IacTemplate {
            kind,
            path,
            display,
            text,
        }),
        Err(_) => {
            findings.push(Finding::error("not valid UTF-8 text").in_file(display));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_one_wrapping_folder() {
        let b = Bundle::from_files(
            "mem",
            [
                ("env/schema/schema.yaml", "x"),
                ("env/infrastructure/manifest.yaml", "y"),
            ],
        );
        assert_eq!(b.wrapper.as_deref(), Some("env"));
        assert!(b.files.contains_key("schema/schema.yaml"));
        assert!(b.has_dir("infrastructure"));
        assert_eq!(b.display_path("schema/schema.yaml"), "env/schema/schema.yaml");
        let flat = Bundle::from_files("mem", [("schema/schema.yaml", "x")]);
        assert_eq!(flat.wrapper, None);
    }

    #[test]
    fn rejects_unsafe_archive_paths() {
        assert_eq!(safe_relative(Path::new("./a/b")), Some("a/b".to_owned()));
        assert_eq!(safe_relative(Path::new("../a")), None);
        assert_eq!(safe_relative(Path::new("/etc/passwd")), None);
    }
}
