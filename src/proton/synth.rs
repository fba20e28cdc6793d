//! `EnvironmentTemplate::synth` and `ServiceTemplate::synth`: one template's bundle files, archive, sample
//! specs and plain CloudFormation, with every check of [`super::check`].

use std::collections::BTreeMap;

use proton_synth_constructs::synth::Node;
use proton_synth_constructs::{Diagnostic, Diagnostics};
use serde_json::{json, Map, Value as J};

use super::archive::finish_bundle;
use super::bundle::{split, summaries, synth_iac, SpecSettings, TemplateOutput, IAC_FILE, MANIFEST_YAML};
use super::check::{check_inputs, check_type_names, check_usage, list, validate_input_value, FileCheck, Usage};
use super::format::{check_name, limits, InfraKind, TemplateKind};
use super::input::InputSpec;
use super::schema::{checker_schema, schema_yaml, SchemaType};
use super::template::{EnvironmentInterface, EnvironmentTemplate, ServiceTemplate};
use super::writer::{node_to_plain_yaml, to_plain_yaml};
use crate::engine::Schema;

impl EnvironmentTemplate {
    /// Synthesize the bundle, archive, sample spec and plain CloudFormation.
    pub fn synth(&self, _settings: &SpecSettings) -> Result<TemplateOutput, Diagnostics> {
        let mut diags = Vec::new();
        if let Err(e) = check_name("template name", &self.name) {
            diags.push(Diagnostic::error(&self.name, e));
        }
        let check = FileCheck {
            template_kind: TemplateKind::Environment,
            template: &self.name,
            kind: InfraKind::Environment,
            inputs: [(InfraKind::Environment, self.part.inputs.as_slice())]
                .into_iter()
                .collect(),
        };
        let mut usage = Usage::default();
        let (iac, plain) = synth_iac(&self.part, &check, &mut usage, &mut diags, true);
        // A template that failed to synthesize has an incomplete usage record: its unused-input findings
        // would only echo the error already reported.
        if iac.is_some() {
            check_usage(
                &self.name,
                &[(InfraKind::Environment, &self.part.inputs)],
                &usage,
                &mut diags,
            );
        }
        let sample = check_inputs(&self.name, InfraKind::Environment, &self.part.inputs, &mut diags);
        let (type_name, type_description) = self.schema_input_type();
        let env_type = SchemaType {
            key: InfraKind::Environment.input_type_key(),
            name: type_name,
            description: type_description,
            inputs: &self.part.inputs,
        };
        check_type_names(TemplateKind::Environment, &self.name, &[&env_type], &mut diags);
        let schema = checker_schema(&[&env_type]);
        let mut files = BTreeMap::new();
        files.insert(
            "schema/schema.yaml".to_owned(),
            schema_yaml(env_type, None).into_bytes(),
        );
        insert_iac(&mut files, InfraKind::Environment, iac);
        let tar_gz = finish_bundle(&self.name, &files, &mut diags);
        let spec = to_plain_yaml(&json!({ "proton": "EnvironmentSpec", "spec": sample }));
        let warnings = split(diags)?;
        Ok(TemplateOutput {
            name: self.name.clone(),
            kind: TemplateKind::Environment,
            major: self.major,
            bundle: files,
            tar_gz,
            registration: None,
            specs: vec![(format!("{}.env-spec.yaml", self.name), spec)],
            plain: plain
                .map(|p| (format!("{}.template.json", self.name), p))
                .into_iter()
                .collect(),
            inputs: summaries(InfraKind::Environment, &self.part.inputs).collect(),
            outputs: self.outputs.clone(),
            compatible: Vec::new(),
            warnings,
            schema,
        })
    }
}

impl ServiceTemplate {
    /// Synthesize the bundle, archive, registration, sample specs and plain CloudFormation. `compatible`
    /// are the environment contracts to check against (by default [`ServiceTemplate::compatible_environments`];
    /// the app passes the environment templates it synthesizes itself).
    pub fn synth(
        &self,
        settings: &SpecSettings,
        compatible: Option<&[EnvironmentInterface]>,
    ) -> Result<TemplateOutput, Diagnostics> {
        let compatible = compatible.unwrap_or(&self.compatible);
        let mut diags = Vec::new();
        if let Err(e) = check_name("template name", &self.name) {
            diags.push(Diagnostic::error(&self.name, e));
        }
        if compatible.is_empty() || compatible.len() > limits::MAX_COMPATIBLE_ENVIRONMENTS {
            diags.push(Diagnostic::error(
                &self.name,
                format!(
                    "a service template needs 1 to {} compatible environment templates, it has {}",
                    limits::MAX_COMPATIBLE_ENVIRONMENTS,
                    compatible.len()
                ),
            ));
        }
        let pipeline_inputs = self.pipeline_inputs();
        let mut usage = Usage::default();
        let (iac, plain) = synth_iac(
            &self.instance,
            &self.file_check(InfraKind::ServiceInstance),
            &mut usage,
            &mut diags,
            true,
        );
        // The plain pipeline is written for one instance (see `super::pipeline_plain`).
        let (pipeline_iac, plain_pipeline) = match &self.pipeline {
            Some(p) => {
                let check = self.file_check(InfraKind::Pipeline);
                let (iac, plain) = synth_iac(&p.part, &check, &mut usage, &mut diags, true);
                (Some(iac), plain)
            }
            None => (None, None),
        };
        self.check_outputs_read(&usage, compatible, &mut diags);
        super::component::check_component_reads(self, &usage.component_outputs, &mut diags);
        let mut declared: Vec<(InfraKind, &[InputSpec])> = vec![(InfraKind::ServiceInstance, &self.instance.inputs)];
        if self.pipeline.is_some() {
            declared.push((InfraKind::Pipeline, pipeline_inputs));
        }
        if iac.is_some() && pipeline_iac.as_ref().is_none_or(Option::is_some) {
            check_usage(&self.name, &declared, &usage, &mut diags);
        }
        let samples = (
            check_inputs(
                &self.name,
                InfraKind::ServiceInstance,
                &self.instance.inputs,
                &mut diags,
            ),
            check_inputs(&self.name, InfraKind::Pipeline, pipeline_inputs, &mut diags),
        );
        let (files, schema) = self.bundle_files(iac, pipeline_iac, &mut diags);
        let tar_gz = finish_bundle(&self.name, &files, &mut diags);
        let compat_refs: Vec<String> = compatible.iter().map(EnvironmentInterface::reference).collect();
        let mut registration = json!({ "compatible_environments": compat_refs });
        if !self.components.is_empty() {
            registration["supported_component_sources"] = json!(["DIRECTLY_DEFINED"]);
        }
        let registration = to_plain_yaml(&registration);
        let specs = self.sample_specs(settings, &samples.0, &samples.1, &mut diags);
        let warnings = split(diags)?;
        let mut inputs_summary: Vec<_> = summaries(InfraKind::ServiceInstance, &self.instance.inputs).collect();
        inputs_summary.extend(summaries(InfraKind::Pipeline, pipeline_inputs));
        Ok(TemplateOutput {
            name: self.name.clone(),
            kind: TemplateKind::Service,
            major: self.major,
            bundle: files,
            tar_gz,
            registration: Some(registration),
            specs,
            plain: plain
                .map(|p| (format!("{}.instance.template.json", self.name), p))
                .into_iter()
                .chain(plain_pipeline.map(|p| (format!("{}.pipeline.template.json", self.name), p)))
                .collect(),
            inputs: inputs_summary,
            outputs: self.instance_outputs.clone(),
            compatible: compat_refs,
            warnings,
            schema,
        })
    }

    fn pipeline_inputs(&self) -> &[InputSpec] {
        self.pipeline.as_ref().map(|p| p.part.inputs.as_slice()).unwrap_or(&[])
    }

    /// The check of one of the service's IaC files: its kind, with the instance and pipeline inputs.
    fn file_check(&self, kind: InfraKind) -> FileCheck<'_> {
        let inputs: BTreeMap<InfraKind, &[InputSpec]> = [
            (InfraKind::ServiceInstance, self.instance.inputs.as_slice()),
            (InfraKind::Pipeline, self.pipeline_inputs()),
        ]
        .into_iter()
        .collect();
        FileCheck {
            template_kind: TemplateKind::Service,
            template: &self.name,
            kind,
            inputs,
        }
    }

    /// Every environment output read must be declared by every compatible environment template, and every
    /// instance output the pipeline reads by the instance template.
    fn check_outputs_read(&self, usage: &Usage, compatible: &[EnvironmentInterface], diags: &mut Vec<Diagnostic>) {
        for (path, out) in &usage.env_outputs {
            for env in compatible {
                if !env.outputs.contains(out) {
                    diags.push(Diagnostic::error(
                        &self.name,
                        format!(
                            "service template {:?} reads environment output {out:?} (`{path}`), which environment template {:?} does not declare (it declares: {})",
                            self.name,
                            env.reference(),
                            list(env.outputs.iter().map(String::as_str))
                        ),
                    ));
                }
            }
        }
        for (path, out) in &usage.instance_outputs {
            if !self.instance_outputs.contains(out) {
                diags.push(Diagnostic::error(
                    &self.name,
                    format!(
                        "the pipeline of service template {:?} reads instance output {out:?} (`{path}`), which its instance template does not declare (it declares: {})",
                        self.name,
                        list(self.instance_outputs.iter().map(String::as_str))
                    ),
                ));
            }
        }
    }

    /// The bundle's files (the schema with the service (and pipeline) input types, and each IaC folder), and the schema as the
    /// checker reads it.
    fn bundle_files(
        &self,
        iac: Option<String>,
        pipeline_iac: Option<Option<String>>,
        diags: &mut Vec<Diagnostic>,
    ) -> (BTreeMap<String, Vec<u8>>, Schema) {
        let (type_name, type_description) = self.schema_input_type();
        let service_type = SchemaType {
            key: InfraKind::ServiceInstance.input_type_key(),
            name: type_name,
            description: type_description,
            inputs: &self.instance.inputs,
        };
        let pipeline_type = self.pipeline.as_ref().map(|p| {
            let (name, description) = p.schema_input_type();
            SchemaType {
                key: InfraKind::Pipeline.input_type_key(),
                name,
                description,
                inputs: self.pipeline_inputs(),
            }
        });
        let types: Vec<&SchemaType<'_>> = std::iter::once(&service_type).chain(pipeline_type.as_ref()).collect();
        check_type_names(TemplateKind::Service, &self.name, &types, diags);
        let schema = checker_schema(&types);
        let mut files = BTreeMap::new();
        files.insert(
            "schema/schema.yaml".to_owned(),
            schema_yaml(service_type, pipeline_type).into_bytes(),
        );
        insert_iac(&mut files, InfraKind::ServiceInstance, iac);
        if let Some(p) = pipeline_iac {
            insert_iac(&mut files, InfraKind::Pipeline, p);
        } else {
            diags.push(Diagnostic::warning(
                &self.name,
                "the service template has no pipeline: create it with `--pipeline-provisioning CUSTOMER_MANAGED`",
            ));
        }
        (files, schema)
    }

    /// The spec of instance `n` (1-based): the sample (`base`, the tree of `sample`), with its own value of each
    /// unique-per-instance input. `Err` when that value fails the input's constraints.
    fn instance_spec(&self, sample: &Map<String, J>, base: &Node, n: usize) -> Result<Node, String> {
        let mut spec = base.clone();
        for input in self.instance.inputs.iter().filter(|i| i.unique_per_instance) {
            if let Some(v) = sample.get(&input.name) {
                let v = input.instance_sample_value(v, n);
                validate_input_value(input, &v).map_err(|e| {
                    format!(
                        "the sample spec value of instance {n} of unique-per-instance input {e}; let the pattern \
                         admit a `-N` suffix, or drop .unique_per_instance()"
                    )
                })?;
                spec.insert(input.name.clone(), Node::from(&v));
            }
        }
        Ok(spec)
    }

    /// One sample ServiceSpec per instance count of the settings.
    fn sample_specs(
        &self,
        settings: &SpecSettings,
        instance_sample: &Map<String, J>,
        pipeline_sample: &Map<String, J>,
        diags: &mut Vec<Diagnostic>,
    ) -> Vec<(String, String)> {
        let mut specs = Vec::new();
        if let Err(e) = check_name("environment name", &settings.environment) {
            diags.push(Diagnostic::error(&self.name, e));
        }
        // The sample as a tree once; each instance copies it (specs of 20 instances are most of the work).
        let base = json_map_node(instance_sample);
        let pipeline = self.pipeline.as_ref().map(|_| json_map_node(pipeline_sample));
        for &n in &settings.instance_counts {
            if n == 0 || n > limits::MAX_INSTANCES {
                diags.push(Diagnostic::error(
                    &self.name,
                    format!(
                        "a sample spec with {n} instances: AWS Proton allows 1 to {} per service",
                        limits::MAX_INSTANCES
                    ),
                ));
                continue;
            }
            let instances = (1..=n)
                .map(|i| {
                    let spec = self.instance_spec(instance_sample, &base, i)?;
                    Ok(Node::map([
                        ("name", Node::str(format!("instance-{i}"))),
                        ("environment", Node::str(settings.environment.clone())),
                        ("spec", spec),
                    ]))
                })
                .collect::<Result<Vec<Node>, String>>();
            let instances = match instances {
                Ok(instances) => instances,
                Err(e) => {
                    diags.push(Diagnostic::error(&self.name, e));
                    break;
                }
            };
            let mut spec = vec![("proton".into(), Node::str("ServiceSpec"))];
            if let Some(p) = &pipeline {
                spec.push(("pipeline".into(), p.clone()));
            }
            spec.push(("instances".into(), Node::List(instances)));
            specs.push((
                format!("{}.svc-spec-{n}.yaml", self.name),
                node_to_plain_yaml(&Node::Map(spec)),
            ));
        }
        specs
    }
}

/// A JSON object as a tree, members in order.
fn json_map_node(m: &Map<String, J>) -> Node {
    Node::Map(m.iter().map(|(k, v)| (k.clone().into(), Node::from(v))).collect())
}

/// The manifest and IaC file of one infrastructure folder (an empty IaC file when synthesis failed: the
/// errors are reported and nothing is written).
fn insert_iac(files: &mut BTreeMap<String, Vec<u8>>, kind: InfraKind, iac: Option<String>) {
    let folder = kind.folder();
    files.insert(format!("{folder}/manifest.yaml"), MANIFEST_YAML.as_bytes().to_vec());
    files.insert(format!("{folder}/{IAC_FILE}"), iac.unwrap_or_default().into_bytes());
}
