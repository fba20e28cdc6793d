//! From the deploy file to stack plans: load each template bundle and spec, render it as Proton did with the
//! live outputs of the stacks it depends on (`DescribeStacks` outputs become the render context's environment
//! and instance outputs), and compute the spec hash each stack records.

use std::fs;

use indexmap::IndexMap;
use serde_json::{json, Value};

use super::cfn_client::StackInfo;
use super::config::{EnvironmentEntry, ServiceEntry, TemplateRef};
use super::orchestrate::StackPlan;
use super::template::{prepare, spec_hash, Record};
use crate::engine::{
    analyze, has_errors, load_bundle, parse_spec, render_with_report, Analysis, Bundle, EnvironmentInfo, Finding,
    InstanceInfo, InstanceSpec, Only, Outputs, RenderContext, Spec, TemplateKind,
};

/// A template bundle and a spec, loaded and validated.
pub struct Loaded {
    pub template: TemplateRef,
    bundle: Bundle,
    analysis: Analysis,
    spec_name: String,
    spec_text: String,
    pub spec: Spec,
}

/// Which stack of a spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part<'a> {
    Environment,
    Instance(&'a str),
    Pipeline,
}

fn lines(findings: Vec<Finding>) -> Vec<String> {
    findings
        .into_iter()
        .filter(Finding::is_error)
        .map(|f| f.to_string())
        .collect()
}

impl Loaded {
    /// Load the bundle and the spec; every problem as an `error: …` line.
    pub fn load(template: &TemplateRef, spec_path: &std::path::Path) -> Result<Loaded, Vec<String>> {
        let bundle = load_bundle(&template.bundle).map_err(lines)?;
        let (analysis, findings) = analyze(&bundle);
        let analysis = match analysis {
            Some(a) if !has_errors(&findings) => a,
            _ => return Err(lines(findings)),
        };
        let spec_name = spec_path.display().to_string();
        let spec_text = fs::read_to_string(spec_path).map_err(|e| {
            vec![format!(
                "error: {spec_name}: cannot read the spec: {e}; fix `spec` in the deploy file"
            )]
        })?;
        let spec = parse_spec(&spec_text, &spec_name, &analysis).map_err(lines)?;
        Ok(Loaded {
            template: template.clone(),
            bundle,
            analysis,
            spec_name,
            spec_text,
            spec,
        })
    }

    pub fn has_pipeline(&self) -> bool {
        self.analysis.template(TemplateKind::Pipeline).is_some()
    }

    pub fn instances(&self) -> &[InstanceSpec] {
        match &self.spec {
            Spec::Service { instances, .. } => instances,
            Spec::Environment { .. } => &[],
        }
    }

    /// The hash of the part of the spec one stack is rendered from (its validated inputs, defaults merged).
    pub fn spec_hash(&self, part: Part<'_>) -> String {
        let instance = |i: &InstanceSpec| json!({"name": i.name, "environment": i.environment, "inputs": i.inputs});
        let value = match (&self.spec, part) {
            (Spec::Environment { inputs }, _) => json!({ "inputs": inputs }),
            (Spec::Service { instances, .. }, Part::Instance(name)) => instances
                .iter()
                .find(|i| i.name == name)
                .map(instance)
                .unwrap_or(Value::Null),
            (Spec::Service { pipeline, instances }, _) => {
                json!({"pipeline": pipeline, "instances": instances.iter().map(instance).collect::<Vec<_>>()})
            }
        };
        spec_hash(&value)
    }

    fn record(&self, part: Part<'_>) -> Record {
        Record {
            template: self.template.name.clone(),
            version: self.template.version,
            spec_hash: self.spec_hash(part),
        }
    }

    /// Render with `ctx` and return the files by name, as prepared templates.
    fn render(&self, ctx: &RenderContext) -> Result<IndexMap<String, String>, Vec<String>> {
        let report = render_with_report(&self.bundle, &self.spec_name, &self.spec_text, ctx).map_err(lines)?;
        Ok(report.files.into_iter().map(|f| (f.name, f.text)).collect())
    }

    fn plan(
        &self,
        files: &IndexMap<String, String>,
        stem: &str,
        part: Part<'_>,
        stack: String,
        label: String,
    ) -> Result<StackPlan, Vec<String>> {
        let Some((file, text)) = files
            .iter()
            .find(|(name, _)| name.rsplit_once('.').is_some_and(|(s, _)| s == stem))
        else {
            return Err(vec![format!(
                "error: {}: rendering gave no {stem} template; is this the right bundle for {label}?",
                self.template.bundle.display()
            )]);
        };
        let record = self.record(part);
        let template = prepare(text, &record).map_err(|e| vec![format!("error: {label}: rendered {file}: {e}")])?;
        Ok(StackPlan {
            stack_name: stack,
            label,
            template,
            record,
        })
    }
}

/// The account of a stack, from its ARN (`arn:aws:cloudformation:REGION:ACCOUNT:stack/…`).
fn account_of(stack: &StackInfo) -> Option<String> {
    stack.id.split(':').nth(4).filter(|a| !a.is_empty()).map(str::to_owned)
}

fn outputs(stack: &StackInfo) -> Outputs {
    Outputs {
        values: stack.outputs.clone(),
        source: format!("stack {}", stack.name),
    }
}

/// The environment's stack plan.
pub fn environment(env: &EnvironmentEntry, loaded: &Loaded) -> Result<StackPlan, Vec<String>> {
    let ctx = RenderContext {
        environment_name: Some(env.name.clone()),
        ..RenderContext::default()
    };
    let files = loaded.render(&ctx)?;
    let label = format!("environment {}", env.name);
    loaded.plan(&files, "environment", Part::Environment, env.stack_name.clone(), label)
}

/// The render context of a service: its repository, the live outputs of its environments and instances.
fn service_context(
    svc: &ServiceEntry,
    envs: &IndexMap<String, StackInfo>,
    instances: &IndexMap<String, StackInfo>,
    only: Only,
) -> RenderContext {
    let mut ctx = RenderContext {
        only,
        ..RenderContext::default()
    };
    ctx.service.name = Some(svc.name.clone());
    ctx.service
        .repository_connection_arn
        .clone_from(&svc.repository.connection_arn);
    ctx.service.repository_id.clone_from(&svc.repository.id);
    ctx.service.branch_name.clone_from(&svc.repository.branch);
    for (name, stack) in envs {
        let info = EnvironmentInfo {
            account_id: account_of(stack),
            outputs: Some(outputs(stack)),
        };
        ctx.environments.insert(name.clone(), info);
    }
    for (name, stack) in instances {
        let info = InstanceInfo {
            outputs: Some(outputs(stack)),
            component: None,
        };
        ctx.instances.insert(name.clone(), info);
    }
    ctx
}

/// The plans of the service's instances (all of them, or those in `only_these`), rendered with the live
/// outputs of their environments (`envs`: environment name → its stack).
pub fn instances(
    svc: &ServiceEntry,
    loaded: &Loaded,
    envs: &IndexMap<String, StackInfo>,
    only_these: Option<&[String]>,
) -> Result<Vec<StackPlan>, Vec<String>> {
    let files = loaded.render(&service_context(svc, envs, &IndexMap::new(), Only::Instances))?;
    let mut plans = Vec::new();
    for i in loaded.instances() {
        if only_these.is_some_and(|these| !these.contains(&i.name)) {
            continue;
        }
        let label = format!("instance {}/{} in {}", svc.name, i.name, i.environment);
        let stem = format!("instance-{}", i.name);
        plans.push(loaded.plan(&files, &stem, Part::Instance(&i.name), svc.stack_name(&i.name), label)?);
    }
    Ok(plans)
}

/// The pipeline's plan, rendered with the live outputs of the environments and of every instance.
pub fn pipeline(
    svc: &ServiceEntry,
    loaded: &Loaded,
    envs: &IndexMap<String, StackInfo>,
    instances: &IndexMap<String, StackInfo>,
) -> Result<StackPlan, Vec<String>> {
    let files = loaded.render(&service_context(svc, envs, instances, Only::Pipeline))?;
    let label = format!("pipeline of {}", svc.name);
    loaded.plan(&files, "pipeline", Part::Pipeline, svc.stack_name("pipeline"), label)
}
