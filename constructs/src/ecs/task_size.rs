//! Fargate's cpu/memory table and [`TaskSizeMapping`] for AWS Proton's `task_size` input.

use indexmap::IndexMap;

use crate::stack::{MappingHandle, MappingTable, Scope};
use crate::value::{fns, Expr, Value};

/// Fargate's CPU units and the memory sizes (MiB) allowed with each: (cpu, min, max, step).
pub const FARGATE_SIZES: [(i64, i64, i64, i64); 7] = [
    (256, 512, 2048, 512),
    (512, 1024, 4096, 1024),
    (1024, 2048, 8192, 1024),
    (2048, 4096, 16384, 1024),
    (4096, 8192, 30720, 1024),
    (8192, 16384, 61440, 4096),
    (16384, 32768, 122880, 8192),
];

/// The memory sizes (MiB) Fargate allows with `cpu` units, or `None` for an unsupported cpu value.
pub fn fargate_memory_options(cpu: i64) -> Option<Vec<i64>> {
    let (_, min, max, step) = FARGATE_SIZES.iter().find(|(c, ..)| *c == cpu)?;
    let mut v: Vec<i64> = (0..).map(|i| min + i * step).take_while(|m| m <= max).collect();
    if cpu == 256 {
        // 256 allows 512, 1024 and 2048 (not 1536).
        v = vec![512, 1024, 2048];
    }
    Some(v)
}

/// `None` when Fargate supports the pair; otherwise the message.
pub fn check_fargate_size(cpu: i64, memory_mib: i64) -> Option<String> {
    let Some(options) = fargate_memory_options(cpu) else {
        let cpus: Vec<String> = FARGATE_SIZES.iter().map(|(c, ..)| c.to_string()).collect();
        return Some(format!(
            "Fargate does not support cpu {cpu}; allowed: {}",
            cpus.join(", ")
        ));
    };
    if options.contains(&memory_mib) {
        return None;
    }
    let allowed = if options.len() <= 4 {
        options.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
    } else {
        let (_, min, max, step) = FARGATE_SIZES
            .iter()
            .find(|(c, ..)| *c == cpu)
            .copied()
            .unwrap_or_default();
        format!("{min}-{max} in steps of {step}")
    };
    Some(format!(
        "Fargate does not support cpu {cpu} with memory {memory_mib} MiB; allowed for {cpu}: {allowed}"
    ))
}

pub(super) fn literal_int(v: &Value<i64>) -> Option<i64> {
    match v.expr() {
        Expr::Int(i) => Some(*i),
        Expr::Str(s) => s.parse().ok(),
        _ => None,
    }
}

/// A `Mappings` table of named Fargate task sizes (AWS Proton's `task_size` input), validated row by row.
/// `cpu(key)` / `memory(key)` give the `Fn::FindInMap` values to use as the task size.
#[derive(Clone, Copy, Debug)]
pub struct TaskSizeMapping {
    pub(super) handle: MappingHandle,
}

impl TaskSizeMapping {
    /// A mapping with construct id `id` from `(name, cpu, memory MiB)` rows.
    pub fn new(scope: &mut Scope, id: &str, rows: &[(&str, i64, i64)]) -> Self {
        let mut table = MappingTable::new();
        let mut problems = Vec::new();
        if rows.is_empty() {
            problems.push("a task size mapping needs at least one row".to_owned());
        }
        for (name, cpu, memory) in rows {
            if let Some(p) = check_fargate_size(*cpu, *memory) {
                problems.push(format!("task size {name:?}: {p}"));
            }
            if table.contains_key(*name) {
                problems.push(format!("task size {name:?} is defined twice"));
            }
            let mut row = IndexMap::new();
            row.insert("cpu".to_owned(), serde_json::json!(cpu));
            row.insert("memory".to_owned(), serde_json::json!(memory));
            table.insert((*name).to_owned(), row);
        }
        let handle = scope.add_mapping(id, table);
        let path = if scope.path().is_empty() {
            id.to_owned()
        } else {
            format!("{}/{id}", scope.path())
        };
        for p in problems {
            scope.stack().error(&path, p);
        }
        TaskSizeMapping { handle }
    }

    /// The table of AWS's Proton Fargate sample: x-small (256/512) … x-large (4096/8192).
    /// A named constructor: like every creator it takes the scope and id (see ARCHITECTURE.md, receiver rule).
    pub fn aws_sample(scope: &mut Scope, id: &str) -> Self {
        TaskSizeMapping::new(
            scope,
            id,
            &[
                ("x-small", 256, 512),
                ("small", 512, 1024),
                ("medium", 1024, 2048),
                ("large", 2048, 4096),
                ("x-large", 4096, 8192),
            ],
        )
    }

    /// CPU units of the size named `key` (`Fn::FindInMap`).
    pub fn cpu(&self, key: impl Into<Value<String>>) -> Value<i64> {
        fns::find_in_map(&self.handle, key.into(), "cpu".into())
    }

    /// Memory (MiB) of the size named `key` (`Fn::FindInMap`).
    pub fn memory(&self, key: impl Into<Value<String>>) -> Value<i64> {
        fns::find_in_map(&self.handle, key.into(), "memory".into())
    }

    pub fn handle(&self) -> MappingHandle {
        self.handle
    }
}
