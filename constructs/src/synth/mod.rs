//! Synthesis: resolve → validate → emit. The build phase ([`crate::stack`]) produced an arena of elements;
//! here logical IDs are assigned, references resolved (and checked to stay inside the template), dependency
//! cycles and CloudFormation's limits checked, and the template emitted as JSON. Every problem is collected;
//! nothing is emitted when any is an error.

mod checks;
mod emit;
mod resolve;

use emit::*;

use std::collections::BTreeSet;

use indexmap::IndexMap;
use serde_json::Value as J;

use crate::diag::{Diagnostic, Diagnostics};
use crate::stack::Stack;
/// Key of the single-member object that stands for raw Jinja text in [`Mode::Bundle`] output.
/// Bundle writers print its value verbatim instead of the object.
pub const JINJA_KEY: &str = "::jinja";

/// Loops ([`crate::Stack::add_loop`]) in [`Mode::Bundle`] output. A list item
/// `{"::for": "<var> in <iterable>", "::items": [...]}` stands for its items repeated once per loop item;
/// a member of the `Resources` object whose key starts with `::for` has the value
/// `{"::for": "<var> in <iterable>", "::body": {<raw key>: resource, ...}}`, whose keys are printed raw
/// (they carry the [`LOOP_INDEX_SUFFIX`]). Bundle writers wrap both in `{% for %}` … `{% endfor %}`.
pub const LOOP_KEY: &str = "::for";
/// Key of the repeated list items of a loop (see [`LOOP_KEY`]).
pub const LOOP_ITEMS_KEY: &str = "::items";
/// Key of the repeated `Resources` members of a loop (see [`LOOP_KEY`]).
pub const LOOP_BODY_KEY: &str = "::body";
/// Identifies the stack of a loop in the build-phase [`Expr`] form of loop items.
pub const LOOP_STACK_KEY: &str = "::stack";
/// Appended to the logical ID of a looped resource in [`Mode::Bundle`] output.
pub const LOOP_INDEX_SUFFIX: &str = "{{ loop.index }}";

/// Which spelling late-bound placeholders take.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Mode {
    /// Plain CloudFormation: placeholders become their plain expression (parameter `Ref`s, imports).
    #[default]
    Plain,
    /// AWS Proton bundle: placeholders become Jinja text (see [`JINJA_KEY`]).
    Bundle,
}

/// CloudFormation template limits (per template).
pub mod limits {
    pub const MAX_PARAMETERS: usize = 200;
    pub const MAX_OUTPUTS: usize = 200;
    pub const MAX_MAPPINGS: usize = 200;
    pub const MAX_MAPPING_ATTRIBUTES: usize = 200;
    pub const MAX_BODY_BYTES: usize = 1_000_000;
    /// Above this a template body must be uploaded to S3 instead of passed inline.
    pub const MAX_INLINE_BODY_BYTES: usize = 51_200;
}

/// Counts of a synthesized template, printed by the CLI so growth is visible.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TemplateStats {
    pub resources: usize,
    pub parameters: usize,
    pub outputs: usize,
    pub mappings: usize,
    pub conditions: usize,
    /// Size of the pretty-printed JSON body.
    pub bytes: usize,
}

/// A synthesized template.
#[derive(Clone, Debug)]
pub struct Synthesized {
    pub template: J,
    pub stats: TemplateStats,
    pub warnings: Vec<Diagnostic>,
    /// Logical ID of every resource, by construct path (for snapshotting ID stability).
    pub logical_ids: IndexMap<String, String>,
}

/// The length of [`to_json_string`]'s output, without building it.
fn json_len(template: &J) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    let _ = serde_json::to_writer_pretty(&mut count, template);
    count.0 + 1
}

/// Deterministic pretty JSON with a trailing newline.
pub fn to_json_string(template: &J) -> String {
    let mut s = serde_json::to_string_pretty(template).unwrap_or_default();
    s.push('\n');
    s
}

struct Ids {
    resources: Vec<String>,
    parameters: Vec<String>,
    conditions: Vec<String>,
    mappings: Vec<String>,
    outputs: Vec<String>,
}

impl Stack {
    /// Synthesize the template. Returns every error at once; warnings ride along with a success.
    pub fn synth(&self, mode: Mode) -> Result<Synthesized, Diagnostics> {
        let mut diags: Vec<Diagnostic> = self.diagnostics.clone();
        let ids = self.assign_logical_ids(&mut diags);
        let mut r = Resolver {
            stack: self,
            ids: &ids,
            mode,
            diags: Vec::new(),
            path: String::new(),
            edges: vec![BTreeSet::new(); self.resources.len()],
            current: None,
            cur_loop: None,
        };
        let template = r.emit_template();
        let edges = std::mem::take(&mut r.edges);
        diags.append(&mut r.diags);
        self.check_cycles(&ids, &edges, &mut diags);
        for (path, validation) in &self.validations {
            diags.extend(validation(self).into_iter().map(|m| Diagnostic::error(path.clone(), m)));
        }
        let body_len = json_len(&template);
        let stats = TemplateStats {
            resources: self.resources.len(),
            parameters: self.parameters.len(),
            outputs: self.outputs.len(),
            mappings: self.mappings.len(),
            conditions: self.conditions.len(),
            bytes: body_len,
        };
        self.check_limits(&stats, &mut diags);
        let (errors, warnings): (Vec<_>, Vec<_>) = diags.into_iter().partition(Diagnostic::is_error);
        if !errors.is_empty() {
            let mut all = errors;
            all.extend(warnings);
            return Err(Diagnostics(all));
        }
        let logical_ids = self
            .resources
            .iter()
            .zip(&ids.resources)
            .map(|(e, id)| (e.path.clone(), id.clone()))
            .collect();
        Ok(Synthesized {
            template,
            stats,
            warnings,
            logical_ids,
        })
    }
}
