//! Typed, `Copy` handles: [`Handle`], [`ParamHandle`], [`CondHandle`], [`MappingHandle`], [`LoopHandle`].

use std::marker::PhantomData;

use crate::value::{ElementRef, Expr, StackId, Value};

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
    pub(super) _r: PhantomData<fn() -> R>,
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

impl Handle<Untyped> {
    /// The same resource as an `R`, for a construct that finds its own resource by path
    /// ([`Stack::find_resource`]); [`Stack::l1`] / [`Stack::l1_mut`] return `None` if it is not an `R`.
    pub(crate) fn assume<R>(self) -> Handle<R> {
        Handle {
            element: self.element,
            _r: PhantomData,
        }
    }
}

/// A typed handle to a parameter.
pub struct ParamHandle<T> {
    pub(super) element: ElementRef,
    pub(super) _t: PhantomData<fn() -> T>,
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
    pub(super) element: ElementRef,
}

impl CondHandle {
    pub fn element(&self) -> ElementRef {
        self.element
    }
}

/// A handle to a mapping.
#[derive(Clone, Copy, Debug)]
pub struct MappingHandle {
    pub(super) element: ElementRef,
}

impl MappingHandle {
    pub fn element(&self) -> ElementRef {
        self.element
    }
}
