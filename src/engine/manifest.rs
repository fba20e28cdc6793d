//! `manifest.yaml`: the one form Proton accepts for CloudFormation.
//!
//! ```yaml
//! infrastructure:
//!   templates:
//!     - file: "cloudformation.yaml"
//!       rendering_engine: jinja
//!       template_language: cloudformation
//! ```

use super::finding::Finding;
use super::node::Node;
use super::yaml11::{parse_yaml11, Tags};

/// The manifest's single template entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestEntry {
    pub file: String,
    pub line: usize,
}

/// Parse and check a manifest; `display` names it in findings.
pub fn parse_manifest(text: &str, display: &str) -> (Option<ManifestEntry>, Vec<Finding>) {
    let mut findings = Vec::new();
    let mut err = |line: usize, msg: String| findings.push(Finding::error(msg).in_file(display).at_line(line));
    let root = match parse_yaml11(text, Tags::Any) {
        Ok(r) => r,
        Err(e) => {
            err(e.line.unwrap_or(0), format!("invalid YAML: {}", e.message));
            return (None, findings);
        }
    };
    let Some(templates) = root.get("infrastructure").and_then(|i| i.get("templates")) else {
        err(root.line, "expected `infrastructure: {templates: [...]}`".to_owned());
        return (None, findings);
    };
    let Some(items) = templates.as_seq() else {
        err(
            templates.line,
            format!(
                "infrastructure.templates: expected a list, got {}",
                templates.kind_name()
            ),
        );
        return (None, findings);
    };
    if items.len() != 1 {
        err(
            templates.line,
            format!("infrastructure.templates lists {} templates; Proton takes exactly one CloudFormation template per folder", items.len()),
        );
        return (None, findings);
    }
    let entry = entry(&items[0], &mut err);
    for (k, _) in root.as_map().unwrap_or_default() {
        if k.key_text() != "infrastructure" {
            findings.push(
                Finding::warning(format!("unknown key `{}`; Proton ignores it", k.key_text()))
                    .in_file(display)
                    .at_line(k.line),
            );
        }
    }
    (entry, findings)
}

fn entry(item: &Node, err: &mut dyn FnMut(usize, String)) -> Option<ManifestEntry> {
    let Some(fields) = item.as_map() else {
        err(
            item.line,
            format!(
                "infrastructure.templates[0]: expected a mapping, got {}",
                item.kind_name()
            ),
        );
        return None;
    };
    for (k, _) in fields {
        let key = k.key_text();
        if !matches!(key.as_str(), "file" | "rendering_engine" | "template_language") {
            err(
                k.line,
                format!("infrastructure.templates[0].{key}: unknown key for a CloudFormation template"),
            );
        }
    }
    let engine_ok = rendering_engine_ok(item, err);
    let language_ok = template_language_ok(item, err);
    file_entry(item, err).filter(|_| engine_ok && language_ok)
}

/// `rendering_engine: jinja`, the only engine of CloudFormation templates this tool renders.
fn rendering_engine_ok(item: &Node, err: &mut dyn FnMut(usize, String)) -> bool {
    match item.get("rendering_engine").map(|e| (e, e.as_str())) {
        None => {
            err(
                item.line,
                "infrastructure.templates[0]: missing `rendering_engine: jinja`".to_owned(),
            );
            false
        }
        Some((_, Some("jinja"))) => true,
        Some((e, Some("hcl"))) => {
            err(e.line, "rendering_engine: hcl (Terraform) is not supported by this tool; Proton never ran Terraform itself, it opened a pull request with generated variable files".to_owned());
            false
        }
        Some((e, Some("codebuild"))) => {
            err(
                e.line,
                "rendering_engine: codebuild (CodeBuild provisioning) is not supported by this tool".to_owned(),
            );
            false
        }
        Some((e, _)) => {
            err(
                e.line,
                format!(
                    "rendering_engine: unknown value {}; CloudFormation templates use `jinja`",
                    e.to_json()
                ),
            );
            false
        }
    }
}

/// `template_language: cloudformation`.
fn template_language_ok(item: &Node, err: &mut dyn FnMut(usize, String)) -> bool {
    match item.get("template_language").map(|l| (l, l.as_str())) {
        None => {
            err(
                item.line,
                "infrastructure.templates[0]: missing `template_language: cloudformation`".to_owned(),
            );
            false
        }
        Some((_, Some("cloudformation"))) => true,
        Some((l, Some("terraform"))) => {
            err(
                l.line,
                "template_language: terraform is not supported by this tool".to_owned(),
            );
            false
        }
        Some((l, _)) => {
            err(
                l.line,
                format!("template_language: unknown value {}; use `cloudformation`", l.to_json()),
            );
            false
        }
    }
}

/// `file:`, the name of one file in the manifest's folder.
fn file_entry(item: &Node, err: &mut dyn FnMut(usize, String)) -> Option<ManifestEntry> {
    match item.get("file") {
        None => {
            err(item.line, "infrastructure.templates[0]: missing `file`".to_owned());
            None
        }
        Some(f) => match f.as_str() {
            Some(name) if is_plain_file_name(name) => Some(ManifestEntry {
                file: name.to_owned(),
                line: f.line,
            }),
            Some(name) => {
                err(
                    f.line,
                    format!("file: `{name}` must be the name of one file in the manifest's folder"),
                );
                None
            }
            None => {
                err(f.line, format!("file: expected a file name, got {}", f.kind_name()));
                None
            }
        },
    }
}

fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty() && name != "*" && name != "." && name != ".." && !name.contains(['/', '\\'])
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str =
        "infrastructure:\n  templates:\n    - file: \"cloudformation.yaml\"\n      rendering_engine: jinja\n      template_language: cloudformation\n";

    #[test]
    fn accepts_the_sample_manifest() {
        let (e, f) = parse_manifest(SAMPLE, "m.yaml");
        assert!(f.is_empty(), "{f:?}");
        assert_eq!(e.unwrap().file, "cloudformation.yaml");
    }

    #[test]
    fn rejects_terraform() {
        let text = SAMPLE
            .replace("jinja", "hcl")
            .replace("cloudformation\n", "terraform\n");
        let (e, f) = parse_manifest(&text, "m.yaml");
        assert!(e.is_none());
        assert!(
            f.iter().any(|f| f.message.contains("hcl (Terraform) is not supported")),
            "{f:?}"
        );
    }
}
