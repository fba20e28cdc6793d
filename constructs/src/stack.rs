//! The build phase: a [`Stack`] is an arena of template elements (resources, parameters, conditions,
//! mappings, outputs) addressed by typed handles; a [`Scope`] is a position in the construct tree.
//!
//! Elements are identified by construct paths (`Vpc/PublicSubnet1/Subnet`); logical IDs are derived from the
//! paths at synthesis ([`crate::logical_id`]). Mistakes found while building (duplicate ids, schema violations,
//! construct validation) are recorded, not thrown, and reported together by [`Stack::synth`].

use std::collections::HashSet;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU32, Ordering};

use indexmap::IndexMap;

use crate::diag::Diagnostic;
use crate::resource::{AnyResource, CfnResource, UntypedResource};
use crate::value::{ElementKind, ElementRef, Expr, StackId, Value};

static NEXT_STACK_ID: AtomicU32 = AtomicU32::new(0);

/// `DeletionPolicy` / `UpdateReplacePolicy` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RemovalPolicy {
    Delete,
    Retain,
    RetainExceptOnCreate,
    Snapshot,
}

impl RemovalPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            RemovalPolicy::Delete => "Delete",
            RemovalPolicy::Retain => "Retain",
            RemovalPolicy::RetainExceptOnCreate => "RetainExceptOnCreate",
            RemovalPolicy::Snapshot => "Snapshot",
        }
    }
}

/// One resource of a stack: its typed body (a generated L1 struct, or an [`UntypedResource`]) and the
/// resource attributes. The body stays typed until synthesis, which converts it to a property map and checks
/// the map against the schema constraints ([`crate::PropSpec`]).
#[derive(Debug)]
pub struct ResourceEntry {
    pub(crate) path: String,
    pub(crate) body: Box<dyn AnyResource>,
    pub(crate) depends_on: Vec<ElementRef>,
    pub(crate) condition: Option<ElementRef>,
    pub(crate) deletion_policy: Option<RemovalPolicy>,
    pub(crate) update_replace_policy: Option<RemovalPolicy>,
    pub(crate) metadata: IndexMap<String, serde_json::Value>,
    pub(crate) overrides: Vec<(String, serde_json::Value)>,
    pub(crate) logical_id: Option<String>,
    /// Index of the [`LoopSpec`] this resource is repeated in, if any (see [`Scope::in_loop`]).
    pub(crate) in_loop: Option<u32>,
}

impl ResourceEntry {
    /// The loop this resource is repeated in (see [`Scope::in_loop`]).
    pub fn loop_handle(&self, stack: &Stack) -> Option<LoopHandle> {
        self.in_loop.map(|index| LoopHandle { stack: stack.id, index })
    }
    pub fn path(&self) -> &str {
        &self.path
    }
    pub fn type_name(&self) -> &str {
        self.body.type_name()
    }
    /// The property map of the resource in its current state (what synthesis will emit, unresolved).
    pub fn properties(&self) -> Expr {
        self.body.to_properties()
    }
    /// The typed body.
    pub fn body(&self) -> &dyn AnyResource {
        &*self.body
    }
    /// The generated L1 struct of the body (the body itself, or the L1 inside a construct's own body).
    pub fn l1<R: AnyResource>(&self) -> Option<&R> {
        self.body.l1_any().downcast_ref()
    }
    /// The generated L1 struct of the body, for editing before synthesis.
    pub fn l1_mut<R: AnyResource>(&mut self) -> Option<&mut R> {
        self.body.l1_any_mut().downcast_mut()
    }
    /// The body as `T` (the generated L1 struct it was added as, or a construct's own [`AnyResource`]).
    pub fn downcast_ref<T: AnyResource>(&self) -> Option<&T> {
        self.body.as_any().downcast_ref()
    }
    /// The body as `T`, for editing before synthesis.
    pub fn downcast_mut<T: AnyResource>(&mut self) -> Option<&mut T> {
        self.body.as_any_mut().downcast_mut()
    }
    pub fn set_deletion_policy(&mut self, p: RemovalPolicy) -> &mut Self {
        self.deletion_policy = Some(p);
        self
    }
    pub fn set_update_replace_policy(&mut self, p: RemovalPolicy) -> &mut Self {
        self.update_replace_policy = Some(p);
        self
    }
    /// Deletion and update-replace policy together (CDK's `applyRemovalPolicy`).
    pub fn set_removal_policy(&mut self, p: RemovalPolicy) -> &mut Self {
        self.set_deletion_policy(p).set_update_replace_policy(p)
    }
    pub fn set_condition(&mut self, c: &CondHandle) -> &mut Self {
        self.condition = Some(c.element());
        self
    }
    pub fn add_metadata(&mut self, key: &str, value: serde_json::Value) -> &mut Self {
        self.metadata.insert(key.to_owned(), value);
        self
    }
    /// Escape hatch: set a value at a dotted path of the emitted resource (`Properties.Foo.Bar`),
    /// applied after references are resolved.
    pub fn add_override(&mut self, path: &str, value: serde_json::Value) -> &mut Self {
        self.overrides.push((path.to_owned(), value));
        self
    }
    /// Pin the logical ID (e.g. to keep a migrated resource's ID).
    pub fn override_logical_id(&mut self, id: &str) -> &mut Self {
        self.logical_id = Some(id.to_owned());
        self
    }
    /// Escape hatch: take over the property map. The typed body is converted to an [`UntypedResource`]
    /// (its current properties) for good, so typed access ([`Stack::l1_mut`]) to this resource ends here;
    /// constructs never use this, they edit the typed body.
    pub fn properties_mut(&mut self) -> &mut Expr {
        if !self.body.as_any().is::<UntypedResource>() {
            let untyped = UntypedResource {
                type_name: self.body.type_name().to_owned(),
                properties: self.body.to_properties(),
            };
            self.body = Box::new(untyped);
        }
        match self.body.as_any_mut().downcast_mut::<UntypedResource>() {
            Some(u) => &mut u.properties,
            None => unreachable!("the body was just made untyped"),
        }
    }
}

/// A template parameter: its CloudFormation declaration.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParameterSpec {
    pub type_name: String,
    pub description: Option<String>,
    pub default: Option<serde_json::Value>,
    pub allowed_values: Vec<serde_json::Value>,
    pub allowed_pattern: Option<String>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub min_value: Option<f64>,
    pub max_value: Option<f64>,
    pub constraint_description: Option<String>,
    pub no_echo: bool,
}

/// A typed parameter declaration: `Parameter::<String>::string()`.
#[derive(Clone, Debug)]
pub struct Parameter<T> {
    pub spec: ParameterSpec,
    _t: PhantomData<fn() -> T>,
}

impl<T> Parameter<T> {
    fn of(type_name: &str) -> Self {
        Parameter {
            spec: ParameterSpec {
                type_name: type_name.to_owned(),
                ..ParameterSpec::default()
            },
            _t: PhantomData,
        }
    }
    pub fn description(mut self, d: &str) -> Self {
        self.spec.description = Some(d.to_owned());
        self
    }
    pub fn default_value(mut self, v: impl Into<serde_json::Value>) -> Self {
        self.spec.default = Some(v.into());
        self
    }
    pub fn allowed_values<V: Into<serde_json::Value>>(mut self, values: impl IntoIterator<Item = V>) -> Self {
        self.spec.allowed_values = values.into_iter().map(Into::into).collect();
        self
    }
    pub fn no_echo(mut self) -> Self {
        self.spec.no_echo = true;
        self
    }
    pub fn constraint_description(mut self, d: &str) -> Self {
        self.spec.constraint_description = Some(d.to_owned());
        self
    }
}

impl Parameter<String> {
    pub fn string() -> Self {
        Parameter::of("String")
    }
    /// An AWS-specific parameter type such as `AWS::EC2::VPC::Id`.
    pub fn aws_type(type_name: &str) -> Self {
        Parameter::of(type_name)
    }
    pub fn allowed_pattern(mut self, p: &str) -> Self {
        self.spec.allowed_pattern = Some(p.to_owned());
        self
    }
    pub fn min_length(mut self, n: u64) -> Self {
        self.spec.min_length = Some(n);
        self
    }
    pub fn max_length(mut self, n: u64) -> Self {
        self.spec.max_length = Some(n);
        self
    }
}

impl Parameter<f64> {
    pub fn number() -> Self {
        Parameter::of("Number")
    }
    pub fn min_value(mut self, n: f64) -> Self {
        self.spec.min_value = Some(n);
        self
    }
    pub fn max_value(mut self, n: f64) -> Self {
        self.spec.max_value = Some(n);
        self
    }
}

impl Parameter<Vec<String>> {
    pub fn comma_delimited_list() -> Self {
        Parameter::of("CommaDelimitedList")
    }
    /// An AWS-specific list type such as `List<AWS::EC2::Subnet::Id>`.
    pub fn aws_list_type(type_name: &str) -> Self {
        Parameter::of(type_name)
    }
}

/// A template output.
#[derive(Clone, Debug)]
pub struct Output {
    pub value: Value<String>,
    pub description: Option<String>,
    pub export_name: Option<Value<String>>,
    pub condition: Option<CondHandle>,
}

impl Output {
    pub fn new(value: impl Into<Value<String>>) -> Self {
        Output {
            value: value.into(),
            description: None,
            export_name: None,
            condition: None,
        }
    }
    pub fn description(mut self, d: &str) -> Self {
        self.description = Some(d.to_owned());
        self
    }
    pub fn export(mut self, name: impl Into<Value<String>>) -> Self {
        self.export_name = Some(name.into());
        self
    }
}

/// A condition expression (`Fn::Equals`, `Fn::And`, `Fn::Or`, `Fn::Not`, `Condition`).
#[derive(Clone, Debug, PartialEq)]
pub enum CondExpr {
    Equals(Expr, Expr),
    And(Vec<CondExpr>),
    Or(Vec<CondExpr>),
    Not(Box<CondExpr>),
    Condition(ElementRef),
}

impl CondExpr {
    pub fn equals<T>(a: Value<T>, b: Value<T>) -> Self {
        CondExpr::Equals(a.into_expr(), b.into_expr())
    }
    #[allow(clippy::should_implement_trait)]
    pub fn not(c: CondExpr) -> Self {
        CondExpr::Not(Box::new(c))
    }
    pub fn of(c: &CondHandle) -> Self {
        CondExpr::Condition(c.element())
    }
}

/// A `Mappings` entry: top-level key → second-level key → value.
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
    paths: HashSet<String>,
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
            paths: HashSet::new(),
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
    /// emitted once per item in [`crate::Mode::Bundle`] (their logical IDs get a `{{ loop.index }}` suffix);
    /// lists may splice per-item entries with [`LoopHandle::items`]. In [`crate::Mode::Plain`] the loop is
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

/// A node of a stack's construct tree, as a construct keeps it to find its scope again
/// ([`Stack::scope`]) without looking its path up. `Copy`; only meaningful in the stack that made it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NodeId {
    stack: StackId,
    index: u32,
}

#[derive(Debug)]
struct NodeData {
    path: Vec<String>,
    in_loop: Option<u32>,
}

/// What every L2 construct is: a node of the construct tree (none for a construct imported by ARN, name or
/// input) with a path below its stack (empty when imported).
pub trait Construct {
    /// The construct's node, to add to it after creation ([`Stack::scope`]); `None` when imported.
    fn node_id(&self) -> Option<NodeId>;
    /// The construct path below the stack (`Service/TaskRole`); empty when imported.
    fn path(&self) -> &str;
    /// True for a construct defined elsewhere (imported by ARN, name or input).
    fn is_imported(&self) -> bool {
        self.node_id().is_none()
    }
}

/// A position in the construct tree of a stack: constructs take `&mut Scope` and create children in it.
pub struct Scope<'s> {
    stack: &'s mut Stack,
    path: Vec<String>,
    in_loop: Option<u32>,
    /// This scope's node, once [`Scope::node_id`] registered it.
    node: Option<u32>,
}

impl Scope<'_> {
    /// A child scope for a construct with id `id`.
    pub fn child(&mut self, id: &str) -> Scope<'_> {
        if let Err(msg) = check_construct_id(id) {
            let p = self.path_of("");
            self.stack.error(&p, msg);
        }
        let mut path = self.path.clone();
        path.push(id.to_owned());
        Scope {
            stack: &mut *self.stack,
            path,
            in_loop: self.in_loop,
            node: None,
        }
    }

    /// The node of child `id` of this scope, for a construct whose resource is added right here as `id`
    /// (a listener below its load balancer).
    pub fn child_node_id(&mut self, id: &str) -> NodeId {
        let mut path = self.path.clone();
        path.push(id.to_owned());
        let index = self.stack.nodes.len() as u32;
        self.stack.nodes.push(NodeData {
            path,
            in_loop: self.in_loop,
        });
        NodeId {
            stack: self.stack.id,
            index,
        }
    }

    /// This scope's node in the construct tree, registered on first use: what a construct keeps to find its
    /// scope again with [`Stack::scope`].
    pub fn node_id(&mut self) -> NodeId {
        let index = match self.node {
            Some(i) => i,
            None => {
                let i = self.stack.nodes.len() as u32;
                self.stack.nodes.push(NodeData {
                    path: self.path.clone(),
                    in_loop: self.in_loop,
                });
                self.node = Some(i);
                i
            }
        };
        NodeId {
            stack: self.stack.id,
            index,
        }
    }

    /// The path of this scope below the stack (`Vpc/PublicSubnet1`).
    pub fn path(&self) -> String {
        self.path.join("/")
    }

    /// The path including the stack name, as diagnostics print it.
    pub fn full_path(&self) -> String {
        self.stack.full_path(&self.path())
    }

    fn path_of(&self, id: &str) -> String {
        let mut p = self.path.clone();
        if !id.is_empty() {
            p.push(id.to_owned());
        }
        p.join("/")
    }

    pub fn stack(&mut self) -> &mut Stack {
        self.stack
    }

    pub fn stack_ref(&self) -> &Stack {
        self.stack
    }

    /// A scope at the same path whose resources are repeated once per item of `lp` (see [`LoopSpec`]).
    /// Loops do not nest: calling this inside another loop records an error.
    pub fn in_loop(&mut self, lp: &LoopHandle) -> Scope<'_> {
        let path = self.path.clone();
        if lp.stack != self.stack.id || lp.index as usize >= self.stack.loops.len() {
            let p = self.path();
            self.stack.error(&p, "in_loop: the loop belongs to another template");
        } else if self.in_loop.is_some_and(|l| l != lp.index) {
            let p = self.path();
            self.stack.error(
                &p,
                "in_loop: loops do not nest; this scope is already inside another loop",
            );
        }
        Scope {
            stack: &mut *self.stack,
            path,
            in_loop: Some(lp.index),
            node: None,
        }
    }

    /// The loop this scope's resources are repeated in, if any.
    pub fn current_loop(&self) -> Option<LoopHandle> {
        self.in_loop.map(|index| LoopHandle {
            stack: self.stack.id,
            index,
        })
    }

    /// Record an error at this scope's path.
    pub fn error(&mut self, message: impl Into<String>) {
        let p = self.path();
        self.stack.error(&p, message);
    }

    /// Record a warning at this scope's path.
    pub fn warning(&mut self, message: impl Into<String>) {
        let p = self.path();
        self.stack.warning(&p, message);
    }

    /// Add a resource with construct id `id`. It stays typed until synthesis, which checks its literal
    /// property values against the registry schema's constraints.
    pub fn add<R: CfnResource + AnyResource>(&mut self, id: &str, resource: R) -> Handle<R> {
        self.add_body(id, Box::new(resource))
    }

    /// Add a resource of a type without generated bindings (custom resources, new types).
    pub fn add_untyped(&mut self, id: &str, type_name: &str, properties: Expr) -> Handle<Untyped> {
        let body = UntypedResource {
            type_name: type_name.to_owned(),
            properties,
        };
        self.add_body(id, Box::new(body))
    }

    /// Add a resource whose body is a construct's own [`AnyResource`] (typed until synthesis); the handle's
    /// type `R` is the L1 its references are made for.
    pub fn add_body<R>(&mut self, id: &str, body: Box<dyn AnyResource>) -> Handle<R> {
        let path = self.checked_path(id, "resource");
        let index = self.stack.resources.len();
        self.stack.resources.push(ResourceEntry {
            path,
            body,
            in_loop: self.in_loop,
            ..detached_entry()
        });
        Handle {
            element: self.stack.element(ElementKind::Resource, index),
            _r: PhantomData,
        }
    }

    fn checked_path(&mut self, id: &str, what: &str) -> String {
        if let Err(msg) = check_construct_id(id) {
            let p = self.path_of("");
            self.stack.error(&p, msg);
        }
        let path = self.path_of(id);
        self.stack.claim_path(&path, what);
        path
    }

    /// Declare a parameter.
    pub fn add_parameter<T>(&mut self, id: &str, p: Parameter<T>) -> ParamHandle<T> {
        let path = self.checked_path(id, "parameter");
        let index = self.stack.parameters.len();
        self.stack.parameters.push(NamedEntry {
            path,
            value: p.spec,
            logical_id: None,
        });
        ParamHandle {
            element: self.stack.element(ElementKind::Parameter, index),
            _t: PhantomData,
        }
    }

    /// Declare a condition.
    pub fn add_condition(&mut self, id: &str, c: CondExpr) -> CondHandle {
        let path = self.checked_path(id, "condition");
        let index = self.stack.conditions.len();
        self.stack.conditions.push(NamedEntry {
            path,
            value: c,
            logical_id: None,
        });
        CondHandle {
            element: self.stack.element(ElementKind::Condition, index),
        }
    }

    /// Declare a mapping.
    pub fn add_mapping(&mut self, id: &str, table: MappingTable) -> MappingHandle {
        let path = self.checked_path(id, "mapping");
        let index = self.stack.mappings.len();
        self.stack.mappings.push(NamedEntry {
            path,
            value: table,
            logical_id: None,
        });
        MappingHandle {
            element: self.stack.element(ElementKind::Mapping, index),
        }
    }

    /// Declare an output.
    pub fn add_output(&mut self, id: &str, o: Output) {
        let path = self.checked_path(id, "output");
        self.stack.outputs.push(NamedEntry {
            path,
            value: o,
            logical_id: None,
        });
    }
}

/// A loop declared with [`Stack::add_loop`]: `{% for <var> in <iterable> %}` in bundle output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoopSpec {
    /// The loop variable, e.g. `service_instance`.
    pub var: String,
    /// The list iterated over, e.g. `service_instances`.
    pub iterable: String,
}

/// A handle to a loop of a stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LoopHandle {
    pub(crate) stack: StackId,
    pub(crate) index: u32,
}

impl LoopHandle {
    /// List entries repeated once per loop item, to splice into a list property (e.g. one pipeline stage
    /// per service instance). Put the result as an item of an [`Expr::List`]; it may only appear there.
    pub fn items(&self, items: impl IntoIterator<Item = Expr>) -> Expr {
        let mut m = indexmap::IndexMap::new();
        m.insert(crate::synth::LOOP_KEY.to_owned(), Expr::Int(i64::from(self.index)));
        m.insert(
            crate::synth::LOOP_STACK_KEY.to_owned(),
            Expr::Int(i64::from(self.stack.0)),
        );
        m.insert(
            crate::synth::LOOP_ITEMS_KEY.to_owned(),
            Expr::List(items.into_iter().collect()),
        );
        Expr::Map(m)
    }

    /// `loop.index` (1-based) inside the loop; `1` in plain templates.
    pub fn index_value(&self) -> Value<f64> {
        Value::placeholder(crate::value::Placeholder {
            jinja: "loop.index".to_owned(),
            kind: crate::value::PlaceholderKind::Number,
            plain: Expr::Int(1),
        })
    }
}

/// Marker for resources added with [`Scope::add_untyped`].
#[derive(Debug)]
pub enum Untyped {}

/// A typed handle to a resource of a stack; `Ref` and `Fn::GetAtt` are made from it.
pub struct Handle<R> {
    pub(crate) element: ElementRef,
    _r: PhantomData<fn() -> R>,
}

impl<R> Clone for Handle<R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<R> Copy for Handle<R> {}
impl<R> std::fmt::Debug for Handle<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Handle({:?})", self.element)
    }
}

impl<R> Handle<R> {
    /// `Ref` to the resource.
    pub fn r#ref(&self) -> Value<String> {
        Value::from_expr(Expr::Ref(self.element))
    }

    /// `Fn::GetAtt` by attribute name. Generated `attr_*` methods are the typed way; this is the escape hatch.
    pub fn get_att_unchecked<T>(&self, attribute: &str) -> Value<T> {
        Value::from_expr(Expr::GetAtt(self.element, attribute.to_owned()))
    }

    pub fn element(&self) -> ElementRef {
        self.element
    }

    /// Forget the resource type (e.g. to keep heterogeneous handles in one list).
    pub fn untyped(&self) -> Handle<Untyped> {
        Handle {
            element: self.element,
            _r: PhantomData,
        }
    }
}

/// A typed handle to a parameter.
pub struct ParamHandle<T> {
    element: ElementRef,
    _t: PhantomData<fn() -> T>,
}

impl<T> Clone for ParamHandle<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for ParamHandle<T> {}
impl<T> std::fmt::Debug for ParamHandle<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ParamHandle({:?})", self.element)
    }
}

impl<T> ParamHandle<T> {
    /// `Ref` to the parameter: its value.
    pub fn r#ref(&self) -> Value<T> {
        Value::from_expr(Expr::Ref(self.element))
    }
}

/// A handle to a condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CondHandle {
    element: ElementRef,
}

impl CondHandle {
    pub fn element(&self) -> ElementRef {
        self.element
    }
}

/// A handle to a mapping.
#[derive(Clone, Copy, Debug)]
pub struct MappingHandle {
    element: ElementRef,
}

impl MappingHandle {
    pub fn element(&self) -> ElementRef {
        self.element
    }
}
