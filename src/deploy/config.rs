//! The deploy file (`proton-deploy.yaml`): what is deployed, from which template bundle and spec, into which
//! stacks. It is the only local input of `deploy`, `status` and `upgrade`; everything else (what runs, at
//! which template version, from which spec) is read back from CloudFormation's tags.
//!
//! ```yaml
//! templates:                      # by Proton template name
//!   public-vpc:
//!     bundle: out/seed/proton/bundles/public-vpc.tar.gz   # folder or .tar.gz; relative to this file
//!     version: "1.0"              # major.minor, what Proton registered; `upgrade` moves stacks to it
//!   lb-fargate-service:
//!     bundle: out/seed/proton/bundles/lb-fargate-service.tar.gz
//!     version: "1.0"
//! environments:
//!   Beta:
//!     template: public-vpc
//!     spec: out/seed/proton/specs/public-vpc.env-spec.yaml
//!     stack_name: Beta            # optional (default: the environment's name); an existing stack, e.g.
//!                                 # one Proton created, is adopted: its next deploy is an UPDATE
//!   Prod:                         # in another account and Region (see `placement`): its stacks and its
//!     template: public-vpc        # service instances' stacks go there, through the role
//!     spec: prod-spec.yaml
//!     region: eu-west-1
//!     role_arn: arn:aws:iam::444455556666:role/proton-environment-deployer
//!     external_id: platform-team  # optional; session_name: optional (default proton-synth)
//!     s3_bucket: cfn-templates-444455556666-eu-west-1   # its own bucket for large templates
//! services:
//!   front-end:
//!     template: lb-fargate-service
//!     spec: out/seed/proton/specs/lb-fargate-service.svc-spec-1.yaml   # its instances name their environment
//!     pipeline: true              # default: deploy the pipeline when the bundle has one
//!     repository:                 # the pipeline's source (service.repository_* in the template)
//!       connection_arn: arn:aws:codestar-connections:us-east-1:111122223333:connection/0123
//!       id: my-org/front-end
//!       branch: main
//!     stack_names:                # optional; defaults: <service>-<instance>, <service>-pipeline
//!       instance-1: front-end-instance-1
//!       pipeline: front-end-pipeline
//! capabilities: [CAPABILITY_IAM, CAPABILITY_NAMED_IAM]   # optional; this is the default
//! role_arn: arn:aws:iam::111122223333:role/cfn-deployer  # optional CloudFormation service role
//! s3_bucket: my-cfn-templates     # optional: templates over 51,200 bytes go to s3://BUCKET/PREFIX/<stack>/
//! s3_prefix: proton-synth         # <sha256>.template (flags --s3-bucket/--s3-prefix override these)
//! ```

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::Deserialize;

use super::placement::{self, Placement, RawPlacement};
use super::s3::TemplateUpload;

/// A template version, `major.minor` as Proton numbered them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
}

impl Version {
    pub fn parse(text: &str) -> Option<Version> {
        let (major, minor) = text.trim().split_once('.')?;
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(major) || !digits(minor) {
            return None;
        }
        Some(Version {
            major: major.parse().ok()?,
            minor: minor.parse().ok()?,
        })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateRef {
    pub name: String,
    pub bundle: PathBuf,
    pub version: Version,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvironmentEntry {
    pub name: String,
    pub template: TemplateRef,
    pub spec: PathBuf,
    pub stack_name: String,
    /// Region and role of its stacks and its service instances' stacks (default: the standard chain's).
    pub placement: Placement,
    /// Its own `s3_bucket`/`s3_prefix`: a placed environment does not use the top-level bucket.
    pub upload: Option<TemplateUpload>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Repository {
    pub connection_arn: Option<String>,
    pub id: Option<String>,
    pub branch: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceEntry {
    pub name: String,
    pub template: TemplateRef,
    pub spec: PathBuf,
    /// `None`: deploy the pipeline when the bundle has one.
    pub pipeline: Option<bool>,
    pub repository: Repository,
    stack_names: IndexMap<String, String>,
    /// Region and role of its pipeline's stack (default: the standard chain's, as Proton did).
    pub placement: Placement,
    /// The pipeline's own `s3_bucket`/`s3_prefix` when it is placed.
    pub upload: Option<TemplateUpload>,
}

impl ServiceEntry {
    /// The stack of one instance (`pipeline` for the pipeline).
    pub fn stack_name(&self, instance: &str) -> String {
        self.stack_names
            .get(instance)
            .cloned()
            .unwrap_or_else(|| format!("{}-{instance}", self.name))
    }
}

/// A parsed, validated deploy file; paths are resolved against its folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeployFile {
    pub path: PathBuf,
    pub environments: Vec<EnvironmentEntry>,
    pub services: Vec<ServiceEntry>,
    pub capabilities: Vec<String>,
    pub role_arn: Option<String>,
    /// `s3_bucket` and `s3_prefix`: where templates over the inline limit are uploaded.
    pub upload: Option<TemplateUpload>,
}

/// What `deploy NAME` names.
#[derive(Clone, Copy, Debug)]
pub enum Target<'a> {
    Environment(&'a EnvironmentEntry),
    Service(&'a ServiceEntry),
}

impl DeployFile {
    pub fn environment(&self, name: &str) -> Option<&EnvironmentEntry> {
        self.environments.iter().find(|e| e.name == name)
    }

    pub fn target(&self, name: &str) -> Result<Target<'_>, String> {
        if let Some(e) = self.environment(name) {
            return Ok(Target::Environment(e));
        }
        if let Some(s) = self.services.iter().find(|s| s.name == name) {
            return Ok(Target::Service(s));
        }
        let known: Vec<&str> = (self.environments.iter().map(|e| e.name.as_str()))
            .chain(self.services.iter().map(|s| s.name.as_str()))
            .collect();
        let known = if known.is_empty() {
            "it names none; add one under `environments` or `services`".to_owned()
        } else {
            format!("it names: {}", known.join(", "))
        };
        Err(format!(
            "error: {}: no environment or service named `{name}`; {known}",
            self.path.display()
        ))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    templates: IndexMap<String, RawTemplate>,
    #[serde(default)]
    environments: IndexMap<String, RawEnvironment>,
    #[serde(default)]
    services: IndexMap<String, RawService>,
    capabilities: Option<Vec<String>>,
    role_arn: Option<String>,
    s3_bucket: Option<String>,
    s3_prefix: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTemplate {
    bundle: PathBuf,
    version: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnvironment {
    template: String,
    spec: PathBuf,
    stack_name: Option<String>,
    region: Option<String>,
    role_arn: Option<String>,
    external_id: Option<String>,
    session_name: Option<String>,
    s3_bucket: Option<String>,
    s3_prefix: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    template: String,
    spec: PathBuf,
    pipeline: Option<bool>,
    #[serde(default)]
    repository: Repository,
    #[serde(default)]
    stack_names: IndexMap<String, String>,
    region: Option<String>,
    role_arn: Option<String>,
    external_id: Option<String>,
    session_name: Option<String>,
    s3_bucket: Option<String>,
    s3_prefix: Option<String>,
}

/// The placement keys of an environment or service.
macro_rules! raw_placement {
    ($raw:expr) => {
        RawPlacement {
            region: $raw.region.as_deref(),
            role_arn: $raw.role_arn.as_deref(),
            external_id: $raw.external_id.as_deref(),
            session_name: $raw.session_name.as_deref(),
            s3_bucket: $raw.s3_bucket.as_deref(),
            s3_prefix: $raw.s3_prefix.as_deref(),
        }
    };
}

const DEFAULT_CAPABILITIES: [&str; 3] = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"];

/// Read and validate a deploy file. Errors are complete lines (`error: FILE: what; how to fix`), all at once.
pub fn load(path: &Path) -> Result<DeployFile, Vec<String>> {
    let shown = path.display().to_string();
    let raw = read_raw(path, &shown)?;
    let loader = Loader {
        shown: &shown,
        base: path.parent().map(Path::to_path_buf).unwrap_or_default(),
    };
    let mut errors = Vec::new();
    let templates = loader.templates(&raw.templates, &mut errors);
    let mut environments = Vec::new();
    for (name, e) in &raw.environments {
        environments.extend(loader.environment(&templates, name, e, &mut errors));
    }
    let mut services = Vec::new();
    for (name, s) in &raw.services {
        services.extend(loader.service(&templates, name, s, &mut errors));
    }
    check_names(&shown, &environments, &services, &mut errors);
    let upload = default_upload(&shown, &raw, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(DeployFile {
        path: path.to_path_buf(),
        environments,
        services,
        capabilities: (raw.capabilities)
            .unwrap_or_else(|| DEFAULT_CAPABILITIES.iter().map(|c| (*c).to_owned()).collect()),
        role_arn: raw.role_arn,
        upload,
    })
}

/// The deploy file's YAML, parsed but not yet validated.
fn read_raw(path: &Path, shown: &str) -> Result<RawFile, Vec<String>> {
    let text = fs::read_to_string(path).map_err(|e| {
        vec![format!(
            "error: {shown}: cannot read the deploy file: {e}; pass --file PATH"
        )]
    })?;
    serde_saphyr::from_str(&text).map_err(|e| {
        vec![format!(
            "error: {shown}: invalid deploy file: {e}; see `proton-synth deploy --help`"
        )]
    })
}

/// Validates the entries of one deploy file: `shown` names it in errors, `base` is the folder relative paths
/// are resolved against.
struct Loader<'a> {
    shown: &'a str,
    base: PathBuf,
}

impl Loader<'_> {
    fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base.join(p)
        }
    }

    /// The `templates` section, by name; an entry whose version is not `major.minor` is an error.
    fn templates(
        &self,
        raw: &IndexMap<String, RawTemplate>,
        errors: &mut Vec<String>,
    ) -> IndexMap<String, TemplateRef> {
        let shown = self.shown;
        let mut templates = IndexMap::new();
        for (name, t) in raw {
            match Version::parse(&t.version) {
                Some(version) => {
                    let bundle = self.resolve(&t.bundle);
                    templates.insert(
                        name.clone(),
                        TemplateRef {
                            name: name.clone(),
                            bundle,
                            version,
                        },
                    );
                }
                None => errors.push(format!(
                    "error: {shown}: templates.{name}.version `{}` is not major.minor; write e.g. \"1.0\"",
                    t.version
                )),
            }
        }
        templates
    }

    /// The template `owner` (`environments.NAME` or `services.NAME`) names, which must be under `templates`.
    fn template(
        &self,
        templates: &IndexMap<String, TemplateRef>,
        owner: &str,
        name: &str,
        errors: &mut Vec<String>,
    ) -> Option<TemplateRef> {
        let shown = self.shown;
        match templates.get(name) {
            Some(t) => Some(t.clone()),
            None => {
                errors.push(format!(
                    "error: {shown}: {owner}.template `{name}` is not under `templates`; add it with its bundle and version"
                ));
                None
            }
        }
    }

    /// One entry of `environments` (`None` when its template is missing; the error is in `errors`).
    fn environment(
        &self,
        templates: &IndexMap<String, TemplateRef>,
        name: &str,
        e: &RawEnvironment,
        errors: &mut Vec<String>,
    ) -> Option<EnvironmentEntry> {
        let owner = format!("environments.{name}");
        let (placement, upload) = placement::check(self.shown, &owner, &raw_placement!(e), errors);
        let template = self.template(templates, &owner, &e.template, errors)?;
        Some(EnvironmentEntry {
            name: name.to_owned(),
            template,
            spec: self.resolve(&e.spec),
            stack_name: e.stack_name.clone().unwrap_or_else(|| name.to_owned()),
            placement,
            upload,
        })
    }

    /// One entry of `services` (`None` when its template is missing; the error is in `errors`).
    fn service(
        &self,
        templates: &IndexMap<String, TemplateRef>,
        name: &str,
        s: &RawService,
        errors: &mut Vec<String>,
    ) -> Option<ServiceEntry> {
        let owner = format!("services.{name}");
        let (placement, upload) = placement::check(self.shown, &owner, &raw_placement!(s), errors);
        let template = self.template(templates, &owner, &s.template, errors)?;
        Some(ServiceEntry {
            name: name.to_owned(),
            template,
            spec: self.resolve(&s.spec),
            pipeline: s.pipeline,
            repository: s.repository.clone(),
            stack_names: s.stack_names.clone(),
            placement,
            upload,
        })
    }
}

/// The file-wide bucket for large templates (`s3_bucket`, `s3_prefix`), if any.
fn default_upload(shown: &str, raw: &RawFile, errors: &mut Vec<String>) -> Option<TemplateUpload> {
    match (&raw.s3_bucket, &raw.s3_prefix) {
        (Some(bucket), prefix) => {
            (TemplateUpload::new(bucket, prefix.as_deref(), &format!("error: {shown}: s3_bucket")))
                .map_err(|e| errors.push(e))
                .ok()
        }
        (None, Some(_)) => {
            errors.push(format!(
                "error: {shown}: s3_prefix is set without s3_bucket; add the bucket or remove the prefix"
            ));
            None
        }
        (None, None) => None,
    }
}

fn check_names(shown: &str, envs: &[EnvironmentEntry], services: &[ServiceEntry], errors: &mut Vec<String>) {
    for s in services {
        if envs.iter().any(|e| e.name == s.name) {
            errors.push(format!(
                "error: {shown}: `{}` is both an environment and a service; rename one",
                s.name
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_deploy_file_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/proton-deploy.yaml");
        let file = load(&path).unwrap();
        let Ok(Target::Service(svc)) = file.target("front-end") else {
            panic!("front-end is a service")
        };
        assert_eq!(svc.template.name, "lb-fargate-service");
        assert_eq!(svc.repository.branch.as_deref(), Some("main"));
        assert_eq!(file.environment("Beta").unwrap().stack_name, "Beta");
    }

    #[test]
    fn versions_parse_as_major_minor() {
        assert_eq!(Version::parse("1.10"), Some(Version { major: 1, minor: 10 }));
        assert!(Version::parse("1.2") < Version::parse("1.10"));
        for bad in ["1", "1.", ".1", "1.2.3", "a.b", "-1.0"] {
            assert_eq!(Version::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_deploy_file_resolves_paths_and_defaults() {
        let dir = std::env::temp_dir().join(format!("proton-deploy-config-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("proton-deploy.yaml");
        fs::write(
            &path,
            "templates:\n  env: {bundle: b/env, version: \"1.2\"}\n  svc: {bundle: /abs/svc, version: \"2.0\"}\n\
             environments:\n  Beta: {template: env, spec: s/env.yaml}\n\
             services:\n  web: {template: svc, spec: s/svc.yaml, stack_names: {pipeline: web-pipe}}\n",
        )
        .unwrap();
        let file = load(&path).unwrap();
        let beta = file.environment("Beta").unwrap();
        assert_eq!(
            (beta.stack_name.as_str(), beta.template.bundle.clone()),
            ("Beta", dir.join("b/env"))
        );
        assert_eq!(beta.template.version, Version { major: 1, minor: 2 });
        let Ok(Target::Service(web)) = file.target("web") else {
            panic!("web is a service")
        };
        assert_eq!(web.template.bundle, PathBuf::from("/abs/svc"));
        assert_eq!(
            (web.stack_name("pipeline"), web.stack_name("i1")),
            ("web-pipe".into(), "web-i1".into())
        );
        assert_eq!(file.capabilities.len(), 3);
        assert!(file.target("nope").unwrap_err().contains("it names: Beta, web"));
        fs::write(
            &path,
            "templates:\n  env: {bundle: b, version: \"1\"}\nenvironments:\n  E: {template: x, spec: s}\n",
        )
        .unwrap();
        let errors = load(&path).unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].contains("not major.minor") && errors[1].contains("`x` is not under `templates`"));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_upload_bucket_and_prefix_are_read_and_checked() {
        let dir = std::env::temp_dir().join(format!("proton-deploy-s3-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("proton-deploy.yaml");
        let shown = path.display();
        fs::write(&path, "s3_bucket: cfn-templates\ns3_prefix: /teams/web/\n").unwrap();
        let upload = load(&path).unwrap().upload.unwrap();
        assert_eq!(
            (upload.bucket.as_str(), upload.prefix.as_str()),
            ("cfn-templates", "teams/web")
        );
        fs::write(&path, "s3_prefix: x\n").unwrap();
        assert_eq!(
            load(&path).unwrap_err(),
            [format!(
                "error: {shown}: s3_prefix is set without s3_bucket; add the bucket or remove the prefix"
            )]
        );
        fs::write(&path, "s3_bucket: Templates\n").unwrap();
        assert_eq!(
            load(&path).unwrap_err(),
            [format!(
                "error: {shown}: s3_bucket: `Templates` is not an S3 bucket name: only lowercase letters, digits, \
                 dots and hyphens are allowed; name an existing bucket of this account"
            )]
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
