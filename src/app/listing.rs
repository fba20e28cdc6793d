//! What `list` shows of each template ([`App::listing`], [`ProtonListing::to_text`], [`proton_listing`]) and
//! what `manifest.json` records of a synthesis run.

use super::{App, ProtonSummary, Report, ServiceSource};
use crate::proton::{EnvironmentInterface, InfraKind, InputType, TemplateKind, TemplateOutput};
use proton_synth_constructs::synth::PrettyJson;

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

/// `manifest.json`, written straight from the report (it lists every file: no copy of it is built). Keys in
/// this order: `app`, `templates` (name, kind, files, resources, parameters, outputs, bytes), `proton` (name,
/// kind, major, inputs — namespace, name, type —, outputs, compatible_environments, files), `files` (path,
/// bytes), in serde_json's pretty format.
pub(super) fn manifest_json(app: &str, s: &Report) -> String {
    // Sized up front (~100 bytes a file, ~2 KB a template): a growing buffer of megabytes costs more in fresh
    // pages than the writing itself.
    let mut j = PrettyJson::with_capacity(128 * s.files.len() + 2048 * (s.proton.len() + 1));
    j.open_object();
    j.key("app");
    j.str(app);
    j.key("templates");
    j.open_array();
    for t in &s.summaries {
        j.item();
        j.open_object();
        j.key("name");
        j.str(&t.name);
        j.key("kind");
        j.str(t.kind);
        j.key("files");
        j.strs(&t.files);
        for (key, n) in [
            ("resources", t.stats.resources),
            ("parameters", t.stats.parameters),
            ("outputs", t.stats.outputs),
            ("bytes", t.stats.bytes),
        ] {
            j.key(key);
            j.uint(n as u64);
        }
        j.close_object();
    }
    j.close_array();
    j.key("proton");
    j.open_array();
    for p in &s.proton {
        manifest_proton(&mut j, p);
    }
    j.close_array();
    j.key("files");
    j.open_array();
    for (path, &bytes) in &s.files {
        j.item();
        j.open_object();
        j.key("path");
        j.str(path);
        j.key("bytes");
        j.uint(bytes as u64);
        j.close_object();
    }
    j.close_array();
    j.close_object();
    j.finish()
}

/// One entry of `manifest.json`'s `proton` list.
fn manifest_proton(j: &mut PrettyJson, p: &ProtonSummary) {
    let o = &p.output;
    j.item();
    j.open_object();
    j.key("name");
    j.str(&o.name);
    j.key("kind");
    j.str(o.kind.as_str());
    j.key("major");
    j.uint(u64::from(o.major));
    j.key("inputs");
    j.open_array();
    for (kind, name, ty) in &o.inputs {
        j.item();
        j.open_object();
        j.key("namespace");
        j.str(kind.global());
        j.key("name");
        j.str(name);
        j.key("type");
        j.str(&format!("{ty:?}"));
        j.close_object();
    }
    j.close_array();
    j.key("outputs");
    j.strs(&o.outputs);
    j.key("compatible_environments");
    j.strs(&o.compatible);
    j.key("files");
    j.strs(&p.files);
    j.close_object();
}
