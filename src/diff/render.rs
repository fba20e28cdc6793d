//! A [`Diff`] for people (text, replacements first, optional colour) and for CI (the JSON documented in
//! README.md, `"version": 1`).

use std::fmt::Write as _;

use serde_json::{json, Value};

use super::outputs::{ExportIssueKind, OutputChange, ParameterChange};
use super::values::short;
use super::{Change, ChangeKind, Diff, PropChange, Replacement, SchemaChange, TemplateDiff, TemplateStatus};

/// Longest value shown on a text line.
const VALUE_WIDTH: usize = 80;

fn status_str(s: TemplateStatus) -> &'static str {
    match s {
        TemplateStatus::Added => "added",
        TemplateStatus::Removed => "removed",
        TemplateStatus::Changed => "changed",
    }
}

/// The order resources are shown in: replaced, possibly replaced, removed, updated, added.
fn rank(c: &Change) -> u8 {
    match &c.kind {
        ChangeKind::Renamed { .. } => 0,
        ChangeKind::Modified {
            replacement: Replacement::Always,
            ..
        } => 0,
        ChangeKind::Modified {
            replacement: Replacement::Conditional | Replacement::Unknown,
            ..
        } => 1,
        ChangeKind::Removed => 2,
        ChangeKind::Modified { .. } => 3,
        ChangeKind::Added => 4,
    }
}

fn sorted(t: &TemplateDiff) -> Vec<&Change> {
    let mut v: Vec<&Change> = t.changes.iter().collect();
    v.sort_by(|a, b| (rank(a), &a.logical_id).cmp(&(rank(b), &b.logical_id)));
    v
}

// ---------------------------------------------------------------------------------------------------------
// Text

struct Painter(bool);

impl Painter {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

const RED: &str = "31";
const GREEN: &str = "32";
const YELLOW: &str = "33";
const BOLD: &str = "1";

/// The diff as text. `color`: ANSI colours (the CLI turns them on for terminals without `NO_COLOR`).
pub fn render_text(diff: &Diff, color: bool) -> String {
    let p = Painter(color);
    let mut out = String::new();
    if diff.is_empty() {
        out.push_str("no differences\n");
    }
    for (status, t) in &diff.templates {
        writeln!(
            out,
            "{}",
            p.paint(BOLD, &format!("Template {} ({})", t.name, status_str(*status)))
        )
        .unwrap();
        for c in sorted(t) {
            change_text(&mut out, &p, c);
        }
        for x in &t.parameters {
            writeln!(
                out,
                "  [{}] Parameter {}{}",
                side_mark(x.kind.as_str()),
                x.name,
                param_note(x)
            )
            .unwrap();
        }
        for o in &t.outputs {
            writeln!(
                out,
                "  [{}] Output {}{}",
                side_mark(o.kind.as_str()),
                o.name,
                export_note(o)
            )
            .unwrap();
        }
        for s in &t.sections {
            writeln!(out, "  [~] {s}").unwrap();
        }
    }
    for e in &diff.exports {
        let what = match &e.kind {
            ExportIssueKind::Removed => "removed".to_owned(),
            ExportIssueKind::Renamed { to } => format!("renamed to {to}"),
            ExportIssueKind::ValueChanged { reason } => format!("changes value ({reason})"),
        };
        let line = format!(
            "Export {} (output {} of {}) {what} while imported by {}",
            e.export,
            e.output,
            e.template,
            e.importers.join(", ")
        );
        writeln!(out, "{}", p.paint(RED, &line)).unwrap();
    }
    for (name, changes) in &diff.schemas {
        writeln!(out, "{}", p.paint(BOLD, &format!("Proton schema {name}"))).unwrap();
        let mut sorted: Vec<&SchemaChange> = changes.iter().collect();
        sorted.sort_by_key(|c| !c.breaking);
        for c in sorted {
            schema_text(&mut out, &p, c);
        }
    }
    for n in &diff.notes {
        writeln!(out, "note: {n}").unwrap();
    }
    writeln!(out, "{}", summary_line(diff)).unwrap();
    out
}

fn side_mark(kind: &str) -> &'static str {
    match kind {
        "added" => "+",
        "removed" => "-",
        _ => "~",
    }
}

fn param_note(x: &ParameterChange) -> String {
    if x.default_changed() {
        let d = |v: &Option<Value>| short(v.as_ref().and_then(|p| p.get("Default")), VALUE_WIDTH);
        format!(": Default {} → {}", d(&x.old), d(&x.new))
    } else {
        String::new()
    }
}

fn export_note(o: &OutputChange) -> String {
    match (&o.old_export, &o.new_export) {
        (Some(a), Some(b)) if a != b => format!(" (export {a} → {b})"),
        (Some(a), None) => format!(" (export {a} removed)"),
        (None, Some(b)) => format!(" (exports {b})"),
        _ => String::new(),
    }
}

fn change_text(out: &mut String, p: &Painter, c: &Change) {
    let (mark, color, label, props): (&str, &str, String, &[PropChange]) = match &c.kind {
        ChangeKind::Added => ("+", GREEN, "add".into(), &[]),
        ChangeKind::Removed => ("-", RED, "remove".into(), &[]),
        ChangeKind::Renamed { from, props } => ("→", RED, format!("renamed from {from} (replacement)"), props),
        ChangeKind::Modified { props, replacement } => {
            let color = if *replacement == Replacement::Never {
                YELLOW
            } else {
                RED
            };
            ("~", color, replacement.label().into(), props)
        }
    };
    let head = format!("  [{mark}] {} {} {label}", c.resource_type, c.logical_id);
    writeln!(out, "{}", p.paint(color, &head)).unwrap();
    for x in props {
        let tag = match x.replacement {
            Replacement::Never => String::new(),
            r => format!(" ({})", r.label()),
        };
        let value = if x.cause.is_some() {
            short(x.new.as_ref(), VALUE_WIDTH)
        } else {
            format!(
                "{} → {}",
                short(x.old.as_ref(), VALUE_WIDTH),
                short(x.new.as_ref(), VALUE_WIDTH)
            )
        };
        let cause = x.cause.as_deref().map(|c| format!(" [{c}]")).unwrap_or_default();
        writeln!(out, "      {}: {value}{tag}{cause}", x.path).unwrap();
    }
}

fn schema_text(out: &mut String, p: &Painter, c: &SchemaChange) {
    let input = if c.input.is_empty() {
        String::new()
    } else {
        format!(".{}", c.input)
    };
    let line = format!(
        "  [{}] {}{input}: {} — {}",
        if c.breaking { "breaking" } else { "compatible" },
        if c.input_type.is_empty() { c.role } else { &c.input_type },
        c.kind.as_str(),
        c.detail
    );
    writeln!(out, "{}", if c.breaking { p.paint(RED, &line) } else { line }).unwrap();
}

struct Counts {
    added: usize,
    removed: usize,
    modified: usize,
    renamed: usize,
    replaced: usize,
    breaking: usize,
}

fn counts(diff: &Diff) -> Counts {
    let all = || diff.templates.iter().flat_map(|(_, t)| &t.changes);
    let n = |f: fn(&ChangeKind) -> bool| all().filter(|c| f(&c.kind)).count();
    Counts {
        added: n(|k| matches!(k, ChangeKind::Added)),
        removed: n(|k| matches!(k, ChangeKind::Removed)),
        modified: n(|k| matches!(k, ChangeKind::Modified { .. })),
        renamed: n(|k| matches!(k, ChangeKind::Renamed { .. })),
        replaced: all().filter(|c| rank(c) <= 1).count(),
        breaking: diff.exports.len() + diff.schemas.iter().flat_map(|(_, c)| c).filter(|c| c.breaking).count(),
    }
}

fn summary_line(diff: &Diff) -> String {
    let c = counts(diff);
    format!(
        "{} template(s) differ: {} added, {} removed, {} modified, {} renamed; {} replaced or possibly replaced; {} breaking change(s)",
        diff.templates.len(),
        c.added,
        c.removed,
        c.modified,
        c.renamed,
        c.replaced,
        c.breaking
    )
}

// ---------------------------------------------------------------------------------------------------------
// JSON

/// The diff as JSON (shape documented in README.md, section `diff`).
pub fn to_json(diff: &Diff) -> Value {
    let c = counts(diff);
    json!({
        "version": 1,
        "has_replacement": diff.has_replacement(),
        "has_breaking": diff.has_breaking(),
        "summary": {
            "templates": diff.templates.len(),
            "added": c.added,
            "removed": c.removed,
            "modified": c.modified,
            "renamed": c.renamed,
            "replaced": c.replaced,
            "breaking": c.breaking,
        },
        "templates": diff.templates.iter().map(|(s, t)| template_json(*s, t)).collect::<Vec<_>>(),
        "exports": diff.exports.iter().map(|e| {
            let (kind, to, reason) = match &e.kind {
                ExportIssueKind::Removed => ("removed", None, None),
                ExportIssueKind::Renamed { to } => ("renamed", Some(to), None),
                ExportIssueKind::ValueChanged { reason } => ("value-changed", None, Some(reason)),
            };
            json!({"template": e.template, "output": e.output, "export": e.export, "change": kind,
                   "renamed_to": to, "reason": reason, "importers": e.importers})
        }).collect::<Vec<_>>(),
        "schemas": diff.schemas.iter().map(|(name, changes)| json!({
            "template": name,
            "changes": changes.iter().map(|c| json!({
                "role": c.role, "input_type": c.input_type, "input": c.input, "change": c.kind.as_str(),
                "breaking": c.breaking, "detail": c.detail,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "notes": diff.notes,
    })
}

fn template_json(status: TemplateStatus, t: &TemplateDiff) -> Value {
    json!({
        "name": t.name,
        "status": status_str(status),
        "resources": sorted(t).into_iter().map(change_json).collect::<Vec<_>>(),
        "parameters": t.parameters.iter().map(|x| json!({
            "name": x.name, "change": x.kind.as_str(), "old": x.old, "new": x.new,
        })).collect::<Vec<_>>(),
        "outputs": t.outputs.iter().map(|o| json!({
            "name": o.name, "change": o.kind.as_str(), "old": o.old, "new": o.new,
            "old_export": o.old_export, "new_export": o.new_export,
        })).collect::<Vec<_>>(),
        "sections": t.sections,
    })
}

fn change_json(c: &Change) -> Value {
    let (kind, replacement, from, props): (&str, Option<Replacement>, Option<&String>, &[PropChange]) = match &c.kind {
        ChangeKind::Added => ("added", None, None, &[]),
        ChangeKind::Removed => ("removed", None, None, &[]),
        ChangeKind::Renamed { from, props } => ("renamed", Some(Replacement::Always), Some(from), props),
        ChangeKind::Modified { props, replacement } => ("modified", Some(*replacement), None, props),
    };
    json!({
        "logical_id": c.logical_id,
        "type": c.resource_type,
        "change": kind,
        "replacement": replacement.map(Replacement::as_str),
        "renamed_from": from,
        "properties": props.iter().map(|x| json!({
            "path": x.path, "old": x.old, "new": x.new, "replacement": x.replacement.as_str(), "cause": x.cause,
        })).collect::<Vec<_>>(),
    })
}
