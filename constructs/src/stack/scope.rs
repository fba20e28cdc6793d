//! The construct tree: [`Scope`], [`NodeId`] and the [`Construct`] trait.

use std::marker::PhantomData;

use crate::resource::{AnyResource, CfnResource, UntypedResource};
use crate::value::{ElementKind, Expr, StackId};

use super::*;

/// A node of a stack's construct tree, as a construct keeps it to find its scope again
/// ([`Stack::scope`]) without looking its path up. `Copy`; only meaningful in the stack that made it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NodeId {
    pub(super) stack: StackId,
    pub(super) index: u32,
}

#[derive(Debug)]
pub(super) struct NodeData {
    pub(super) path: Vec<String>,
    pub(super) in_loop: Option<u32>,
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
    pub(super) stack: &'s mut Stack,
    pub(super) path: Vec<String>,
    pub(super) in_loop: Option<u32>,
    /// This scope's node, once [`Scope::node_id`] registered it.
    pub(super) node: Option<u32>,
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

    pub(super) fn path_of(&self, id: &str) -> String {
        let id = (!id.is_empty()).then_some(id);
        let mut p = String::with_capacity(self.path.iter().map(|s| s.len() + 1).sum::<usize>() + 16);
        for (i, segment) in self.path.iter().map(String::as_str).chain(id).enumerate() {
            if i > 0 {
                p.push('/');
            }
            p.push_str(segment);
        }
        p
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

    pub(super) fn checked_path(&mut self, id: &str, what: &str) -> String {
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

/// Where an L2 construct comes from: created in a template (its node and main resource), or imported by
/// ARN, name or input. Imported is a variant, not a fake resource: nothing is added to any template, and
/// what needs a created resource (a resource policy, a default policy) reports or declines instead.
#[derive(Debug)]
pub enum Origin<R> {
    Created { node: NodeId, resource: Handle<R> },
    Imported,
}

impl<R> Clone for Origin<R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<R> Copy for Origin<R> {}

impl<R> Origin<R> {
    /// The construct's node (`None` when imported).
    pub fn node(&self) -> Option<NodeId> {
        match self {
            Origin::Created { node, .. } => Some(*node),
            Origin::Imported => None,
        }
    }
    /// The construct's main resource (`None` when imported).
    pub fn resource(&self) -> Option<Handle<R>> {
        match self {
            Origin::Created { resource, .. } => Some(*resource),
            Origin::Imported => None,
        }
    }
    /// True when the construct was created in `stack`.
    pub fn is_in(&self, stack: &Stack) -> bool {
        matches!(self, Origin::Created { node, .. } if node.stack == stack.id)
    }
}
