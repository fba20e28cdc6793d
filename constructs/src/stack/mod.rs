//! The build phase: a [`Stack`] is an arena of template elements (resources, parameters, conditions,
//! mappings, outputs) addressed by typed handles; a [`Scope`] is a position in the construct tree.
//!
//! Elements are identified by construct paths (`Vpc/PublicSubnet1/Subnet`); logical IDs are derived from the
//! paths at synthesis ([`crate::logical_id`]). Mistakes found while building (duplicate ids, schema violations,
//! construct validation) are recorded, not thrown, and reported together by [`Stack::synth`].

mod element;
mod entry;
mod handle;
mod scope;

pub use element::*;
pub use entry::*;
pub use handle::*;
pub use scope::*;

use crate::fasthash::FastHashSet;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU32, Ordering};

use indexmap::IndexMap;

use crate::diag::Diagnostic;
use crate::resource::{AnyResource, UntypedResource};
use crate::value::{ElementKind, ElementRef, Expr, StackId};
static NEXT_STACK_ID: AtomicU32 = AtomicU32::new(0);

pub type MappingTable = IndexMap<String, IndexMap<String, serde_json::Value>>;

#[derive(Debug)]
pub(crate) struct NamedEntry<T> {
    pub(crate) path: String,
    pub(crate) value: T,
    pub(crate) logical_id: Option<String>,
}

type Validation = Box<dyn Fn(&Stack) -> Vec<String> + Send + Sync>;

/// A CloudFormation template under construction.
pub struct Stack {
    pub(crate) id: StackId,
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    pub(crate) metadata: IndexMap<String, serde_json::Value>,
    pub(crate) resources: Vec<ResourceEntry>,
    pub(crate) parameters: Vec<NamedEntry<ParameterSpec>>,
    pub(crate) conditions: Vec<NamedEntry<CondExpr>>,
    pub(crate) mappings: Vec<NamedEntry<MappingTable>>,
    pub(crate) outputs: Vec<NamedEntry<Output>>,
    pub(crate) renames: IndexMap<String, String>,
    pub(crate) validations: Vec<(String, Validation)>,
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(crate) resource_limit: usize,
    pub(crate) loops: Vec<LoopSpec>,
    paths: FastHashSet<String>,
    /// Construct-tree nodes handed out by [`Scope::node_id`] (path and loop), found again by index.
    nodes: Vec<NodeData>,
    /// What [`Stack::resource_mut`] hands out for a handle of another template (after recording the error),
    /// so the caller's edits go nowhere; never emitted.
    scratch: Box<ResourceEntry>,
}

impl std::fmt::Debug for Stack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stack")
            .field("name", &self.name)
            .field("resources", &self.resources.len())
            .finish_non_exhaustive()
    }
}

/// CloudFormation's resource limit per template.
pub const DEFAULT_RESOURCE_LIMIT: usize = 500;

impl Stack {
    /// A new, empty template. `name` is the first component of every construct path in it.
    pub fn new(name: &str) -> Self {
        let mut stack = Stack {
            id: StackId(NEXT_STACK_ID.fetch_add(1, Ordering::Relaxed)),
            name: name.to_owned(),
            description: None,
            metadata: IndexMap::new(),
            resources: Vec::new(),
            parameters: Vec::new(),
            conditions: Vec::new(),
            mappings: Vec::new(),
            outputs: Vec::new(),
            renames: IndexMap::new(),
            validations: Vec::new(),
            diagnostics: Vec::new(),
            resource_limit: DEFAULT_RESOURCE_LIMIT,
            loops: Vec::new(),
            paths: FastHashSet::default(),
            scratch: Box::new(detached_entry()),
            nodes: Vec::new(),
        };
        if let Err(msg) = check_construct_id(name) {
            stack.diagnostics.push(Diagnostic::error(name, msg));
        }
        stack
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn set_description(&mut self, d: &str) {
        self.description = Some(d.to_owned());
    }

    pub fn add_template_metadata(&mut self, key: &str, value: serde_json::Value) {
        self.metadata.insert(key.to_owned(), value);
    }

    /// Override the resource limit (CloudFormation allows 500 per template).
    pub fn set_resource_limit(&mut self, limit: usize) {
        self.resource_limit = limit;
    }

    /// Declare a loop over a late-bound list, e.g. an AWS Proton pipeline's
    /// `{% for service_instance in service_instances %}`. Resources added through [`Scope::in_loop`] are
    /// emitted once per item in an AWS Proton bundle (their logical IDs get a `{{ loop.index }}` suffix);
    /// lists may splice per-item entries with [`LoopHandle::items`]. In plain CloudFormation the loop is
    /// emitted once, without suffix.
    pub fn add_loop(&mut self, var: &str, iterable: &str) -> LoopHandle {
        let ident = |s: &str| {
            let mut c = s.chars();
            c.next().is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
                && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
        };
        if !ident(var) || !ident(iterable) || var == "loop" {
            let name = self.name.clone();
            self.diagnostics.push(Diagnostic::error(
                name,
                format!("add_loop: {var:?} in {iterable:?} is not a valid Jinja loop (identifiers; the variable cannot be `loop`)"),
            ));
        }
        let index = self.loops.len() as u32;
        self.loops.push(LoopSpec {
            var: var.to_owned(),
            iterable: iterable.to_owned(),
        });
        LoopHandle { stack: self.id, index }
    }

    /// Pin the logical ID of a parameter (instead of deriving it from its construct path), e.g. to keep a
    /// deployment-facing parameter name stable while its construct path stays out of the way of resources.
    pub fn set_parameter_logical_id<T>(&mut self, h: &ParamHandle<T>, id: &str) {
        let index = h.element.index as usize;
        if h.element.stack != self.id || index >= self.parameters.len() {
            let name = self.name.clone();
            self.diagnostics.push(Diagnostic::error(
                name,
                "set_parameter_logical_id: the parameter belongs to another template",
            ));
            return;
        }
        self.parameters[index].logical_id = Some(id.to_owned());
    }

    /// The declaration of a loop of this stack.
    pub fn loop_spec(&self, lp: &LoopHandle) -> Option<&LoopSpec> {
        (lp.stack == self.id)
            .then(|| self.loops.get(lp.index as usize))
            .flatten()
    }

    /// A root-level scope whose resources are repeated once per item of `lp` (see [`Scope::in_loop`]).
    pub fn root_in_loop(&mut self, lp: &LoopHandle) -> Scope<'_> {
        if lp.stack != self.id || lp.index as usize >= self.loops.len() {
            let name = self.name.clone();
            self.diagnostics.push(Diagnostic::error(
                name,
                "root_in_loop: the loop belongs to another template",
            ));
        }
        Scope {
            stack: self,
            path: Vec::new(),
            in_loop: Some(lp.index),
            node: None,
        }
    }

    /// The root scope: constructs created here have paths `<id>` below the stack.
    pub fn root(&mut self) -> Scope<'_> {
        Scope {
            stack: self,
            path: Vec::new(),
            in_loop: None,
            node: None,
        }
    }

    /// The root scope, in the loop of the first of `nodes` that has one: where resources that a method adds
    /// at the template root for constructs go (security group rules), so they repeat with the constructs they
    /// reference. Imported constructs (`None`) and nodes of another template have no loop.
    pub(crate) fn root_in_loop_of(&mut self, nodes: &[Option<NodeId>]) -> Scope<'_> {
        let in_loop = nodes
            .iter()
            .flatten()
            .filter(|n| n.stack == self.id)
            .find_map(|n| self.nodes.get(n.index as usize).and_then(|n| n.in_loop));
        Scope {
            stack: self,
            path: Vec::new(),
            in_loop,
            node: None,
        }
    }

    /// The scope of a construct node (see [`Scope::node_id`]): how a construct adds resources to itself
    /// after creation (a role's default policy on its first grant). The scope keeps the node's loop. A node of
    /// another template records an error and gives the root scope.
    pub fn scope(&mut self, node: impl Into<Option<NodeId>>) -> Scope<'_> {
        let Some(node) = node.into() else {
            let name = self.name.clone();
            self.diagnostics.push(Diagnostic::error(
                name,
                "scope: an imported construct has no scope in this template",
            ));
            return self.root();
        };
        match self.nodes.get(node.index as usize).filter(|_| node.stack == self.id) {
            Some(n) => Scope {
                path: n.path.clone(),
                in_loop: n.in_loop,
                node: Some(node.index),
                stack: self,
            },
            None => {
                let name = self.name.clone();
                self.diagnostics.push(Diagnostic::error(
                    name,
                    "scope: the construct node belongs to another template",
                ));
                self.root()
            }
        }
    }

    /// The construct path of a node below the stack (`Vpc/PublicSubnet1`); empty for a foreign node.
    pub fn node_path(&self, node: NodeId) -> String {
        match self.nodes.get(node.index as usize).filter(|_| node.stack == self.id) {
            Some(n) => n.path.join("/"),
            None => String::new(),
        }
    }

    /// The scope at a path below the stack (`Service/TaskRole`), e.g. for a construct that adds resources
    /// to itself after creation (a role's default policy on its first grant).
    ///
    /// A construct's resources share its loop, so the scope is in the loop of the resources already at or
    /// below `path` (a role created per service instance gets its default policy per instance too).
    pub fn scope_at(&mut self, path: &str) -> Scope<'_> {
        let components: Vec<String> = path.split('/').filter(|c| !c.is_empty()).map(str::to_owned).collect();
        let prefix = components.join("/");
        let in_loop = self
            .resources
            .iter()
            .find(|r| r.path == prefix || r.path.strip_prefix(&prefix).is_some_and(|rest| rest.starts_with('/')))
            .and_then(|r| r.in_loop);
        Scope {
            stack: self,
            path: components,
            in_loop,
            node: None,
        }
    }

    /// Rename a computed logical ID (for migrations); an unused rename fails synthesis.
    pub fn rename_logical_id(&mut self, old: &str, new: &str) {
        if self.renames.insert(old.to_owned(), new.to_owned()).is_some() {
            let path = self.name.clone();
            self.diagnostics
                .push(Diagnostic::error(path, format!("logical ID {old:?} is renamed twice")));
        }
    }

    /// Access a resource's entry to set policies, conditions, metadata or overrides.
    pub fn resource_mut<R>(&mut self, h: &Handle<R>) -> &mut ResourceEntry {
        // A handle of another stack is a programming error that synthesis reports; index stays in range only
        // for handles of this stack, so fall back to a detached entry otherwise.
        let index = h.element.index as usize;
        if h.element.stack != self.id || index >= self.resources.len() {
            let msg = format!(
                "resource_mut: the handle belongs to another template (stack {}), not {:?}",
                h.element.stack.0, self.name
            );
            self.diagnostics.push(Diagnostic::error(self.name.clone(), msg));
            *self.scratch = detached_entry();
            return &mut self.scratch;
        }
        &mut self.resources[index]
    }

    /// The typed L1 of a resource, to read it (e.g. in a validation run at synthesis).
    pub fn l1<R: AnyResource>(&self, h: &Handle<R>) -> Option<&R> {
        self.resource(h).and_then(ResourceEntry::l1)
    }

    /// The typed L1 of a resource, to edit it before synthesis. `None` (with an error recorded) for a handle
    /// of another template, or when the property map was taken over with [`ResourceEntry::properties_mut`].
    pub fn l1_mut<R: AnyResource>(&mut self, h: &Handle<R>) -> Option<&mut R> {
        self.typed_mut(h, |body| body.l1_any_mut().is::<R>())
            .and_then(|e| e.body.l1_any_mut().downcast_mut())
    }

    /// The typed body of a resource as `T`, which may differ from the handle's type: a construct that keeps
    /// its own [`AnyResource`] around an L1 (e.g. a pipeline's per-item stages) hands out `Handle<L1>`s.
    pub fn body_mut<T: AnyResource, R>(&mut self, h: &Handle<R>) -> Option<&mut T> {
        self.typed_mut(h, |body| body.as_any_mut().is::<T>())
            .and_then(|e| e.body.as_any_mut().downcast_mut())
    }

    /// The entry of `h` when `is_type` accepts its body; otherwise `None` with an error recorded.
    fn typed_mut<R>(
        &mut self,
        h: &Handle<R>,
        is_type: impl FnOnce(&mut dyn AnyResource) -> bool,
    ) -> Option<&mut ResourceEntry> {
        let index = h.element.index as usize;
        if h.element.stack != self.id || index >= self.resources.len() {
            let msg = format!(
                "the handle belongs to another template (stack {}), not {:?}",
                h.element.stack.0, self.name
            );
            self.diagnostics.push(Diagnostic::error(self.name.clone(), msg));
            return None;
        }
        if is_type(&mut *self.resources[index].body) {
            return Some(&mut self.resources[index]);
        }
        let path = self.resources[index].path.clone();
        let msg = format!(
            "typed access to a {} resource whose property map was taken over with properties_mut",
            self.resources[index].body.type_name()
        );
        self.error(&path, msg);
        None
    }

    /// Read a resource's entry.
    pub fn resource<R>(&self, h: &Handle<R>) -> Option<&ResourceEntry> {
        (h.element.stack == self.id)
            .then(|| self.resources.get(h.element.index as usize))
            .flatten()
    }

    /// The resource at a construct path below the stack (`Service/TaskRole/DefaultPolicy`), e.g. to depend on
    /// something a construct created internally.
    pub fn find_resource(&self, path: &str) -> Option<Handle<Untyped>> {
        let index = self.resources.iter().position(|e| e.path == path)?;
        Some(Handle {
            element: self.element(ElementKind::Resource, index),
            _r: PhantomData,
        })
    }

    /// All resources in insertion order.
    pub fn resources(&self) -> impl Iterator<Item = &ResourceEntry> {
        self.resources.iter()
    }

    /// Make `from` depend on `to` (`DependsOn`).
    pub fn add_dependency<A, B>(&mut self, from: &Handle<A>, to: &Handle<B>) {
        let target = to.element;
        self.resource_mut(from).depends_on.push(target);
    }

    /// Register a validation run at synthesis; each returned message becomes an error at `path`.
    pub fn add_validation(&mut self, path: &str, f: impl Fn(&Stack) -> Vec<String> + Send + Sync + 'static) {
        self.validations.push((self.full_path(path), Box::new(f)));
    }

    /// Record an error at a path below this stack (reported with all others at synthesis).
    pub fn error(&mut self, path: &str, message: impl Into<String>) {
        let full = self.full_path(path);
        self.diagnostics.push(Diagnostic::error(full, message));
    }

    /// Record a warning at a path below this stack.
    pub fn warning(&mut self, path: &str, message: impl Into<String>) {
        let full = self.full_path(path);
        self.diagnostics.push(Diagnostic::warning(full, message));
    }

    pub(crate) fn full_path(&self, path: &str) -> String {
        if path.is_empty() {
            self.name.clone()
        } else {
            format!("{}/{}", self.name, path)
        }
    }

    fn claim_path(&mut self, path: &str, what: &str) {
        if !self.paths.insert(path.to_owned()) {
            let full = self.full_path(path);
            self.diagnostics.push(Diagnostic::error(
                full,
                format!("duplicate construct id: another {what} or element already uses this path; give it a unique id among its siblings"),
            ));
        }
    }

    fn element(&self, kind: ElementKind, index: usize) -> ElementRef {
        ElementRef {
            stack: self.id,
            kind,
            index: index as u32,
        }
    }
}

fn detached_entry() -> ResourceEntry {
    ResourceEntry {
        path: String::new(),
        body: Box::new(UntypedResource {
            type_name: String::new(),
            properties: Expr::Map(IndexMap::new()),
        }),
        depends_on: Vec::new(),
        condition: None,
        deletion_policy: None,
        update_replace_policy: None,
        metadata: IndexMap::new(),
        overrides: Vec::new(),
        logical_id: None,
        in_loop: None,
    }
}

fn check_construct_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        Err("construct id must not be empty".to_owned())
    } else if id.contains('/') {
        Err(format!("construct id {id:?} must not contain '/'"))
    } else {
        Ok(())
    }
}
