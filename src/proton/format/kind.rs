//! What a Proton template is: its kind (environment or service), the kind of a bundle worked out from its
//! schema and folders, and the kinds of infrastructure file, each with its folder, Jinja namespace and
//! input type (format notes, sections 1, 3 and 4).

/// An AWS Proton template: environment or service (`CreateEnvironmentTemplate` / `CreateServiceTemplate`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TemplateKind {
    Environment,
    Service,
}

impl TemplateKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TemplateKind::Environment => "environment",
            TemplateKind::Service => "service",
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

    /// The infrastructure files a bundle of this kind has, in bundle order.
    pub fn infra_kinds(self) -> &'static [InfraKind] {
        match self {
            BundleKind::Environment => &[InfraKind::Environment],
            BundleKind::CustomerManagedEnvironment => &[],
            BundleKind::Service { pipeline: false } => &[InfraKind::ServiceInstance],
            BundleKind::Service { pipeline: true } => &[InfraKind::ServiceInstance, InfraKind::Pipeline],
        }
    }
}

/// The kinds of infrastructure (IaC) file, each with its own folder, Jinja namespace and schema input type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InfraKind {
    Environment,
    ServiceInstance,
    Pipeline,
}

impl InfraKind {
    pub const ALL: [InfraKind; 3] = [InfraKind::Environment, InfraKind::ServiceInstance, InfraKind::Pipeline];

    /// The folder that holds this kind's manifest and IaC file.
    pub fn folder(self) -> &'static str {
        match self {
            InfraKind::Environment => "infrastructure",
            InfraKind::ServiceInstance => "instance_infrastructure",
            InfraKind::Pipeline => "pipeline_infrastructure",
        }
    }

    /// `environment`, `service instance`, `pipeline`.
    pub fn noun(self) -> &'static str {
        match self {
            InfraKind::Environment => "environment",
            InfraKind::ServiceInstance => "service instance",
            InfraKind::Pipeline => "pipeline",
        }
    }

    /// `environment templates`, `service instance templates`, `pipeline templates`.
    pub fn describe(self) -> &'static str {
        match self {
            InfraKind::Environment => "environment templates",
            InfraKind::ServiceInstance => "service instance templates",
            InfraKind::Pipeline => "pipeline templates",
        }
    }

    /// The Jinja global whose `inputs` hold this kind's inputs: `environment`, `service_instance`, `pipeline`.
    pub fn global(self) -> &'static str {
        match self {
            InfraKind::Environment => "environment",
            InfraKind::ServiceInstance => "service_instance",
            InfraKind::Pipeline => "pipeline",
        }
    }

    /// The Jinja object that holds the inputs: `environment.inputs`, …
    pub fn inputs_namespace(self) -> &'static str {
        match self {
            InfraKind::Environment => "environment.inputs",
            InfraKind::ServiceInstance => "service_instance.inputs",
            InfraKind::Pipeline => "pipeline.inputs",
        }
    }

    /// The schema key naming this kind's input type: `environment_input_type`, …
    pub fn input_type_key(self) -> &'static str {
        match self {
            InfraKind::Environment => "environment_input_type",
            InfraKind::ServiceInstance => "service_input_type",
            InfraKind::Pipeline => "pipeline_input_type",
        }
    }
}
