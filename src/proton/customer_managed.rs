//! Customer-managed (imported) environment templates: a bundle with only `schema/schema.yaml`, for
//! environments whose infrastructure is provisioned outside Proton (`aws proton create-environment-template
//! --provisioning CUSTOMER_MANAGED`). The schema's environment input type lists the outputs such an
//! environment provides, as string properties without defaults, all required (format notes, section 1.3);
//! the environment's spec supplies their values, and service templates read them as
//! `environment.outputs.<name>`, exactly like the outputs of a standard environment template.
//!
//! ```
//! use proton_synth::proton::{CustomerManagedEnvironmentTemplate, SpecSettings};
//!
//! let mut env = CustomerManagedEnvironmentTemplate::new("imported-vpc");
//! env.output("VpcId").output_with_description("PrivateSubnetIds", "Comma-separated private subnet IDs");
//! let iface = env.interface(); // what services are written against: ServiceTemplate::new("svc", &[iface])
//! assert_eq!(iface.outputs, ["VpcId", "PrivateSubnetIds"]);
//! let out = env.synth(&SpecSettings::default()).unwrap();
//! assert_eq!(out.bundle.keys().collect::<Vec<_>>(), ["schema/schema.yaml"]);
//! ```

use std::collections::BTreeMap;

use proton_synth_constructs::{Diagnostic, Diagnostics};
use serde_json::{json, Map};

use super::bundle::{deterministic_tar_gz, is_logical_id, TemplateOutput};
use super::format::{check_name, is_identifier, InfraKind, TemplateKind};
use super::input::{InputDef, InputSpec};
use super::schema::{checker_schema, schema_yaml, SchemaType};
use super::template::{EnvironmentInterface, DEFAULT_ENVIRONMENT_INPUT_TYPE};
use super::writer::to_plain_yaml;
use super::SpecSettings;

/// A customer-managed environment template: the outputs an externally provisioned environment provides.
#[derive(Clone, Debug)]
pub struct CustomerManagedEnvironmentTemplate {
    name: String,
    major: u32,
    description: Option<String>,
    input_type_name: Option<String>,
    outputs: Vec<InputSpec>,
}

impl CustomerManagedEnvironmentTemplate {
    /// A new customer-managed environment template, major version 1.
    pub fn new(name: &str) -> Self {
        CustomerManagedEnvironmentTemplate {
            name: name.to_owned(),
            major: 1,
            description: None,
            input_type_name: None,
            outputs: Vec::new(),
        }
    }

    /// The major version (template-sync folder `v<major>`, services' `compatible_environments`).
    pub fn major_version(mut self, major: u32) -> Self {
        self.major = major;
        self
    }

    /// The description of the schema's environment input type.
    pub fn description(mut self, d: &str) -> Self {
        self.description = Some(d.to_owned());
        self
    }

    /// The name of the schema input type (default [`DEFAULT_ENVIRONMENT_INPUT_TYPE`]); an identifier.
    pub fn input_type_name(mut self, name: &str) -> Self {
        self.input_type_name = Some(name.to_owned());
        self
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn major(&self) -> u32 {
        self.major
    }

    /// Declare an output the environment provides (a required string property of the schema).
    pub fn output(&mut self, name: &str) -> &mut Self {
        self.outputs.push(InputDef::string(name).required().spec);
        self
    }

    /// [`CustomerManagedEnvironmentTemplate::output`] with the property's description.
    pub fn output_with_description(&mut self, name: &str, description: &str) -> &mut Self {
        self.outputs
            .push(InputDef::string(name).required().description(description).spec);
        self
    }

    /// The outputs as the schema's input properties (required strings).
    pub fn output_specs(&self) -> &[InputSpec] {
        &self.outputs
    }

    /// The contract service templates are written against, as for a standard environment template.
    pub fn interface(&self) -> EnvironmentInterface {
        EnvironmentInterface::new(&self.name, self.major, self.outputs.iter().map(|o| o.name.as_str()))
    }

    /// Synthesize the schema-only bundle, its archive and a sample spec (made-up output values to replace).
    pub fn synth(&self, _settings: &SpecSettings) -> Result<TemplateOutput, Diagnostics> {
        let mut diags = Vec::new();
        let err = |msg: String| Diagnostic::error(&self.name, msg);
        if let Err(e) = check_name("template name", &self.name) {
            diags.push(err(e));
        }
        let type_name = self
            .input_type_name
            .as_deref()
            .unwrap_or(DEFAULT_ENVIRONMENT_INPUT_TYPE);
        if !is_identifier(type_name) {
            diags.push(err(format!(
                "customer-managed environment template {:?}: the schema input type name {type_name:?} must be an identifier ([A-Za-z_][A-Za-z0-9_]*)",
                self.name
            )));
        }
        if self.outputs.is_empty() {
            diags.push(err(format!(
                "customer-managed environment template {:?} declares no output; declare what the environment provides with .output(…)",
                self.name
            )));
        }
        let mut sample = Map::new();
        for (i, o) in self.outputs.iter().enumerate() {
            if !is_logical_id(&o.name) {
                diags.push(err(format!(
                    "environment output name {:?} must be alphanumeric (a CloudFormation output logical ID)",
                    o.name
                )));
            }
            if self.outputs[..i].iter().any(|p| p.name == o.name) {
                diags.push(err(format!("environment output {:?} is declared twice", o.name)));
            }
            sample.insert(o.name.clone(), json!(format!("example-{}", o.name)));
        }
        let env_type = SchemaType {
            key: InfraKind::Environment.input_type_key(),
            name: type_name,
            description: self.description.as_deref(),
            inputs: &self.outputs,
        };
        let schema = checker_schema(&[&env_type]);
        let files: BTreeMap<String, Vec<u8>> = [(
            "schema/schema.yaml".to_owned(),
            schema_yaml(env_type, None).into_bytes(),
        )]
        .into_iter()
        .collect();
        let tar_gz = deterministic_tar_gz(&self.name, &files).unwrap_or_else(|e| {
            diags.push(err(format!(
                "cannot build the archive: {}; report this as a bug",
                crate::engine::io_words(&e)
            )));
            Vec::new()
        });
        if diags.iter().any(Diagnostic::is_error) {
            return Err(Diagnostics(diags));
        }
        let spec = to_plain_yaml(&json!({ "proton": "EnvironmentSpec", "spec": sample }));
        Ok(TemplateOutput {
            name: self.name.clone(),
            kind: TemplateKind::Environment,
            major: self.major,
            bundle: files,
            tar_gz,
            registration: None,
            specs: vec![(format!("{}.env-spec.yaml", self.name), spec)],
            plain: Vec::new(),
            inputs: self
                .outputs
                .iter()
                .map(|o| (InfraKind::Environment, o.name.clone(), o.ty))
                .collect(),
            outputs: self.outputs.iter().map(|o| o.name.clone()).collect(),
            compatible: Vec::new(),
            warnings: diags,
            schema,
        })
    }
}
