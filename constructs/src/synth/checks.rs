//! Logical IDs (paths, overrides, renames, collisions), dependency cycles and CloudFormation's limits.

use crate::fasthash::FastHashMap;
use std::collections::BTreeSet;

use crate::diag::Diagnostic;
use crate::logical_id::{is_valid_logical_id, make_unique_id};
use crate::stack::{NamedEntry, Stack};

use super::*;

impl Stack {
    /// The logical ID of every element, section by section, with an error for each path that derives none,
    /// each rename that matched nothing and each ID two elements share.
    pub(super) fn assign_logical_ids(&self, diags: &mut Vec<Diagnostic>) -> Ids {
        let mut used_renames = BTreeSet::new();
        let mut ids_of = |entries: &mut dyn Iterator<Item = (&str, &Option<String>)>, diags: &mut Vec<Diagnostic>| {
            entries
                .map(|(path, pinned)| self.logical_id(path, pinned, &mut used_renames, diags))
                .collect::<Vec<String>>()
        };
        let ids = Ids {
            resources: ids_of(
                &mut self.resources.iter().map(|e| (e.path.as_str(), &e.logical_id)),
                diags,
            ),
            parameters: ids_of(&mut entry_ids(&self.parameters), diags),
            conditions: ids_of(&mut entry_ids(&self.conditions), diags),
            mappings: ids_of(&mut entry_ids(&self.mappings), diags),
            outputs: ids_of(&mut entry_ids(&self.outputs), diags),
        };
        self.check_unused_renames(&used_renames, diags);
        self.check_id_collisions(&ids, diags);
        ids
    }

    /// The logical ID of the element at `path`: its pinned ID, else the one derived from the path, renamed if
    /// [`Stack::rename_logical_id`] says so (the renamed ID is recorded in `used_renames`). Empty (with an
    /// error) when the path derives none.
    fn logical_id(
        &self,
        path: &str,
        pinned: &Option<String>,
        used_renames: &mut BTreeSet<String>,
        diags: &mut Vec<Diagnostic>,
    ) -> String {
        if let Some(id) = pinned {
            return id.clone();
        }
        let components: Vec<&str> = path.split('/').collect();
        let computed = match make_unique_id(&components) {
            Some(id) => id,
            None => {
                diags.push(Diagnostic::error(
                    self.full_path(path),
                    "the path has only `Default` components, so no logical ID can be derived; give the construct another id",
                ));
                return String::new();
            }
        };
        match self.renames.get(&computed) {
            Some(new) => {
                used_renames.insert(computed);
                new.clone()
            }
            None => computed,
        }
    }

    /// Every `rename_logical_id` must have matched an element.
    fn check_unused_renames(&self, used_renames: &BTreeSet<String>, diags: &mut Vec<Diagnostic>) {
        for old in self.renames.keys() {
            if !used_renames.contains(old) {
                diags.push(Diagnostic::error(
                    self.name.clone(),
                    format!("rename_logical_id({old:?}, …) matched no element; check the old ID"),
                ));
            }
        }
    }

    /// No two elements of a section may share a logical ID. Resources and parameters share the namespace `Ref`
    /// reads from; the other sections are separate.
    fn check_id_collisions(&self, ids: &Ids, diags: &mut Vec<Diagnostic>) {
        let resource_paths = self.resources.iter().map(|e| e.path.as_str());
        let param_paths = self.parameters.iter().map(|e| e.path.as_str());
        self.check_id_section(
            "Resources/Parameters",
            resource_paths
                .chain(param_paths)
                .zip(ids.resources.iter().chain(&ids.parameters)),
            diags,
        );
        self.check_id_section(
            "Conditions",
            self.conditions.iter().map(|e| e.path.as_str()).zip(&ids.conditions),
            diags,
        );
        self.check_id_section(
            "Mappings",
            self.mappings.iter().map(|e| e.path.as_str()).zip(&ids.mappings),
            diags,
        );
        self.check_id_section(
            "Outputs",
            self.outputs.iter().map(|e| e.path.as_str()).zip(&ids.outputs),
            diags,
        );
    }

    pub(super) fn check_id_section<'a>(
        &self,
        section: &str,
        items: impl Iterator<Item = (&'a str, &'a String)>,
        diags: &mut Vec<Diagnostic>,
    ) {
        let mut seen: FastHashMap<&str, &str> = FastHashMap::default();
        seen.reserve(items.size_hint().0);
        for (path, id) in items {
            if id.is_empty() {
                continue;
            }
            if !is_valid_logical_id(id) {
                diags.push(Diagnostic::error(
                    self.full_path(path),
                    format!("logical ID {id:?} is invalid: it must match ^[A-Za-z0-9]{{1,255}}$"),
                ));
            }
            if let Some(other) = seen.insert(id, path) {
                if other == path {
                    continue; // already reported as a duplicate construct id
                }
                diags.push(Diagnostic::error(
                    self.full_path(path),
                    format!(
                        "logical ID {id:?} in {section} is produced by both {:?} and {:?}; rename one construct or pin an ID with override_logical_id",
                        self.full_path(other),
                        self.full_path(path)
                    ),
                ));
            }
        }
    }

    pub(super) fn check_cycles(&self, ids: &Ids, edges: &[BTreeSet<usize>], diags: &mut Vec<Diagnostic>) {
        // Iterative DFS with colours; the first back edge found from each root yields one reported cycle.
        let n = edges.len();
        let mut colour = vec![0u8; n]; // 0 new, 1 on stack, 2 done
        for root in 0..n {
            if colour[root] != 0 {
                continue;
            }
            let mut stack: Vec<(usize, Vec<usize>)> = vec![(root, edges[root].iter().copied().collect())];
            colour[root] = 1;
            while let Some((node, pending)) = stack.last_mut() {
                let node = *node;
                match pending.pop() {
                    Some(next) if colour[next] == 0 => {
                        colour[next] = 1;
                        stack.push((next, edges[next].iter().copied().collect()));
                    }
                    Some(next) if colour[next] == 1 => {
                        let start = stack.iter().position(|(n, _)| *n == next).unwrap_or(0);
                        let mut names: Vec<String> = stack[start..]
                            .iter()
                            .map(|(n, _)| {
                                format!("{} ({})", ids.resources[*n], self.full_path(&self.resources[*n].path))
                            })
                            .collect();
                        names.push(ids.resources[next].clone());
                        diags.push(Diagnostic::error(
                            self.full_path(&self.resources[node].path),
                            format!("dependency cycle: {}", names.join(" -> ")),
                        ));
                    }
                    Some(_) => {}
                    None => {
                        colour[node] = 2;
                        stack.pop();
                    }
                }
            }
        }
    }

    pub(super) fn check_limits(&self, stats: &TemplateStats, diags: &mut Vec<Diagnostic>) {
        use limits::*;
        let name = &self.name;
        let mut count = |what: &str, n: usize, max: usize| {
            if n > max {
                diags.push(Diagnostic::error(
                    name.clone(),
                    format!("the template has {n} {what}; CloudFormation allows at most {max} per template: split it into several templates"),
                ));
            } else if n * 10 > max * 9 {
                diags.push(Diagnostic::warning(
                    name.clone(),
                    format!("the template has {n} {what}, over 90% of CloudFormation's limit of {max}"),
                ));
            }
        };
        count("resources", stats.resources, self.resource_limit);
        count("parameters", stats.parameters, MAX_PARAMETERS);
        count("outputs", stats.outputs, MAX_OUTPUTS);
        count("mappings", stats.mappings, MAX_MAPPINGS);
        for m in &self.mappings {
            if m.value.len() > MAX_MAPPING_ATTRIBUTES {
                diags.push(Diagnostic::error(
                    self.full_path(&m.path),
                    format!(
                        "the mapping has {} top-level keys; CloudFormation allows at most {MAX_MAPPING_ATTRIBUTES}",
                        m.value.len()
                    ),
                ));
            }
        }
        if stats.bytes > MAX_BODY_BYTES {
            diags.push(Diagnostic::error(
                name.clone(),
                format!(
                    "the template body is {} bytes; CloudFormation accepts at most {MAX_BODY_BYTES}",
                    stats.bytes
                ),
            ));
        } else if stats.bytes > MAX_INLINE_BODY_BYTES {
            diags.push(Diagnostic::warning(
                name.clone(),
                format!(
                    "the template body is {} bytes, over {MAX_INLINE_BODY_BYTES}: deploy it through an S3 bucket (aws cloudformation deploy --s3-bucket …)",
                    stats.bytes
                ),
            ));
        }
    }
}

/// The paths and pinned logical IDs of a section's entries.
fn entry_ids<T>(entries: &[NamedEntry<T>]) -> impl Iterator<Item = (&str, &Option<String>)> {
    entries.iter().map(|e| (e.path.as_str(), &e.logical_id))
}
