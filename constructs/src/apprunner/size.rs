//! App Runner's CPU/memory pairs ([`InstanceSize`]) and [`InstanceSizeMapping`] for a `task_size` input.

use indexmap::IndexMap;

use crate::stack::{MappingHandle, MappingTable, Scope};
use crate::value::{fns, Value};

/// The CPU/memory pairs App Runner accepts (no other combination can be created).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum InstanceSize {
    /// 0.25 vCPU, 0.5 GB.
    Quarter05,
    /// 0.25 vCPU, 1 GB.
    Quarter1,
    /// 0.5 vCPU, 1 GB.
    Half1,
    /// 1 vCPU, 2 GB (App Runner's default).
    #[default]
    One2,
    /// 1 vCPU, 3 GB.
    One3,
    /// 1 vCPU, 4 GB.
    One4,
    /// 2 vCPU, 4 GB.
    Two4,
    /// 2 vCPU, 6 GB.
    Two6,
    /// 4 vCPU, 8 GB.
    Four8,
    /// 4 vCPU, 10 GB.
    Four10,
    /// 4 vCPU, 12 GB.
    Four12,
}

impl InstanceSize {
    /// `(Cpu, Memory)` as CloudFormation takes them, e.g. `("1 vCPU", "2 GB")`.
    pub fn cpu_memory(self) -> (&'static str, &'static str) {
        match self {
            InstanceSize::Quarter05 => ("0.25 vCPU", "0.5 GB"),
            InstanceSize::Quarter1 => ("0.25 vCPU", "1 GB"),
            InstanceSize::Half1 => ("0.5 vCPU", "1 GB"),
            InstanceSize::One2 => ("1 vCPU", "2 GB"),
            InstanceSize::One3 => ("1 vCPU", "3 GB"),
            InstanceSize::One4 => ("1 vCPU", "4 GB"),
            InstanceSize::Two4 => ("2 vCPU", "4 GB"),
            InstanceSize::Two6 => ("2 vCPU", "6 GB"),
            InstanceSize::Four8 => ("4 vCPU", "8 GB"),
            InstanceSize::Four10 => ("4 vCPU", "10 GB"),
            InstanceSize::Four12 => ("4 vCPU", "12 GB"),
        }
    }
}

/// How a [`super::Service`] is sized: one pair, or a row of an [`InstanceSizeMapping`] chosen at deploy time
/// (e.g. by an AWS Proton input).
#[derive(Clone, Debug)]
pub enum Size {
    Fixed(InstanceSize),
    Mapped {
        mapping: InstanceSizeMapping,
        key: Value<String>,
    },
}

impl Default for Size {
    /// [`InstanceSize::One2`].
    fn default() -> Self {
        Size::Fixed(InstanceSize::default())
    }
}

impl Size {
    /// `(Cpu, Memory)` values.
    pub(super) fn values(&self) -> (Value<String>, Value<String>) {
        match self {
            Size::Fixed(s) => {
                let (cpu, memory) = s.cpu_memory();
                (Value::from(cpu), Value::from(memory))
            }
            Size::Mapped { mapping, key } => (
                fns::find_in_map(&mapping.handle, key.clone(), "cpu".into()),
                fns::find_in_map(&mapping.handle, key.clone(), "memory".into()),
            ),
        }
    }
}

/// A template mapping from size names (e.g. the values of a `task_size` input) to [`InstanceSize`]s.
#[derive(Clone, Copy, Debug)]
pub struct InstanceSizeMapping {
    handle: MappingHandle,
}

impl InstanceSizeMapping {
    /// A mapping with construct id `id` from `(name, size)` rows; a name given twice is an error.
    pub fn new(scope: &mut Scope, id: &str, rows: &[(&str, InstanceSize)]) -> Self {
        let mut table = MappingTable::new();
        let mut problems = Vec::new();
        if rows.is_empty() {
            problems.push("an instance size mapping needs at least one row".to_owned());
        }
        for (name, size) in rows {
            if table.contains_key(*name) {
                problems.push(format!(
                    "instance size {name:?} is defined twice; give each name one size"
                ));
            }
            let (cpu, memory) = size.cpu_memory();
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
        InstanceSizeMapping { handle }
    }

    /// The size of row `key` (`Fn::FindInMap`).
    pub fn size(&self, key: impl Into<Value<String>>) -> Size {
        Size::Mapped {
            mapping: *self,
            key: key.into(),
        }
    }

    pub fn handle(&self) -> MappingHandle {
        self.handle
    }
}
