//! Spec values cannot change a template's structure.
//!
//! `{{ x }}` splices text into YAML (or JSON). A value with a quote, `: ` and a line break can close its
//! scalar and add keys (`vpc_cidr: "x'\n      Injected: yes\n      Foo: '10.0.0.0/16"`), and a line break
//! inside a single-quoted scalar silently folds into a space. Proton rendered such values as they came. Two
//! guards:
//!
//! - [`check_rendered_values`] (`render`): every string a user supplied (spec inputs at any depth, names,
//!   repository fields, account ids, outputs) that an expression emitted must lie inside **one** scalar of
//!   the parsed output and read back unchanged there. Values made only of letters, digits and `._/-+=@`
//!   cannot change structure and are skipped; values a filter transformed (`tojson`, `replace`, …) are not
//!   found verbatim and so are not judged, except `lower`/`upper`, matched case-insensitively; a value
//!   embedded in a larger scalar (`!Sub "${AWS::StackName}-{{ name }}"`) lies inside that scalar.
//! - [`placeholder_warnings`] (`check`): per input, the `{{ }}` expressions that print a free-text string
//!   input (no `enum`, no anchored `pattern` excluding quotes, colons and line breaks) without a final
//!   `| tojson`.

use std::collections::BTreeMap;
use std::ops::Range;

use minijinja::{OutputSpan, OutputSpanKind};
use serde_json::Value;

use super::bundle::{Analysis, IacTemplate};
use super::context::{Outputs, RenderContext};
use super::filters::finish_output;
use super::finding::Finding;
use super::node::{parse_yaml, Node, NodeValue};
use super::scan::{ScanResult, Segment, Target};
use super::schema::{PropType, Property};
use super::spec::Spec;

/// A string a user supplied, and where it came from (`spec.yaml: instances[0].spec.image`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserValue {
    pub origin: String,
    pub value: String,
    /// A schema input (an anchored `pattern` can constrain it), not a context value.
    pub is_input: bool,
}

/// Can `value` change a YAML or JSON document's structure wherever it is spliced? Letters, digits and
/// `._/-+=@` cannot.
pub fn is_inert(value: &str) -> bool {
    value
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '.' | '/' | '-' | '_' | '+' | '=' | '@'))
}

/// Every string of the spec and the context that is not inert, with its origin.
pub fn user_values(spec_name: &str, spec: &Spec, ctx: &RenderContext) -> Vec<UserValue> {
    let mut out = Vec::new();
    match spec {
        Spec::Environment { inputs } => strings(&mut out, spec_name, "spec", inputs),
        Spec::Service { pipeline, instances } => {
            if let Some(p) = pipeline {
                strings(&mut out, spec_name, "pipeline", p);
            }
            for (i, instance) in instances.iter().enumerate() {
                strings(&mut out, spec_name, &format!("instances[{i}].spec"), &instance.inputs);
            }
        }
    }
    let mut add = |origin: String, value: Option<&String>| {
        if let Some(v) = value.filter(|v| !is_inert(v)) {
            out.push(UserValue {
                origin,
                value: v.clone(),
                is_input: false,
            });
        }
    };
    add(
        "context: environment.name (--environment-name)".into(),
        ctx.environment_name.as_ref(),
    );
    let svc = &ctx.service;
    for (field, flag, value) in [
        ("name", "service-name", &svc.name),
        (
            "repository_connection_arn",
            "repository-connection-arn",
            &svc.repository_connection_arn,
        ),
        ("repository_id", "repository-id", &svc.repository_id),
        ("branch_name", "branch-name", &svc.branch_name),
    ] {
        add(format!("context: service.{field} (--{flag})"), value.as_ref());
    }
    add(
        "context: account_id (--account-id)".into(),
        ctx.default_account_id.as_ref(),
    );
    let mut outputs: Vec<&Outputs> = Vec::new();
    for (name, env) in &ctx.environments {
        add(
            format!("context: environments.{name}.account_id"),
            env.account_id.as_ref(),
        );
        outputs.extend(&env.outputs);
    }
    for (name, instance) in &ctx.instances {
        outputs.extend(&instance.outputs);
        if let Some(c) = &instance.component {
            add(format!("context: instances.{name}.component.name"), c.name.as_ref());
            outputs.push(&c.outputs);
        }
    }
    for o in outputs {
        for (key, value) in &o.values {
            add(format!("{}: {key}", o.source), Some(value));
        }
    }
    out
}

/// The non-inert strings of an inputs map, at any depth.
fn strings(out: &mut Vec<UserValue>, spec_name: &str, path: &str, inputs: &serde_json::Map<String, Value>) {
    fn walk(out: &mut Vec<UserValue>, spec_name: &str, path: String, v: &Value) {
        match v {
            Value::String(s) if !is_inert(s) => out.push(UserValue {
                origin: format!("{spec_name}: {path}"),
                value: s.clone(),
                is_input: true,
            }),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(out, spec_name, format!("{path}[{i}]"), item);
                }
            }
            Value::Object(map) => {
                for (k, item) in map {
                    walk(out, spec_name, format!("{path}.{k}"), item);
                }
            }
            _ => {}
        }
    }
    for (k, v) in inputs {
        walk(out, spec_name, format!("{path}.{k}"), v);
    }
}

/// One rendered template, as the engine produced it.
pub struct Rendered<'a> {
    /// The engine's output, before [`finish_output`].
    pub raw: &'a str,
    /// The finished text, as it will be written.
    pub text: &'a str,
    pub spans: &'a [OutputSpan],
    /// The output file's name (`instance-frontend-dev.yaml`).
    pub output: &'a str,
    pub template: &'a IacTemplate,
}

/// A user value found in what an expression emitted.
struct Hit<'a> {
    value: &'a UserValue,
    /// Byte range in the finished text.
    at: Range<usize>,
    /// Found only case-insensitively (after `lower`/`upper`).
    folded: bool,
    span: &'a OutputSpan,
}

/// Check that every user value an expression emitted lies inside one scalar of the parsed output and
/// reads back unchanged. With `allow`, problems are warnings.
pub fn check_rendered_values(r: &Rendered, values: &[UserValue], allow: bool) -> Vec<Finding> {
    let hits = find_hits(r, values);
    if hits.is_empty() {
        return Vec::new();
    }
    // A text that does not parse was reported by the parse check already.
    let Ok(root) = parse_yaml(r.text) else {
        return Vec::new();
    };
    let mut scalars = Vec::new();
    root.walk(&mut |n: &Node| {
        if !matches!(n.value, NodeValue::Seq(_) | NodeValue::Map(_)) && !n.span.is_empty() {
            scalars.push((n.span.clone(), n.key_text()));
        }
    });
    let mut seen = BTreeMap::new();
    for hit in &hits {
        if let Some(what) = problem(hit, &scalars, r.text) {
            seen.entry((hit.span.line(), hit.value.origin.clone()))
                .or_insert_with(|| finding(r, hit, &what, allow));
        }
    }
    seen.into_values().collect()
}

fn find_hits<'a>(r: &'a Rendered, values: &'a [UserValue]) -> Vec<Hit<'a>> {
    let mut hits = Vec::new();
    if values.is_empty() {
        return hits;
    }
    // `finish_output` works left to right, so an offset maps through it as the length of its prefix.
    let marked = r.raw != r.text;
    let map = |o: usize| {
        if marked {
            finish_output(&r.raw[..o], usize::MAX).map_or(o, |s| s.len())
        } else {
            o
        }
    };
    for span in r.spans.iter().filter(|s| s.kind() == OutputSpanKind::Expression) {
        let raw = span.output_range();
        let Some(emitted) = r.raw.get(raw.clone()) else {
            continue;
        };
        let mut lowered: Option<String> = None;
        for value in values {
            let v = value.value.as_str();
            let mut found: Vec<(usize, bool)> = emitted.match_indices(v).map(|(i, _)| (i, false)).collect();
            if found.is_empty() && v.is_ascii() {
                // After `lower`/`upper`; ASCII case mapping keeps byte offsets.
                let lower = lowered.get_or_insert_with(|| emitted.to_ascii_lowercase());
                let needle = v.to_ascii_lowercase();
                found = lower.match_indices(&needle).map(|(i, _)| (i, true)).collect();
            }
            for (i, folded) in found {
                hits.push(Hit {
                    value,
                    at: map(raw.start + i)..map(raw.start + i + v.len()),
                    folded,
                    span,
                });
            }
        }
    }
    hits
}

/// Why a hit is unsafe, or `None` when its value is whole inside one scalar.
fn problem(hit: &Hit, scalars: &[(Range<usize>, String)], text: &str) -> Option<String> {
    let v = &hit.value.value;
    let holder = scalars
        .iter()
        .find(|(span, _)| span.start <= hit.at.start && hit.at.end <= span.end);
    match holder {
        Some((_, read)) => {
            let survives = if hit.folded {
                read.to_ascii_lowercase().contains(&v.to_ascii_lowercase())
            } else {
                read.contains(v.as_str())
            };
            if survives {
                None
            } else if v.contains(['\n', '\r']) {
                Some(format!(
                    "its line break does not survive: YAML reads the scalar as {} (a line break in a plain or single-quoted scalar folds into a space)",
                    preview(read)
                ))
            } else {
                Some(format!(
                    "it does not survive: YAML reads the scalar as {} (quotes or escapes in the value changed it)",
                    preview(read)
                ))
            }
        }
        None if !v.contains(['\n', '\r']) && in_comment(text, hit.at.start, scalars) => None,
        None => {
            let (a, b) = (line_at(text, hit.at.start), line_at(text, hit.at.end));
            let lines = if a == b {
                format!("line {a}")
            } else {
                format!("lines {a}-{b}")
            };
            Some(format!(
                "it does not stay inside one YAML scalar and becomes document structure ({lines} of the output)"
            ))
        }
    }
}

/// The 1-based line of a byte offset.
fn line_at(text: &str, offset: usize) -> usize {
    text.get(..offset).map_or(0, |t| t.matches('\n').count()) + 1
}

/// When a rendered file does not parse, name the user value printed on (or just before) each failing
/// line, and how to quote it.
pub fn blame_parse_errors(r: &Rendered, values: &[UserValue], findings: &mut [Finding]) {
    let hits = find_hits(r, values);
    for f in findings.iter_mut() {
        let Some(line) = f.line else {
            continue;
        };
        let culprit = hits
            .iter()
            .find(|h| line_at(r.text, h.at.start) <= line && line <= line_at(r.text, h.at.end) + 1);
        if let Some(h) = culprit {
            f.message.push_str(&format!(
                "; the value of {} ({}) is printed there by line {} of the template: {}",
                h.value.origin,
                preview(&h.value.value),
                h.span.line(),
                tojson_hint(r, h)
            ));
        }
    }
}

/// `write the placeholder unquoted as `{{ x | tojson }}``.
fn tojson_hint(r: &Rendered, hit: &Hit) -> String {
    let expr = r.template.text.get(hit.span.source_range()).map_or("…", str::trim);
    format!("write the placeholder unquoted as `{{{{ {expr} | tojson }}}}`")
}

/// Is `at` inside a YAML comment (a `#` after whitespace, earlier on its line, outside every scalar)?
fn in_comment(text: &str, at: usize, scalars: &[(Range<usize>, String)]) -> bool {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[line_start..at];
    line.char_indices().any(|(i, c)| {
        let p = line_start + i;
        c == '#'
            && (i == 0 || line[..i].ends_with([' ', '\t']))
            && !scalars.iter().any(|(s, _)| s.start <= p && p < s.end)
    })
}

fn preview(s: &str) -> String {
    let cut: String = s.chars().take(60).collect();
    if cut.len() < s.len() {
        format!("{cut:?}…")
    } else {
        format!("{cut:?}")
    }
}

fn finding(r: &Rendered, hit: &Hit, what: &str, allow: bool) -> Finding {
    let constrain = if hit.value.is_input {
        ", or give the input an `enum` or an anchored `pattern` (e.g. `^[A-Za-z0-9._/-]+$`) in the schema"
    } else {
        ", or correct the value"
    };
    let message = format!(
        "the value of {} ({}) changes the structure of {}: {what}; {}{constrain}",
        hit.value.origin,
        preview(&hit.value.value),
        r.output,
        tojson_hint(r, hit)
    );
    let f = if allow {
        Finding::warning(format!("{message} (rendered anyway: --allow-unsafe-values)"))
    } else {
        Finding::error(format!("{message}; `--allow-unsafe-values` renders it as Proton would"))
    };
    f.in_file(&r.template.display).at_line(hit.span.line())
}

/// Filters whose output no string value can break out of.
const SAFE_FILTERS: &[&str] = &[
    "tojson",
    "proton_cfn_sanitize",
    "int",
    "float",
    "length",
    "count",
    "abs",
    "round",
];

/// `check`: per input, warn about the placeholders that print a free-text string input without `| tojson`.
pub fn placeholder_warnings(analysis: &Analysis, t: &IacTemplate, scanned: &ScanResult) -> Vec<Finding> {
    // (type, input) → (reference text, lines)
    let mut risky: BTreeMap<(String, String), (String, Vec<usize>)> = BTreeMap::new();
    for p in &scanned.placeholders {
        if p.last_filter.as_deref().is_some_and(|f| SAFE_FILTERS.contains(&f)) {
            continue;
        }
        for r in scanned.references.get(p.references.clone()).unwrap_or_default() {
            let Target::Global(path) = &r.target else {
                continue;
            };
            let Some((type_name, input, rest)) = input_of(analysis, path) else {
                continue;
            };
            let Some(prop) = analysis
                .schema
                .types
                .get(&type_name)
                .and_then(|ty| ty.properties.get(&input))
            else {
                continue;
            };
            if is_free_text(prop, rest) {
                let entry = risky
                    .entry((type_name, input))
                    .or_insert_with(|| (r.text.clone(), Vec::new()));
                if !entry.1.contains(&p.line) {
                    entry.1.push(p.line);
                }
            }
        }
    }
    risky
        .into_iter()
        .map(|((type_name, input), (text, lines))| {
            let shown: Vec<String> = lines.iter().map(ToString::to_string).collect();
            let at = if lines.len() > 1 { format!(" (lines {})", shown.join(", ")) } else { String::new() };
            Finding::warning(format!(
                "input `{input}` of {type_name} is free text printed without `| tojson`{at}: a value with a quote, `: ` or a line break can add keys to the rendered template; write `{{{{ {text} | tojson }}}}` (unquoted), or give the input an `enum` or an anchored `pattern` (e.g. `^[A-Za-z0-9._/-]+$`) in the schema"
            ))
            .in_file(&t.display)
            .at_line(lines.first().copied())
        })
        .collect()
}

/// The schema type and input a path reads, and the segments below the input.
fn input_of<'p>(analysis: &Analysis, path: &'p [Segment]) -> Option<(String, String, &'p [Segment])> {
    let attr = |i: usize| match path.get(i) {
        Some(Segment::Attr(a)) => Some(a.as_str()),
        _ => None,
    };
    let schema = &analysis.schema;
    let (role, at) = match (attr(0)?, attr(1), attr(2)) {
        ("environment", Some("inputs"), _) => (&schema.environment_input_type, 2),
        ("service_instance", Some("inputs"), _) => (&schema.service_input_type, 2),
        ("pipeline", Some("inputs"), _) => (&schema.pipeline_input_type, 2),
        ("service_instances", _, Some("inputs")) => (&schema.service_input_type, 3),
        _ => return None,
    };
    Some((role.clone()?, attr(at)?.to_owned(), &path[at + 1..]))
}

/// Could a value of this property (or of the part of it that `rest` selects) hold any text?
fn is_free_text(prop: &Property, rest: &[Segment]) -> bool {
    match prop.ty {
        PropType::String => {
            prop.enum_values.is_none() && !prop.pattern.as_ref().is_some_and(|p| is_restrictive(&p.source))
        }
        PropType::Array => match (&prop.items, rest.first()) {
            (None, _) => true,
            (Some(items), Some(Segment::Each | Segment::Index(_))) => is_free_text(items, &rest[1..]),
            (Some(items), _) => is_free_text(items, &[]),
        },
        PropType::Number | PropType::Integer | PropType::Boolean | PropType::Invalid => false,
    }
}

/// Characters that let a value leave its scalar.
const UNSAFE_CHARS: &[char] = &[
    '\'', '"', ':', '#', '\n', '\r', '\t', ' ', ',', '{', '}', '[', ']', '\\', '`', '|', '>',
];

/// Is an ECMA `pattern` anchored at both ends (`^…$`) with no way to match a quote, a colon, `#`, a
/// bracket, whitespace or a line break? A conservative reading of its source: `.`, negated classes,
/// `\s \S \W \D`, escapes such as `\x41`, alternation outside a group and ranges that span such
/// characters all count as unsafe.
pub fn is_restrictive(source: &str) -> bool {
    let Some(body) = source.strip_prefix('^').and_then(|b| b.strip_suffix('$')) else {
        return false;
    };
    if body.ends_with('\\') {
        return false;
    }
    let mut chars = body.chars().peekable();
    let mut in_class = false;
    let mut depth = 0usize;
    let mut prev: Option<char> = None;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('d' | 'w' | 'b' | 'B' | '.' | '-' | '/' | '_' | '+' | '*' | '?' | '(' | ')' | '^' | '$' | '=') => {
                }
                _ => return false,
            },
            '[' if !in_class => {
                in_class = true;
                if chars.peek() == Some(&'^') {
                    return false;
                }
            }
            ']' if in_class => in_class = false,
            '-' if in_class => match (prev, chars.peek()) {
                (_, Some('\\')) => return false,
                (Some(lo), Some(&hi)) if hi != ']' && UNSAFE_CHARS.iter().any(|u| (lo..=hi).contains(u)) => {
                    return false
                }
                _ => {}
            },
            c if in_class && UNSAFE_CHARS.contains(&c) => return false,
            _ if in_class => {}
            '.' => return false,
            '|' if depth == 0 => return false,
            '|' | '{' | '}' | ',' => {}
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            c if UNSAFE_CHARS.contains(&c) => return false,
            _ => {}
        }
        prev = Some(c);
    }
    !in_class
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inert_values() {
        assert!(is_inert("public.ecr.aws/nginx-x_1+2=3@sha"));
        assert!(!is_inert("a: b"));
        assert!(!is_inert("10.0.0.0/16 "));
        assert!(!is_inert("x'y"));
    }

    #[test]
    fn restrictive_patterns() {
        for ok in [
            "^[a-z]+$",
            "^[a-z0-9-]{1,63}$",
            r"^(\d{1,3}\.){3}\d{1,3}/(16|24)$",
            r"^[A-Za-z0-9._/-]+$",
        ] {
            assert!(is_restrictive(ok), "{ok}");
        }
        for bad in [
            r"([0-9]{1,3}\.){3}[0-9]{1,3}($|/(16|24))",
            "^.*$",
            "^[^x]+$",
            r"^\S+$",
            "^[a-z]+|x$",
            "^[ -~]+$",
            "^[a-z:]+$",
            "^[a-z]+",
            r"^\x27$",
        ] {
            assert!(!is_restrictive(bad), "{bad}");
        }
    }
}
