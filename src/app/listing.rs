//! What `list` shows of each template ([`App::listing`], [`ProtonListing::to_text`], [`proton_listing`]) and
//! what `manifest.json` records of a synthesis run.

use super::{App, Report, ServiceSource};
use crate::proton::{EnvironmentInterface, InfraKind, InputType, TemplateKind, TemplateOutput};

impl App {
    /// What `list` shows of each template, from the declarations alone: nothing is synthesized (service
    /// templates added with [`App::add_service_with`] are built, one at a time).
    pub fn listing(&self) -> Vec<Listing> {
        let mut out: Vec<Listing> = self
            .stacks
            .iter()
            .map(|s| Listing::Stack {
                name: s.name().to_owned(),
                resources: s.resources().count(),
            })
            .collect();
        for env in &self.environments {
            out.push(Listing::Proton(ProtonListing {
                name: env.name.clone(),
                kind: TemplateKind::Environment,
                major: env.major,
                compatible: Vec::new(),
                inputs: input_summaries(&[(InfraKind::Environment, &env.part.inputs)]),
                outputs: env.outputs.clone(),
            }));
        }
        for env in &self.customer_managed {
            out.push(Listing::Proton(ProtonListing {
                name: env.name().to_owned(),
                kind: TemplateKind::Environment,
                major: env.major(),
                compatible: Vec::new(),
                inputs: input_summaries(&[(InfraKind::Environment, env.output_specs())]),
                outputs: env.interface().outputs,
            }));
        }
        for c in &self.components {
            out.push(Listing::Component {
                name: c.name().to_owned(),
                resources: c.stack().resources().count(),
                outputs: c.outputs().to_vec(),
            });
        }
        for source in &self.services {
            let built;
            let svc = match source {
                ServiceSource::Built(s) => s,
                ServiceSource::Deferred(build) => {
                    built = build();
                    &built
                }
            };
            let pipeline: &[crate::proton::InputSpec] = svc.pipeline.as_ref().map_or(&[], |p| &p.part.inputs);
            out.push(Listing::Proton(ProtonListing {
                name: svc.name.clone(),
                kind: TemplateKind::Service,
                major: svc.major,
                compatible: self
                    .compatible_of(svc)
                    .iter()
                    .map(EnvironmentInterface::reference)
                    .collect(),
                inputs: input_summaries(&[
                    (InfraKind::ServiceInstance, &svc.instance.inputs),
                    (InfraKind::Pipeline, pipeline),
                ]),
                outputs: svc.instance_outputs.clone(),
            }));
        }
        out
    }
}

/// One template as `list` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Listing {
    /// A plain CloudFormation template and its resource count.
    Stack {
        name: String,
        resources: usize,
    },
    Proton(ProtonListing),
    /// A directly defined component: its resource count and outputs.
    Component {
        name: String,
        resources: usize,
        outputs: Vec<String>,
    },
}

/// An AWS Proton template as `list` shows it: its interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtonListing {
    pub name: String,
    pub kind: TemplateKind,
    pub major: u32,
    /// Compatible environments (`name:major`) of a service.
    pub compatible: Vec<String>,
    pub inputs: Vec<(InfraKind, String, InputType)>,
    /// Environment outputs, or the instance outputs of a service.
    pub outputs: Vec<String>,
}

impl ProtonListing {
    /// The `list` lines: header, inputs, outputs.
    pub fn to_text(&self) -> String {
        let mut s = format!("{}\tproton-{}\tv{}", self.name, self.kind.as_str(), self.major);
        if !self.compatible.is_empty() {
            s.push_str(&format!("\tcompatible: {}", self.compatible.join(", ")));
        }
        s.push('\n');
        for (kind, name, ty) in &self.inputs {
            s.push_str(&format!("  input  {}.inputs.{name}: {ty:?}\n", kind.global()));
        }
        for out in &self.outputs {
            s.push_str(&format!("  output {out}\n"));
        }
        s
    }
}

fn input_summaries(kinds: &[(InfraKind, &[crate::proton::InputSpec])]) -> Vec<(InfraKind, String, InputType)> {
    kinds
        .iter()
        .flat_map(|(k, inputs)| inputs.iter().map(move |i| (*k, i.name.clone(), i.ty)))
        .collect()
}

/// The `list` lines of a synthesized Proton template: header, inputs, outputs.
pub fn proton_listing(o: &TemplateOutput) -> String {
    ProtonListing {
        name: o.name.clone(),
        kind: o.kind,
        major: o.major,
        compatible: o.compatible.clone(),
        inputs: o.inputs.clone(),
        outputs: o.outputs.clone(),
    }
    .to_text()
}

/// `manifest.json` (field order is the file's key order).
#[derive(serde::Serialize)]
struct Manifest<'a> {
    app: &'a str,
    templates: Vec<ManifestTemplate<'a>>,
    proton: Vec<ManifestProton<'a>>,
    files: Vec<ManifestFile<'a>>,
}
#[derive(serde::Serialize)]
struct ManifestTemplate<'a> {
    name: &'a str,
    kind: &'a str,
    files: &'a [String],
    resources: usize,
    parameters: usize,
    outputs: usize,
    bytes: usize,
}
#[derive(serde::Serialize)]
struct ManifestProton<'a> {
    name: &'a str,
    kind: &'a str,
    major: u32,
    inputs: Vec<ManifestInput<'a>>,
    outputs: &'a [String],
    compatible_environments: &'a [String],
    files: &'a [String],
}
#[derive(serde::Serialize)]
struct ManifestInput<'a> {
    namespace: &'a str,
    name: &'a str,
    #[serde(rename = "type")]
    ty: String,
}
#[derive(serde::Serialize)]
struct ManifestFile<'a> {
    path: &'a str,
    bytes: usize,
}

/// `manifest.json`, serialized straight from the report (it lists every file: no copy of it is built).
pub(super) fn manifest_json(app: &str, s: &Report) -> String {
    let templates = s.summaries.iter().map(|t| ManifestTemplate {
        name: &t.name,
        kind: t.kind,
        files: &t.files,
        resources: t.stats.resources,
        parameters: t.stats.parameters,
        outputs: t.stats.outputs,
        bytes: t.stats.bytes,
    });
    let proton = s.proton.iter().map(|p| {
        let o = &p.output;
        let inputs = o.inputs.iter().map(|(k, n, t)| ManifestInput {
            namespace: k.global(),
            name: n,
            ty: format!("{t:?}"),
        });
        ManifestProton {
            name: &o.name,
            kind: o.kind.as_str(),
            major: o.major,
            inputs: inputs.collect(),
            outputs: &o.outputs,
            compatible_environments: &o.compatible,
            files: &p.files,
        }
    });
    let manifest = Manifest {
        app,
        templates: templates.collect(),
        proton: proton.collect(),
        files: s
            .files
            .iter()
            .map(|(path, &bytes)| ManifestFile { path, bytes })
            .collect(),
    };
    // Sized up front (~100 bytes a file, ~2 KB a template): a growing buffer of megabytes costs more in fresh
    // pages than the serialization itself.
    let mut out = Vec::with_capacity(128 * manifest.files.len() + 2048 * (manifest.proton.len() + 1));
    // Serializing borrowed strings and numbers cannot fail.
    let _ = serde_json::to_writer_pretty(&mut out, &manifest);
    out.push(b'\n');
    String::from_utf8(out).unwrap_or_default()
}
