//! `check`: static validation of a bundle without a spec. The structural part (layout, manifests,
//! schema, limits) is [`super::bundle::analyze`]; this adds Jinja syntax and the variables each template
//! references, checked against its kind's namespaces and the schema.

use super::bundle::{analyze, Analysis, Bundle, BundleKind, IacTemplate, SCHEMA_PATH};
use super::engine;
use super::engine::FUNCTIONS;
use super::finding::{sort_findings, Finding};
use super::namespace::{check_path, InputUse};
use super::scan::{scan, Target};
use super::schema::PropType;

/// Check a bundle; returns every finding (an empty list means the bundle is clean).
pub fn check_bundle(bundle: &Bundle) -> Vec<Finding> {
    let (analysis, mut findings) = analyze(bundle);
    if let Some(analysis) = &analysis {
        let mut used = InputUse::new();
        for t in &analysis.templates {
            findings.extend(check_template(analysis, t, &mut used));
        }
        findings.extend(unused_inputs(bundle, analysis, &used));
        if analysis.kind == BundleKind::CustomerManagedEnvironment {
            findings.extend(customer_managed_schema(bundle, analysis));
        }
    }
    sort_findings(&mut findings);
    findings
}

fn check_template(analysis: &Analysis, t: &IacTemplate, used: &mut InputUse) -> Vec<Finding> {
    let mut env = engine::environment();
    let syntax = engine::add_templates(&mut env, std::slice::from_ref(t));
    if !syntax.is_empty() {
        return syntax;
    }
    let mut findings = Vec::new();
    let result = scan(&t.text);
    for n in result.notices {
        let f = if n.is_error {
            Finding::error(n.message)
        } else {
            Finding::warning(n.message)
        };
        findings.push(f.in_file(&t.display).at_line(n.line));
    }
    for r in result.references {
        let problem = match &r.target {
            Target::Global(path) => check_path(t.kind, &analysis.schema, path, &r.text, used).err(),
            Target::Function(name) if !FUNCTIONS.contains(&name.as_str()) => Some(format!(
                "`{name}(…)`: unknown function (available: {})",
                FUNCTIONS.join(", ")
            )),
            _ => None,
        };
        if let Some(msg) = problem {
            findings.push(
                Finding::error(format!("undeclared variable {msg}"))
                    .in_file(&t.display)
                    .at_line(r.line),
            );
        }
    }
    findings
}

/// Schema inputs that no template references (AWS requires each IaC file to use at least one).
fn unused_inputs(bundle: &Bundle, analysis: &Analysis, used: &InputUse) -> Vec<Finding> {
    let schema = &analysis.schema;
    let roles = [
        ("environment_input_type", &schema.environment_input_type),
        ("service_input_type", &schema.service_input_type),
        ("pipeline_input_type", &schema.pipeline_input_type),
    ];
    let mut findings = Vec::new();
    if analysis.templates.is_empty() {
        return findings;
    }
    for (role, name) in roles {
        let Some(ty) = name.as_ref().and_then(|n| schema.types.get(n)) else {
            continue;
        };
        if used.contains(&(role, None)) {
            continue;
        }
        for p in ty.properties.keys() {
            if !used.contains(&(role, Some(p.clone()))) {
                findings.push(
                    Finding::warning(format!(
                        "input `{p}` of {} ({role}) is not referenced by any template",
                        ty.name
                    ))
                    .in_file(bundle.display_path(SCHEMA_PATH))
                    .at_line(ty.properties[p].line),
                );
            }
        }
    }
    findings
}

/// A customer-managed environment's schema lists outputs: string properties without defaults.
fn customer_managed_schema(bundle: &Bundle, analysis: &Analysis) -> Vec<Finding> {
    let schema = &analysis.schema;
    let Some(ty) = schema.environment_input_type.as_ref().and_then(|n| schema.types.get(n)) else {
        return Vec::new();
    };
    let file = bundle.display_path(SCHEMA_PATH);
    let mut findings = Vec::new();
    for p in ty.properties.values() {
        if !matches!(p.ty, PropType::String | PropType::Invalid) {
            findings.push(
                Finding::error(format!(
                    "{}: a customer-managed environment's outputs are strings; use `type: string`",
                    p.name
                ))
                .in_file(&file)
                .at_line(p.line),
            );
        }
        if p.default.is_some() {
            findings.push(
                Finding::error(format!(
                    "{}: a customer-managed environment's outputs have no default; the environment spec supplies them",
                    p.name
                ))
                .in_file(&file)
                .at_line(p.line),
            );
        }
    }
    findings
}
