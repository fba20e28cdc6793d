//! Every value a template needs that its render context lacks, found before rendering so that one run
//! reports all of them (strict undefined stops at the first; it stays as the backstop).
//!
//! Each variable reference [`super::scan`] finds is followed through the context actually built for the
//! render: a path is missing when a map along it has no such key (a whole namespace, an environment output,
//! an unset optional input, an instance's output). Paths a template guards (`is defined`, `| default`)
//! are skipped, and so is a step the context cannot answer (an index into a list, a subscript computed at
//! render time, an attribute of a string): those are the template's business, and rendering reports them.

use std::collections::HashSet;

use minijinja::value::{Value, ValueKind};

use super::scan::{Reference, ScanResult, Segment, Target};

/// References whose path is missing from `context`: the first reference of each path as written, in
/// source order.
pub fn missing_references<'a>(scan: &'a ScanResult, context: &Value) -> Vec<&'a Reference> {
    let guarded: HashSet<&str> = scan.guarded.iter().map(String::as_str).collect();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut out: Vec<&Reference> = Vec::new();
    for r in &scan.references {
        let Target::Global(path) = &r.target else {
            continue;
        };
        if guarded.contains(r.text.as_str()) || !seen.insert(r.text.as_str()) {
            continue;
        }
        if is_missing(context, path) {
            out.push(r);
        }
    }
    out
}

/// Whether following `path` from `value` reaches a map without the next key.
fn is_missing(value: &Value, path: &[Segment]) -> bool {
    let Some((first, rest)) = path.split_first() else {
        return false;
    };
    match first {
        Segment::Attr(key) => {
            if value.kind() != ValueKind::Map {
                return false;
            }
            match value.get_attr(key) {
                Ok(v) if v.is_undefined() => true,
                Ok(v) => is_missing(&v, rest),
                Err(_) => false,
            }
        }
        Segment::Each => match value.try_iter() {
            Ok(items) if value.kind() == ValueKind::Seq => items.into_iter().any(|v| is_missing(&v, rest)),
            _ => false,
        },
        Segment::Index(_) | Segment::Dynamic => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::scan::scan;

    fn missing(src: &str, ctx: serde_json::Value) -> Vec<(usize, String)> {
        let result = scan(src);
        let ctx = Value::from(minijinja::value::Serde(&ctx));
        missing_references(&result, &ctx)
            .into_iter()
            .map(|r| (r.line, r.text.clone()))
            .collect()
    }

    #[test]
    fn reports_each_missing_path_once_at_its_first_line() {
        let ctx = serde_json::json!({"environment": {"name": "Beta", "outputs": {"A": "1"}, "inputs": {"s": "x"}}});
        let src = "{{ environment.outputs.A }}\n{{ environment.outputs.B }}\n{{ environment.account_id }}\n\
                   {{ environment.outputs.B }}\n{{ service.name }}\n{{ environment.inputs.s.upper() }}\n\
                   {{ environment.inputs.s.x }}\n";
        assert_eq!(
            missing(src, ctx),
            [
                (2, "environment.outputs.B".to_owned()),
                (3, "environment.account_id".to_owned()),
                (5, "service.name".to_owned()),
            ]
        );
    }

    #[test]
    fn skips_guarded_paths_and_follows_loops() {
        let ctx = serde_json::json!({
            "service_instances": [{"name": "a", "outputs": {"X": "1"}}, {"name": "b", "outputs": {}}],
            "pipeline": {"inputs": {}}
        });
        let src = "{% if pipeline.inputs.opt is defined %}{{ pipeline.inputs.opt }}{% endif %}\n\
                   {{ pipeline.inputs.other | default('d') }}\n\
                   {% for i in service_instances %}{{ i.outputs.X }}{{ i.name }}{{ i.outputs[i.name] }}{% endfor %}\n";
        assert_eq!(missing(src, ctx), [(3, "i.outputs.X".to_owned())]);
    }
}
