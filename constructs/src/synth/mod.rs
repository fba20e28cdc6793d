//! Synthesis: resolve → validate → emit. The build phase ([`crate::stack`]) produced an arena of elements;
//! here logical IDs are assigned, references resolved (and checked to stay inside the template), dependency
//! cycles and CloudFormation's limits checked, and the template resolved ONCE into a [`Node`] tree that
//! carries both spellings of what is late-bound: plain CloudFormation ([`Synthesized::to_json_string`]) and
//! the AWS Proton bundle (the root crate's writer). Every problem is collected; nothing is emitted when any
//! is an error.

mod checks;
mod emit;
mod json;
mod resolve;
pub mod tree;

use emit::*;
pub use json::PrettyJson;
pub use tree::{LoopHeader, Node, Plain};

use indexmap::IndexMap;
use serde_json::Value as J;

use crate::diag::{Diagnostic, Diagnostics};
use crate::stack::Stack;

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
    /// The resolved template, with both spellings of placeholders and loops (see [`tree`]).
    pub template: Node,
    pub stats: TemplateStats,
    pub warnings: Vec<Diagnostic>,
    /// Logical ID of every resource, by construct path (for snapshotting ID stability).
    pub logical_ids: IndexMap<String, String>,
    /// Errors of the plain spelling only ([`Stack::synth_late_bound`]; always empty from [`Stack::synth`]):
    /// the template may be written late-bound, but not as plain CloudFormation.
    pub plain_errors: Vec<Diagnostic>,
}

impl Synthesized {
    /// The plain CloudFormation template as pretty JSON with a trailing newline.
    pub fn to_json_string(&self) -> String {
        self.template.to_json_string()
    }

    /// The plain CloudFormation template as a `serde_json::Value` (for tests and assertions).
    pub fn to_json(&self) -> J {
        self.template.to_json()
    }
}

/// Deterministic pretty JSON with a trailing newline (for JSON documents other than templates).
pub fn to_json_string(value: &J) -> String {
    let mut s = serde_json::to_string_pretty(value).unwrap_or_default();
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
    pub fn synth(&self) -> Result<Synthesized, Diagnostics> {
        self.synth_checking(true)
    }

    /// Synthesize a template whose placeholders are written late-bound (an AWS Proton bundle): problems
    /// found only in the plain spelling of its placeholders (e.g. a `Ref` to a parameter the plain template
    /// lacks) are not errors here but [`Synthesized::plain_errors`], to check before writing it plain.
    pub fn synth_late_bound(&self) -> Result<Synthesized, Diagnostics> {
        self.synth_checking(false)
    }

    fn synth_checking(&self, merge_plain: bool) -> Result<Synthesized, Diagnostics> {
        let mut diags: Vec<Diagnostic> = self.diagnostics.clone();
        let ids = self.assign_logical_ids(&mut diags);
        let mut r = Resolver::new(self, &ids, merge_plain);
        let template = r.emit_template();
        let edges = std::mem::take(&mut r.edges);
        diags.append(&mut r.diags);
        self.check_cycles(&ids, &edges, &mut diags);
        for (path, validation) in &self.validations {
            diags.extend(validation(self).into_iter().map(|m| Diagnostic::error(path.clone(), m)));
        }
        let stats = TemplateStats {
            resources: self.resources.len(),
            parameters: self.parameters.len(),
            outputs: self.outputs.len(),
            mappings: self.mappings.len(),
            conditions: self.conditions.len(),
            bytes: template.json_len(),
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
            plain_errors: r.plain_diags,
        })
    }
}
