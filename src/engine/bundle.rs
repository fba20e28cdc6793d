//! A template bundle in memory (loaded by [`super::load`] from a folder or a `.tar.gz`, with or without one
//! wrapping folder) and working out what it is: its kind, schema, manifests and infrastructure templates,
//! with Proton's layout rules and limits.

use std::collections::{BTreeMap, BTreeSet};

use super::finding::Finding;
use super::limits;
use super::load::RawFiles;
use super::manifest::parse_manifest;
use super::schema::{parse_schema, Schema};

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
    /// Folder entries skipped because they are not regular files: what each is (`a FIFO (named pipe)`).
    pub special: BTreeMap<String, String>,
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

    /// Why a file the bundle needs is not there: ` (it is a FIFO (named pipe); a bundle holds regular files
    /// only)` when it was skipped while loading, else empty.
    pub fn missing_reason(&self, rel: &str) -> String {
        match self.special.get(rel) {
            Some(what) => format!(" (it is {what}; a bundle holds regular files only)"),
            None => String::new(),
        }
    }
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

    /// [`Self::describe`] with its article: `an environment template`, `a service template with a pipeline`.
    pub fn describe_with_article(self) -> &'static str {
        match self {
            BundleKind::Environment => "an environment template",
            BundleKind::CustomerManagedEnvironment => "a customer-managed environment template (schema only)",
            BundleKind::Service { pipeline: true } => "a service template with a pipeline",
            BundleKind::Service { pipeline: false } => "a service template without a pipeline",
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
                findings.push(Finding::error("not valid UTF-8 text; save it as UTF-8").in_file(&schema_display));
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
    let why = bundle.missing_reason(SCHEMA_PATH);
    Finding::error(format!("{SCHEMA_PATH} is missing{why}{hint}")).in_file(bundle.source.clone())
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
        let why = bundle.missing_reason(&manifest_path);
        findings.push(
            Finding::error(format!("{folder}/manifest.yaml is missing{why}")).in_file(bundle.display_path(folder)),
        );
        return None;
    };
    let Ok(text) = std::str::from_utf8(bytes) else {
        findings.push(Finding::error("not valid UTF-8 text; save it as UTF-8").in_file(manifest_display));
        return None;
    };
    let (entry, f) = parse_manifest(text, &manifest_display);
    findings.extend(f);
    let entry = entry?;
    let path = format!("{folder}/{}", entry.file);
    let display = bundle.display_path(&path);
    let Some(bytes) = bundle.file(&path) else {
        findings.push(
            Finding::error(format!(
                "names the file `{}`, which is not in {folder}/{}",
                entry.file,
                bundle.missing_reason(&path)
            ))
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
            findings.push(Finding::error("not valid UTF-8 text; save it as UTF-8").in_file(display));
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
}
