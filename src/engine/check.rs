//! `check`: static validation of a bundle without a spec. The structural part (layout, manifests,
//! schema, limits) is [`super::bundle::analyze`]; this adds Jinja syntax and the variables each template
//! references, checked against its kind's namespaces and the schema.

use std::collections::HashMap;

use super::bundle::{analyze, Analysis, Bundle, BundleKind, IacTemplate, SCHEMA_PATH};
use super::finding::{sort_findings, Finding};
use super::guard;
use super::jinja;
use super::jinja::FUNCTIONS;
use super::namespace::{check_path, InputUse};
use super::schema::PropType;
use crate::proton::format::scan::{lex_all, scan_tags, Lexed, ScanResult, Target};

/// Check a bundle; returns every finding (an empty list means the bundle is clean).
pub fn check_bundle(bundle: &Bundle) -> Vec<Finding> {
    let (analysis, mut findings) = analyze(bundle);
    if let Some(analysis) = &analysis {
        let (f, used) = check_templates(analysis, Detail::All);
        findings.extend(f);
        findings.extend(unused_inputs(bundle, analysis, &used));
        if analysis.kind == BundleKind::CustomerManagedEnvironment {
            findings.extend(customer_managed_schema(bundle, analysis));
        }
    }
    sort_findings(&mut findings);
    findings
}

/// Which findings a check reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail {
    /// Errors and warnings (`check`).
    All,
    /// Errors only, skipping the warnings-only passes, of templates this program wrote (the synthesizer's
    /// self-check: Jinja syntax by [`jinja::generated_syntax_findings`]).
    ErrorsOnly,
}

/// The checks of a bundle's infrastructure templates against its schema (Jinja syntax, functions, filters
/// and tests, every variable against the namespace of its kind and the schema's inputs), for a bundle
/// already understood: [`analyze`]d from files, or built from the typed model by the synthesizer's
/// self-check. Returns the findings and which inputs the templates read.
pub fn check_templates(analysis: &Analysis, detail: Detail) -> (Vec<Finding>, InputUse) {
    let mut used = InputUse::new();
    let mut findings = Vec::new();
    for t in &analysis.templates {
        findings.extend(check_template(analysis, t, &mut used, detail));
    }
    (findings, used)
}

fn check_template(analysis: &Analysis, t: &IacTemplate, used: &mut InputUse, detail: Detail) -> Vec<Finding> {
    let (mut findings, result) = match detail {
        Detail::All => template_findings(t),
        Detail::ErrorsOnly => generated_template_findings(t),
    };
    let Some(result) = result else {
        return findings;
    };
    if detail == Detail::All {
        findings.extend(guard::placeholder_warnings(analysis, t, &result));
    }
    for r in result.references {
        if let Target::Global(path) = &r.target {
            if let Err(msg) = check_path(t.kind, &analysis.schema, path, &r.text, used) {
                findings.push(
                    Finding::error(format!("undeclared variable {msg}"))
                        .in_file(&t.display)
                        .at_line(r.line),
                );
            }
        }
    }
    findings
}

/// What `check` and `render` both reject in a template, whatever the spec: Jinja syntax, tags Proton cannot
/// render (`include`, `import`, `extends`), functions, filters and tests the engine does not have, and
/// macros called before their `{% macro %}` ran. Returns the scan too when the template compiled.
pub fn template_findings(t: &IacTemplate) -> (Vec<Finding>, Option<ScanResult>) {
    let lexed = lex_all(&t.text);
    let syntax = jinja::syntax_findings(t, &lexed.tags);
    scanned_findings(t, &lexed, syntax)
}

/// [`template_findings`] for a template this program wrote (the self-check), whose Jinja syntax is checked
/// by [`jinja::generated_syntax_findings`].
fn generated_template_findings(t: &IacTemplate) -> (Vec<Finding>, Option<ScanResult>) {
    let lexed = lex_all(&t.text);
    let syntax = jinja::generated_syntax_findings(t, &lexed);
    scanned_findings(t, &lexed, syntax)
}

/// The syntax findings, or when there are none what the scan of the tags finds.
fn scanned_findings(t: &IacTemplate, lexed: &Lexed<'_>, syntax: Vec<Finding>) -> (Vec<Finding>, Option<ScanResult>) {
    if !syntax.is_empty() {
        return (syntax, None);
    }
    let result = scan_tags(&lexed.tags);
    let mut problems: Vec<(usize, Finding)> = Vec::new();
    for n in &result.notices {
        let f = if n.is_error {
            Finding::error(n.message.clone())
        } else {
            Finding::warning(n.message.clone())
        };
        problems.push((n.line, f));
    }
    problems.extend(call_findings(&result));
    for (what, used, table) in [
        ("filter", &result.filters, jinja::FILTERS),
        ("test", &result.tests, jinja::TESTS),
    ] {
        for (line, name) in used.iter().filter(|(_, n)| !table.contains(&n.as_str())) {
            problems.push((
                *line,
                Finding::error(format!("unknown {what} `{name}` (available: {})", table.join(", "))),
            ));
        }
    }
    let findings = problems
        .into_iter()
        .map(|(line, f)| f.in_file(&t.display).at_line(Some(line)))
        .collect();
    (findings, Some(result))
}

/// Calls of unknown functions, and of macros before their `{% macro %}` ran (directly, or through the body
/// of a macro called at the top level).
fn call_findings(result: &ScanResult) -> Vec<(usize, Finding)> {
    let mut macro_lines: HashMap<&str, usize> = HashMap::new();
    for (line, name) in &result.macros {
        macro_lines.entry(name.as_str()).or_insert(*line);
    }
    let top_level = result.references.iter().filter_map(|r| match &r.target {
        Target::Function(name) => Some((r.line, name, false)),
        _ => None,
    });
    let in_bodies = result.calls_in_macros.iter().map(|(l, n)| (*l, n, true));
    let mut problems = Vec::new();
    for (line, name, in_body) in top_level.chain(in_bodies) {
        if FUNCTIONS.contains(&name.as_str()) {
            continue;
        }
        let message = match macro_lines.get(name.as_str()) {
            Some(_) if in_body => continue,
            Some(def) => format!(
                "macro `{name}` is called before its definition on line {def}; Jinja defines a macro when its \
                 `{{% macro %}}` runs: move the definition above the first call"
            ),
            None => format!("`{name}(…)`: unknown function (available: {})", FUNCTIONS.join(", ")),
        };
        problems.push((line, Finding::error(message)));
    }
    for (line, via, callee) in &result.late_calls {
        if let Some(def) = macro_lines.get(callee.as_str()) {
            let message = format!(
                "macro `{via}` calls macro `{callee}`, which is defined only on line {def}, after this call; \
                 move the definition of `{callee}` above it"
            );
            problems.push((*line, Finding::error(message)));
        }
    }
    problems
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
