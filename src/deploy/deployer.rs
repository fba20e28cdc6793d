//! Proton's order of deployment: an environment is one stack; a service deploys its instances (each rendered
//! with its environment's live outputs), then its pipeline (rendered with the instances' live outputs).
//! Each stack goes where its placement says ([`super::connections`]): an instance where its environment is, so
//! its environment's outputs are read there; the pipeline reads each instance's outputs where that instance is.

use indexmap::IndexMap;

use super::cfn_client::{CfnClient, StackInfo};
use super::config::{DeployFile, EnvironmentEntry, ServiceEntry, Target};
use super::connections::{Connections, Stage};
use super::orchestrate::{Deployed, Session, StackPlan};
use super::plan::{self, Loaded};

/// Deploys what a deploy file describes, one change set per stack.
pub struct Deployer<'a> {
    pub file: &'a DeployFile,
    pub connections: &'a Connections<'a>,
    /// Its `cfn` and `upload` are set for each stack from the stack's placement.
    pub session: Session<'a>,
}

/// Which stacks of a service to deploy.
#[derive(Clone, Debug, Default)]
pub struct ServiceParts {
    /// `None`: every instance of the spec.
    pub instances: Option<Vec<String>>,
    /// Deploy the pipeline (when the service has one).
    pub pipeline: bool,
}

impl<'a> Deployer<'a> {
    /// `deploy NAME`: an environment, or a service with all its instances and its pipeline.
    pub fn deploy(&mut self, name: &str) -> Result<Vec<Deployed>, Vec<String>> {
        match self.file.target(name).map_err(|e| vec![e])? {
            Target::Environment(env) => self.environment(env).map(|d| vec![d]),
            Target::Service(svc) => self.service(
                svc,
                &ServiceParts {
                    instances: None,
                    pipeline: true,
                },
            ),
        }
    }

    pub fn environment(&mut self, env: &EnvironmentEntry) -> Result<Deployed, Vec<String>> {
        let loaded = Loaded::load(&env.template, &env.spec)?;
        let plan = plan::environment(env, &loaded)?;
        self.deploy_at(self.connections.environment(&env.name), &plan)
    }

    fn deploy_at(&mut self, stage: Stage<'a>, plan: &StackPlan) -> Result<Deployed, Vec<String>> {
        self.session.cfn = stage.cfn;
        self.session.upload = stage.upload;
        self.session.role_arn = stage.service_role;
        self.session.deploy_stack(plan).map_err(|e| vec![e])
    }

    pub fn service(&mut self, svc: &ServiceEntry, parts: &ServiceParts) -> Result<Vec<Deployed>, Vec<String>> {
        let loaded = Loaded::load(&svc.template, &svc.spec)?;
        let wants_pipeline = match svc.pipeline {
            Some(true) if !loaded.has_pipeline() => {
                return Err(vec![format!(
                    "error: {}: services.{}.pipeline is true but bundle {} has no pipeline template; remove it",
                    self.file.path.display(),
                    svc.name,
                    svc.template.bundle.display()
                )])
            }
            Some(p) => p,
            None => loaded.has_pipeline(),
        };
        let envs = self.environment_stacks(svc, &loaded)?;
        let mut done = Vec::new();
        let mut instance_stacks = IndexMap::new();
        let wanted = parts.instances.as_deref();
        if wanted.is_none_or(|w| !w.is_empty()) {
            for p in plan::instances(svc, &loaded, &envs, wanted)? {
                let instance = (loaded.instances().iter()).find(|i| svc.stack_name(&i.name) == p.stack_name);
                let stage = match instance {
                    Some(i) => self.connections.environment(&i.environment),
                    None => self.connections.pipeline(&svc.name),
                };
                let deployed = self.deploy_at(stage, &p)?;
                if let Some(i) = instance {
                    instance_stacks.insert(i.name.clone(), deployed.stack().clone());
                }
                done.push(deployed);
            }
        }
        if wants_pipeline && parts.pipeline {
            // Every instance's outputs, the ones deployed just now and the others as they run.
            let mut all = IndexMap::new();
            for i in loaded.instances() {
                let stack = match instance_stacks.get(&i.name) {
                    Some(s) => s.clone(),
                    None => live_stack(
                        self.connections.environment(&i.environment).cfn,
                        &svc.stack_name(&i.name),
                        &format!("instance {}", i.name),
                        &svc.name,
                    )?,
                };
                all.insert(i.name.clone(), stack);
            }
            let p = plan::pipeline(svc, &loaded, &envs, &all)?;
            done.push(self.deploy_at(self.connections.pipeline(&svc.name), &p)?);
        }
        Ok(done)
    }

    /// The live stacks of the environments the service's instances run in.
    fn environment_stacks(
        &self,
        svc: &ServiceEntry,
        loaded: &Loaded,
    ) -> Result<IndexMap<String, StackInfo>, Vec<String>> {
        let mut envs = IndexMap::new();
        let mut errors = Vec::new();
        for i in loaded.instances() {
            if envs.contains_key(&i.environment) {
                continue;
            }
            let Some(env) = self.file.environment(&i.environment) else {
                errors.push(format!(
                    "error: {}: instance `{}` of service `{}` runs in environment `{}`, which the deploy file does \
                     not describe; add it under `environments`",
                    svc.spec.display(),
                    i.name,
                    svc.name,
                    i.environment
                ));
                continue;
            };
            let cfn = self.connections.environment(&env.name).cfn;
            match live_stack(cfn, &env.stack_name, &format!("environment {}", env.name), &env.name) {
                Ok(stack) => {
                    envs.insert(i.environment.clone(), stack);
                }
                Err(e) => errors.extend(e),
            }
        }
        if errors.is_empty() {
            Ok(envs)
        } else {
            Err(errors)
        }
    }
}

/// A stack that must already run (to read its outputs), through the client of its placement.
fn live_stack(cfn: &CfnClient, stack: &str, what: &str, deploy_name: &str) -> Result<StackInfo, Vec<String>> {
    match cfn.describe_stack(stack) {
        Ok(Some(s)) if super::events::is_success(&s.status) || s.status == "UPDATE_ROLLBACK_COMPLETE" => Ok(s),
        Ok(Some(s)) => Err(vec![format!(
            "error: {what}: stack {stack} is {}, so its outputs cannot be used; deploy it again (`proton-synth \
             deploy {deploy_name}`)",
            s.status
        )]),
        Ok(None) => Err(vec![format!(
            "error: {what}: stack {stack} does not exist; deploy it first (`proton-synth deploy {deploy_name}`)"
        )]),
        Err(e) => Err(vec![format!("error: {what}: {e}")]),
    }
}
