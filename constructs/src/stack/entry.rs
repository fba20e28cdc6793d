//! [`ResourceEntry`]: one resource (typed body and attributes) and [`RemovalPolicy`].

use indexmap::IndexMap;

use crate::resource::{AnyResource, UntypedResource};
use crate::value::{ElementRef, Expr};

use super::*;

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
