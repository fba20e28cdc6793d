//! Rendering a bundle with a spec the way Proton did: validate the spec, merge schema defaults, build
//! each template kind's context (exactly the namespaces of section 4.1 of the format notes), render with
//! Jinja semantics, and parse the result before anything is written.

use minijinja::value::{Serde, Value};
use minijinja::Environment;
use serde_json::Map;

use super::bundle::{analyze, Analysis, Bundle, BundleKind, IacTemplate, TemplateKind};
use super::cfn::check_rendered;
use super::check::template_findings;
use super::context::{Only, Outputs, RenderContext};
use super::filters::{finish_output, NoComponent};
use super::finding::{has_errors, Finding};
use super::guard::{self, UserValue};
use super::jinja;
use super::missing::missing_references;
use super::namespace::{check_path, InputUse};
use super::spec::{parse_spec, InstanceSpec, Spec};

/// One rendered file: `environment.yaml`, `instance-<name>.yaml`, `pipeline.yaml` (`.json` when the
/// bundle's template is JSON), or `environment-outputs.json` for a customer-managed environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderedFile {
    pub name: String,
    pub text: String,
}

/// A successful render: the files and the warnings found on the way.
#[derive(Clone, Debug, Default)]
pub struct RenderReport {
    pub files: Vec<RenderedFile>,
    pub warnings: Vec<Finding>,
}

/// Render a bundle with a spec. On failure, every finding (errors and warnings) is returned.
pub fn render_bundle(bundle: &Bundle, spec_text: &str, ctx: &RenderContext) -> Result<Vec<RenderedFile>, Vec<Finding>> {
    render_with_report(bundle, "spec", spec_text, ctx).map(|r| r.files)
}

/// [`render_bundle`] with the spec's name for findings, returning warnings too.
pub fn render_with_report(
    bundle: &Bundle,
    spec_name: &str,
    spec_text: &str,
    ctx: &RenderContext,
) -> Result<RenderReport, Vec<Finding>> {
    let (analysis, mut findings) = analyze(bundle);
    let Some(analysis) = analysis.filter(|_| !has_errors(&findings)) else {
        return Err(findings);
    };
    let mut env = jinja::environment();
    findings.extend(jinja::add_templates(&mut env, &analysis.templates));
    if !has_errors(&findings) {
        // The same verdict as `check`: what it rejects in a template, render rejects before rendering.
        for t in &analysis.templates {
            findings.extend(template_findings(t).0.into_iter().filter(Finding::is_error));
        }
    }
    if has_errors(&findings) {
        return Err(findings);
    }
    let spec = match parse_spec(spec_text, spec_name, &analysis) {
        Ok(s) => s,
        Err(errors) => {
            findings.extend(errors);
            return Err(findings);
        }
    };
    let values = guard::user_values(spec_name, &spec, ctx);
    let ctx = ctx.clone();
    let results = jinja::on_render_thread(move |current| {
        let renderer = Renderer {
            env,
            analysis: &analysis,
            ctx: &ctx,
            spec: &spec,
            values,
        };
        let jobs = renderer.jobs();
        let mut results = Vec::new();
        for job in &jobs {
            if let (Ok(mut c), Some(t)) = (current.lock(), job.template) {
                *c = (t.display.clone(), job.output.clone());
            }
            results.push(renderer.run(job));
        }
        results
    })
    .map_err(|f| vec![f])?;
    let mut files = Vec::new();
    for result in results {
        match result {
            Ok((file, warnings)) => {
                files.push(file);
                findings.extend(warnings);
            }
            Err(errors) => findings.extend(errors),
        }
    }
    if has_errors(&findings) {
        Err(findings)
    } else {
        Ok(RenderReport {
            files,
            warnings: findings,
        })
    }
}

/// One template to render into one output file.
struct Job<'a> {
    template: Option<&'a IacTemplate>,
    output: String,
    instance: Option<&'a InstanceSpec>,
}

struct Renderer<'a> {
    env: Environment<'static>,
    analysis: &'a Analysis,
    ctx: &'a RenderContext,
    spec: &'a Spec,
    /// The user's strings that could change a template's structure.
    values: Vec<UserValue>,
}

fn json<T: serde::Serialize>(v: T) -> Value {
    Value::from(Serde(v))
}

fn outputs_value(o: Option<&Outputs>) -> Value {
    Value::from_pairs(o.map(|o| o.values.clone()).unwrap_or_default())
}

impl<'a> Renderer<'a> {
    fn jobs(&self) -> Vec<Job<'a>> {
        let a = self.analysis;
        let file = |kind: TemplateKind, stem: &str| {
            let t = a.template(kind);
            (t, format!("{stem}.{}", t.map_or("yaml", IacTemplate::extension)))
        };
        match (a.kind, self.spec) {
            (BundleKind::CustomerManagedEnvironment, _) => {
                vec![Job {
                    template: None,
                    output: "environment-outputs.json".to_owned(),
                    instance: None,
                }]
            }
            (_, Spec::Environment { .. }) => {
                let (template, output) = file(TemplateKind::Environment, "environment");
                vec![Job {
                    template,
                    output,
                    instance: None,
                }]
            }
            (_, Spec::Service { pipeline, instances }) => {
                let only = self.ctx.only;
                let mut jobs: Vec<Job> = instances
                    .iter()
                    .filter(|_| only != Only::Pipeline)
                    .map(|i| {
                        let (template, output) = file(TemplateKind::ServiceInstance, &format!("instance-{}", i.name));
                        Job {
                            template,
                            output,
                            instance: Some(i),
                        }
                    })
                    .collect();
                if pipeline.is_some() && only != Only::Instances {
                    let (template, output) = file(TemplateKind::Pipeline, "pipeline");
                    jobs.push(Job {
                        template,
                        output,
                        instance: None,
                    });
                }
                jobs
            }
        }
    }

    /// One file, and the warnings about it.
    fn run(&self, job: &Job) -> Result<(RenderedFile, Vec<Finding>), Vec<Finding>> {
        let Some(template) = job.template else {
            return Ok((self.customer_managed_outputs(job), Vec::new()));
        };
        let context = self.context(template.kind, job.instance);
        let (rendered, spans) = self
            .env
            .get_template(&template.display)
            .and_then(|t| t.render_with_spans(context.clone()))
            .map_err(|e| self.render_failure(&e, template, job, &context))?;
        let text = finish_output(&rendered, jinja::MAX_OUTPUT_BYTES).ok_or_else(|| {
            vec![Finding::error(format!(
                "rendering {} failed: the result is larger than {} bytes, CloudFormation's template size limit; \
                 make the template's loops and strings smaller",
                job.output,
                jinja::MAX_OUTPUT_BYTES
            ))
            .in_file(&template.display)]
        })?;
        let mut problems = check_rendered(&text, &job.output, &template.display);
        let r = guard::Rendered {
            raw: &rendered,
            text: &text,
            spans: &spans,
            output: &job.output,
            template,
        };
        if problems.is_empty() {
            problems = guard::check_rendered_values(&r, &self.values, self.ctx.allow_unsafe_values);
        } else {
            guard::blame_parse_errors(&r, &self.values, &mut problems);
        }
        if has_errors(&problems) {
            Err(problems)
        } else {
            let file = RenderedFile {
                name: job.output.clone(),
                text,
            };
            Ok((file, problems))
        }
    }

    fn customer_managed_outputs(&self, job: &Job) -> RenderedFile {
        let inputs = match self.spec {
            Spec::Environment { inputs } => inputs.clone(),
            Spec::Service { .. } => Map::new(),
        };
        let text = serde_json::to_string_pretty(&inputs).unwrap_or_default() + "\n";
        RenderedFile {
            name: job.output.clone(),
            text,
        }
    }

    /// The context of one template, with exactly its kind's namespaces.
    fn context(&self, kind: TemplateKind, instance: Option<&InstanceSpec>) -> Value {
        let ctx = self.ctx;
        let opt = |v: &Option<String>| v.as_ref().map(|s| Value::from(s.as_str()));
        let entries = |pairs: Vec<(&str, Option<Value>)>| {
            Value::from_pairs(pairs.into_iter().filter_map(|(k, v)| v.map(|v| (k.to_owned(), v))))
        };
        let environment_of = |env: &str| {
            entries(vec![
                ("name", Some(Value::from(env))),
                ("account_id", ctx.account_id(env).map(Value::from)),
                ("outputs", Some(outputs_value(ctx.environment_outputs(env)))),
            ])
        };
        match (kind, self.spec, instance) {
            (TemplateKind::Environment, Spec::Environment { inputs }, _) => Value::from_pairs([(
                "environment",
                entries(vec![
                    ("name", opt(&ctx.environment_name)),
                    ("inputs", Some(json(inputs))),
                ]),
            )]),
            (TemplateKind::ServiceInstance, _, Some(i)) => {
                let component = match ctx.component(&i.name) {
                    Some(c) => entries(vec![
                        ("name", opt(&c.name)),
                        ("outputs", Some(outputs_value(Some(&c.outputs)))),
                    ]),
                    None => Value::from_object(NoComponent),
                };
                Value::from_pairs([
                    ("environment", environment_of(&i.environment)),
                    ("service", entries(vec![("name", opt(&ctx.service.name))])),
                    (
                        "service_instance",
                        entries(vec![
                            ("name", Some(Value::from(i.name.as_str()))),
                            ("inputs", Some(json(&i.inputs))),
                            ("components", Some(Value::from_pairs([("default", component)]))),
                        ]),
                    ),
                ])
            }
            (TemplateKind::Pipeline, Spec::Service { pipeline, instances }, _) => {
                let items: Vec<Value> = instances
                    .iter()
                    .map(|i| {
                        entries(vec![
                            ("name", Some(Value::from(i.name.as_str()))),
                            ("inputs", Some(json(&i.inputs))),
                            ("outputs", Some(outputs_value(ctx.instance_outputs(&i.name)))),
                            ("environment", Some(environment_of(&i.environment))),
                        ])
                    })
                    .collect();
                Value::from_pairs([
                    (
                        "service",
                        entries(vec![
                            ("name", opt(&ctx.service.name)),
                            ("branch_name", opt(&ctx.service.branch_name)),
                            ("repository_id", opt(&ctx.service.repository_id)),
                            ("repository_connection_arn", opt(&ctx.service.repository_connection_arn)),
                        ]),
                    ),
                    (
                        "pipeline",
                        Value::from_pairs([("inputs", json(pipeline.clone().unwrap_or_default()))]),
                    ),
                    ("service_instances", Value::from(items)),
                ])
            }
            _ => Value::from_pairs(std::iter::empty::<(String, Value)>()),
        }
    }

    /// A failed render's findings. When a value was undefined, every value the template uses that the
    /// context lacks is reported, not only the first: the references are followed through the context
    /// ([`missing_references`]). This runs after the render fails rather than before it, so a template
    /// that guards a value in a way the scan cannot see still renders exactly as Jinja2 would.
    fn render_failure(&self, e: &minijinja::Error, template: &IacTemplate, job: &Job, context: &Value) -> Vec<Finding> {
        if e.kind() != minijinja::ErrorKind::UndefinedError {
            return vec![self.render_error(e, template, job)];
        }
        let scan = super::scan::scan(&template.text);
        let missing = missing_references(&scan, context);
        if missing.is_empty() {
            return vec![self.render_error(e, template, job)];
        }
        missing
            .into_iter()
            .map(|r| {
                let hint = self.explain_undefined(&r.text, template.kind, job.instance);
                Finding::error(format!(
                    "rendering {} failed: `{}` is undefined: {hint}",
                    job.output, r.text
                ))
                .in_file(&template.display)
                .at_line(r.line)
            })
            .collect()
    }

    fn render_error(&self, e: &minijinja::Error, template: &IacTemplate, job: &Job) -> Finding {
        let base = jinja::error_finding(e, &template.display, &format!("rendering {} failed", job.output));
        if e.kind() != minijinja::ErrorKind::UndefinedError {
            return base;
        }
        let detail = e.detail().unwrap_or_default();
        let path = match detail.strip_prefix('`').and_then(|d| d.split_once('`')) {
            Some((p, _)) => p.to_owned(),
            // A filter (e.g. `tojson`) received an undefined value: name the variables of the failing line.
            None => {
                let mut refs: Vec<String> = e
                    .line()
                    .map(|line| {
                        super::scan::scan(&template.text)
                            .references
                            .into_iter()
                            .filter(|r| r.line == line && r.text.contains('.'))
                            .map(|r| r.text)
                            .collect()
                    })
                    .unwrap_or_default();
                refs.dedup();
                match refs.as_slice() {
                    [one] => one.clone(),
                    [] => return base,
                    many => {
                        let mut f = base;
                        f.message = format!(
                            "rendering {} failed: one of `{}` is undefined",
                            job.output,
                            many.join("`, `")
                        );
                        return f;
                    }
                }
            }
        };
        let hint = self.explain_undefined(&path, template.kind, job.instance);
        let mut f = base;
        f.message = format!("rendering {} failed: `{path}` is undefined: {hint}", job.output);
        f
    }

    /// Why a path is undefined, and what to pass to define it.
    fn explain_undefined(&self, path: &str, kind: TemplateKind, instance: Option<&InstanceSpec>) -> String {
        let segments: Vec<super::scan::Segment> = path
            .split('.')
            .map(|s| super::scan::Segment::Attr(s.to_owned()))
            .collect();
        // In a pipeline, a path from a name that is no global comes from the author's loop variable.
        let loop_item = kind == TemplateKind::Pipeline
            && segments.len() > 1
            && !matches!(
                path.split('.').next(),
                Some("service" | "pipeline" | "service_instances")
            );
        if !loop_item {
            if let Err(msg) = check_path(kind, &self.analysis.schema, &segments, path, &mut InputUse::new()) {
                return msg.split_once(": ").map_or(msg.clone(), |(_, m)| m.to_owned());
            }
        }
        let parts: Vec<&str> = path.split('.').collect();
        let env = instance.map(|i| i.environment.as_str());
        let inst = instance.map(|i| i.name.as_str());
        match parts.as_slice() {
            ["environment", "name"] => "no environment name: pass --environment-name or set environment.name in the context file".to_owned(),
            ["environment", "outputs", key] => self.env_output_hint(env.unwrap_or("?"), key),
            ["environment", "account_id"] => account_hint(env.unwrap_or("NAME")),
            ["service", field] => {
                // The flags are --service-name, --repository-connection-arn, --repository-id, --branch-name.
                let flag = match *field {
                    "name" => "service-name".to_owned(),
                    other => other.replace('_', "-"),
                };
                format!("no service {}: pass --{flag} or set service.{field} in the context file", field.replace('_', " "))
            }
            [_, "inputs", key] => format!(
                "the input `{key}` is optional, has no default and the spec does not set it; guard it with `is defined` or give it a default"
            ),
            ["service_instance", "components", "default", "name"] => format!(
                "no component is attached to instance {}: set instances.{}.component in the context file",
                inst.unwrap_or("?"),
                inst.unwrap_or("NAME")
            ),
            ["service_instance", "components", "default", "outputs", key] => format!(
                "the component of instance {} has no output `{key}`: pass --component-outputs {}=FILE or set instances.{}.component.outputs",
                inst.unwrap_or("?"),
                inst.unwrap_or("NAME"),
                inst.unwrap_or("NAME")
            ),
            [.., "environment", "outputs", key] => format!(
                "an instance's environment has no output `{key}`: pass --env-outputs ENV=FILE for every environment the instances use"
            ),
            [.., "environment", "account_id"] => account_hint("ENV"),
            [.., "outputs", key] => self.instance_output_hint(key),
            _ => "it is not in this template's context".to_owned(),
        }
    }

    fn env_output_hint(&self, env: &str, key: &str) -> String {
        match self.ctx.environment_outputs(env) {
            None => format!(
                "no outputs were given for environment {env}: pass --env-outputs {env}=FILE or set environments.{env}.outputs in the context file"
            ),
            Some(o) => format!("environment {env} has no output `{key}` (outputs from {}: {})", o.source, key_list(o)),
        }
    }

    fn instance_output_hint(&self, key: &str) -> String {
        let missing: Vec<&str> = match self.spec {
            Spec::Service { instances, .. } => instances
                .iter()
                .filter(|i| {
                    self.ctx
                        .instance_outputs(&i.name)
                        .is_none_or(|o| !o.values.contains_key(key))
                })
                .map(|i| i.name.as_str())
                .collect(),
            Spec::Environment { .. } => Vec::new(),
        };
        format!(
            "instance output `{key}` is missing for {}: pass --instance-outputs NAME=FILE or set instances.NAME.outputs in the context file",
            if missing.is_empty() { "an instance".to_owned() } else { missing.join(", ") }
        )
    }
}

fn account_hint(env: &str) -> String {
    format!("no account id for environment {env}: pass --account-id or --env-account-id {env}=ID, or set environments.{env}.account_id in the context file")
}

fn key_list(o: &Outputs) -> String {
    if o.values.is_empty() {
        "none".to_owned()
    } else {
        o.values.keys().cloned().collect::<Vec<_>>().join(", ")
    }
}
