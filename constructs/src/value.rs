//! Typed CloudFormation values and intrinsic functions.
//!
//! Every property of every resource is a [`Value<T>`]: a literal or an intrinsic function whose result has
//! the CloudFormation type `T` (`String`, `i64`, `f64`, `bool`, `Vec<T>` or free-form [`Json`]). A `Value`
//! is a thin typed wrapper around an untyped [`Expr`] tree; the type parameter exists only at compile time, so
//! `Fn::Select` over a list of subnet ids yields a `Value<String>` and cannot be put where a number goes.
//!
//! References (`Ref`, `Fn::GetAtt`) are made from typed handles ([`crate::Handle`], [`crate::ParamHandle`]),
//! never from logical-ID strings: logical IDs are assigned at synthesis from construct paths.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use indexmap::IndexMap;

/// Identity of a [`crate::Stack`] in this process; lets synthesis reject a reference to another template.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StackId(pub(crate) u32);

/// Kind of template element an [`ElementRef`] points to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ElementKind {
    Resource,
    Parameter,
    Condition,
    Mapping,
}

/// A reference to an element (resource, parameter, condition, mapping) of one stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ElementRef {
    pub(crate) stack: StackId,
    pub(crate) kind: ElementKind,
    pub(crate) index: u32,
}

/// A loop of one stack ([`crate::LoopHandle`]), as [`Expr::Loop`] names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LoopRef {
    pub(crate) stack: StackId,
    pub(crate) index: u32,
}

/// CloudFormation pseudo parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pseudo {
    Region,
    AccountId,
    StackName,
    StackId,
    Partition,
    UrlSuffix,
    NoValue,
    NotificationArns,
}

impl Pseudo {
    /// The name used with `Ref`.
    pub fn name(self) -> &'static str {
        match self {
            Pseudo::Region => "AWS::Region",
            Pseudo::AccountId => "AWS::AccountId",
            Pseudo::StackName => "AWS::StackName",
            Pseudo::StackId => "AWS::StackId",
            Pseudo::Partition => "AWS::Partition",
            Pseudo::UrlSuffix => "AWS::URLSuffix",
            Pseudo::NoValue => "AWS::NoValue",
            Pseudo::NotificationArns => "AWS::NotificationARNs",
        }
    }
}

/// The JSON type a late-bound placeholder has once rendered; decides how it is written into a template.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PlaceholderKind {
    /// A string; written as `{{ x | tojson }}` so any value stays a valid quoted scalar.
    String,
    /// A number; written bare: `{{ x }}`.
    Number,
    /// A boolean; written as `{{ x | tojson }}` (Jinja's `True` is not YAML/JSON).
    Bool,
    /// A list of strings; written as `{{ x | tojson }}` (a flow sequence).
    StringList,
}

/// A value known only when the template is rendered (an AWS Proton input, resource parameter or
/// environment output). It has two spellings: a Jinja expression for Proton bundles and a plain
/// CloudFormation expression (usually a `Ref` to a parameter, or `Fn::ImportValue`) for plain templates.
#[derive(Clone, Debug, PartialEq)]
pub struct Placeholder {
    /// Jinja expression without braces, e.g. `service_instance.inputs.port`.
    pub jinja: String,
    pub kind: PlaceholderKind,
    /// What to write in a plain CloudFormation template.
    pub plain: Expr,
}

/// An untyped CloudFormation expression tree. Prefer [`Value<T>`], which carries the result type.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Expr>),
    Map(IndexMap<String, Expr>),
    /// `Ref` to an element of a stack.
    Ref(ElementRef),
    /// `Ref` to a parameter by logical ID; checked at synthesis (used for parameters declared by name,
    /// e.g. the plain-CloudFormation form of a Proton input).
    RefName(String),
    Pseudo(Pseudo),
    GetAtt(ElementRef, String),
    /// `Fn::Sub` with explicit variables (no logical IDs inside the string).
    Sub(String, IndexMap<String, Expr>),
    Join(String, Box<Expr>),
    Select(u32, Box<Expr>),
    Split(String, Box<Expr>),
    GetAzs(Box<Expr>),
    If(ElementRef, Box<Expr>, Box<Expr>),
    ImportValue(Box<Expr>),
    FindInMap(ElementRef, Box<Expr>, Box<Expr>),
    Base64(Box<Expr>),
    Placeholder(Arc<Placeholder>),
    /// List items repeated once per item of a loop ([`crate::LoopHandle::items`]); only valid as an item of
    /// an [`Expr::List`]. `{% for %}` … `{% endfor %}` in a Proton bundle, the items once in plain output.
    Loop(LoopRef, Vec<Expr>),
}

impl Expr {
    /// True when the tree holds no intrinsic function, reference or placeholder.
    pub fn is_literal(&self) -> bool {
        match self {
            Expr::Null | Expr::Bool(_) | Expr::Int(_) | Expr::Float(_) | Expr::Str(_) => true,
            Expr::List(items) => items.iter().all(Expr::is_literal),
            Expr::Map(m) => m.values().all(Expr::is_literal),
            _ => false,
        }
    }

    /// The literal string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Expr::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The literal number, if this is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Expr::Int(i) => Some(*i as f64),
            Expr::Float(f) => Some(*f),
            Expr::Str(s) => s.parse().ok(),
            _ => None,
        }
    }

    /// Visit every node, depth first.
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        f(self);
        match self {
            Expr::List(items) | Expr::Loop(_, items) => items.iter().for_each(|e| e.walk(f)),
            Expr::Map(m) => m.values().for_each(|e| e.walk(f)),
            Expr::Sub(_, vars) => vars.values().for_each(|e| e.walk(f)),
            Expr::Join(_, e)
            | Expr::Select(_, e)
            | Expr::Split(_, e)
            | Expr::GetAzs(e)
            | Expr::ImportValue(e)
            | Expr::Base64(e) => e.walk(f),
            Expr::If(_, a, b) | Expr::FindInMap(_, a, b) => {
                a.walk(f);
                b.walk(f);
            }
            Expr::Placeholder(p) => p.plain.walk(f),
            _ => {}
        }
    }
}

impl From<serde_json::Value> for Expr {
    fn from(v: serde_json::Value) -> Self {
        use serde_json::Value as J;
        match v {
            J::Null => Expr::Null,
            J::Bool(b) => Expr::Bool(b),
            J::Number(n) => match n.as_i64() {
                Some(i) => Expr::Int(i),
                None => Expr::Float(n.as_f64().unwrap_or_default()),
            },
            J::String(s) => Expr::Str(s),
            J::Array(a) => Expr::List(a.into_iter().map(Expr::from).collect()),
            J::Object(o) => Expr::Map(o.into_iter().map(|(k, v)| (k, Expr::from(v))).collect()),
        }
    }
}

/// Marker for free-form JSON properties (policy documents, untyped maps).
#[derive(Clone, Copy, Debug)]
pub enum Json {}

/// A CloudFormation value whose result has type `T`.
pub struct Value<T: ?Sized> {
    expr: Expr,
    _type: PhantomData<fn() -> T>,
}

impl<T: ?Sized> Clone for Value<T> {
    fn clone(&self) -> Self {
        Value::from_expr(self.expr.clone())
    }
}

impl<T: ?Sized> fmt::Debug for Value<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.expr.fmt(f)
    }
}

impl<T: ?Sized> PartialEq for Value<T> {
    fn eq(&self, other: &Self) -> bool {
        self.expr == other.expr
    }
}

impl<T: ?Sized> Value<T> {
    /// Wrap an untyped expression. The caller vouches for the result type.
    pub fn from_expr(expr: Expr) -> Self {
        Value {
            expr,
            _type: PhantomData,
        }
    }

    pub fn expr(&self) -> &Expr {
        &self.expr
    }

    pub fn into_expr(self) -> Expr {
        self.expr
    }

    /// Reinterpret as free-form JSON (e.g. to embed in a policy document).
    pub fn into_json(self) -> Value<Json> {
        Value::from_expr(self.expr)
    }

    /// `Ref: AWS::NoValue`: removes the property where it is used.
    pub fn no_value() -> Self {
        Value::from_expr(Expr::Pseudo(Pseudo::NoValue))
    }

    /// A late-bound placeholder (see [`Placeholder`]).
    pub fn placeholder(p: Placeholder) -> Self {
        Value::from_expr(Expr::Placeholder(Arc::new(p)))
    }
}

impl<T: ?Sized> From<Value<T>> for Expr {
    fn from(v: Value<T>) -> Expr {
        v.expr
    }
}

impl Value<String> {
    pub fn region() -> Self {
        Value::from_expr(Expr::Pseudo(Pseudo::Region))
    }
    pub fn account_id() -> Self {
        Value::from_expr(Expr::Pseudo(Pseudo::AccountId))
    }
    pub fn stack_name() -> Self {
        Value::from_expr(Expr::Pseudo(Pseudo::StackName))
    }
    pub fn stack_id() -> Self {
        Value::from_expr(Expr::Pseudo(Pseudo::StackId))
    }
    pub fn partition() -> Self {
        Value::from_expr(Expr::Pseudo(Pseudo::Partition))
    }
    pub fn url_suffix() -> Self {
        Value::from_expr(Expr::Pseudo(Pseudo::UrlSuffix))
    }

    /// The literal text, if this value is a literal string.
    pub fn as_literal(&self) -> Option<&str> {
        self.expr.as_str()
    }
}

impl Value<Vec<String>> {
    pub fn notification_arns() -> Self {
        Value::from_expr(Expr::Pseudo(Pseudo::NotificationArns))
    }
}

impl Value<Json> {
    /// A JSON object whose members may hold intrinsics.
    pub fn object<K: Into<String>>(members: impl IntoIterator<Item = (K, Expr)>) -> Self {
        Value::from_expr(Expr::Map(members.into_iter().map(|(k, v)| (k.into(), v)).collect()))
    }
    /// A JSON array whose items may hold intrinsics.
    pub fn array(items: impl IntoIterator<Item = Expr>) -> Self {
        Value::from_expr(Expr::List(items.into_iter().collect()))
    }
}

impl From<&str> for Value<String> {
    fn from(s: &str) -> Self {
        Value::from_expr(Expr::Str(s.to_owned()))
    }
}
impl From<String> for Value<String> {
    fn from(s: String) -> Self {
        Value::from_expr(Expr::Str(s))
    }
}
impl From<&String> for Value<String> {
    fn from(s: &String) -> Self {
        Value::from_expr(Expr::Str(s.clone()))
    }
}
impl From<bool> for Value<bool> {
    fn from(b: bool) -> Self {
        Value::from_expr(Expr::Bool(b))
    }
}

macro_rules! int_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Value<i64> {
            fn from(n: $t) -> Self { Value::from_expr(Expr::Int(n as i64)) }
        }
        impl From<$t> for Value<f64> {
            fn from(n: $t) -> Self { Value::from_expr(Expr::Int(n as i64)) }
        }
    )*};
}
int_from!(i32, i64, u8, u16, u32, usize);

impl From<f64> for Value<f64> {
    fn from(n: f64) -> Self {
        Value::from_expr(Expr::Float(n))
    }
}

impl From<Value<i64>> for Value<f64> {
    fn from(v: Value<i64>) -> Self {
        Value::from_expr(v.expr)
    }
}

impl<T> From<Vec<Value<T>>> for Value<Vec<T>> {
    fn from(items: Vec<Value<T>>) -> Self {
        Value::from_expr(Expr::List(items.into_iter().map(|v| v.expr).collect()))
    }
}
impl From<Vec<&str>> for Value<Vec<String>> {
    fn from(items: Vec<&str>) -> Self {
        Value::from_expr(Expr::List(items.into_iter().map(|s| Expr::Str(s.to_owned())).collect()))
    }
}
impl<const N: usize> From<[&str; N]> for Value<Vec<String>> {
    fn from(items: [&str; N]) -> Self {
        Value::from_expr(Expr::List(items.into_iter().map(|s| Expr::Str(s.to_owned())).collect()))
    }
}
impl<T, const N: usize> From<[Value<T>; N]> for Value<Vec<T>> {
    fn from(items: [Value<T>; N]) -> Self {
        Value::from_expr(Expr::List(items.into_iter().map(|v| v.expr).collect()))
    }
}
impl From<serde_json::Value> for Value<Json> {
    fn from(v: serde_json::Value) -> Self {
        Value::from_expr(Expr::from(v))
    }
}

/// Intrinsic functions. Each returns a value typed by what CloudFormation returns.
pub mod fns {
    use super::*;

    /// `Fn::Sub` with named variables: `sub("http://${Dns}", [("Dns", lb.attr_dns_name().into())])`.
    /// Pseudo parameters (`${AWS::Region}`) may be used directly in the string.
    pub fn sub<K: Into<String>>(template: &str, vars: impl IntoIterator<Item = (K, Expr)>) -> Value<String> {
        Value::from_expr(Expr::Sub(
            template.to_owned(),
            vars.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        ))
    }

    /// `Fn::Join` over a list of string values.
    pub fn join(delimiter: &str, items: impl IntoIterator<Item = Value<String>>) -> Value<String> {
        Value::from_expr(Expr::Join(
            delimiter.to_owned(),
            Box::new(Expr::List(items.into_iter().map(Value::into_expr).collect())),
        ))
    }

    /// `Fn::Join` over a list-valued expression.
    pub fn join_list(delimiter: &str, list: Value<Vec<String>>) -> Value<String> {
        Value::from_expr(Expr::Join(delimiter.to_owned(), Box::new(list.into_expr())))
    }

    /// `Fn::Select`.
    pub fn select<T>(index: u32, list: Value<Vec<T>>) -> Value<T> {
        Value::from_expr(Expr::Select(index, Box::new(list.into_expr())))
    }

    /// `Fn::Split`.
    pub fn split(delimiter: &str, source: Value<String>) -> Value<Vec<String>> {
        Value::from_expr(Expr::Split(delimiter.to_owned(), Box::new(source.into_expr())))
    }

    /// `Fn::GetAZs` for the stack's region.
    pub fn get_azs() -> Value<Vec<String>> {
        Value::from_expr(Expr::GetAzs(Box::new(Expr::Pseudo(Pseudo::Region))))
    }

    /// `Fn::GetAZs` for a given region.
    pub fn get_azs_in(region: Value<String>) -> Value<Vec<String>> {
        Value::from_expr(Expr::GetAzs(Box::new(region.into_expr())))
    }

    /// `Fn::If`.
    pub fn if_<T>(condition: &crate::CondHandle, then: Value<T>, otherwise: Value<T>) -> Value<T> {
        Value::from_expr(Expr::If(
            condition.element(),
            Box::new(then.into_expr()),
            Box::new(otherwise.into_expr()),
        ))
    }

    /// `Fn::ImportValue` of an export name.
    pub fn import_value(export_name: Value<String>) -> Value<String> {
        Value::from_expr(Expr::ImportValue(Box::new(export_name.into_expr())))
    }

    /// `Fn::FindInMap`; the caller names the type stored in the mapping.
    pub fn find_in_map<T>(mapping: &crate::MappingHandle, top: Value<String>, second: Value<String>) -> Value<T> {
        Value::from_expr(Expr::FindInMap(
            mapping.element(),
            Box::new(top.into_expr()),
            Box::new(second.into_expr()),
        ))
    }

    /// `Fn::Base64`.
    pub fn base64(v: Value<String>) -> Value<String> {
        Value::from_expr(Expr::Base64(Box::new(v.into_expr())))
    }

    /// `Fn::Cidr`: `count` CIDR blocks carved from `ip_block`, each with `cidr_bits` host bits (a /24 from an
    /// IPv4 block is 8 bits, a /64 from an IPv6 block is 64). CloudFormation accepts 1–256 blocks and
    /// `cidr_bits` up to the block's host bits; literal blocks are best computed in Rust (`ec2::Vpc` does),
    /// this is for blocks known only at deploy time (a parameter, a Proton input, an attribute).
    ///
    /// ```
    /// use proton_synth_constructs::value::{fns, Value};
    /// # use proton_synth_constructs::{assertions::Template, cfn::ec2::Subnet, Stack};
    /// let mut stack = Stack::new("Net");
    /// let input: Value<String> = Value::from("10.20.0.0/16"); // e.g. a parameter or Proton input
    /// let second: Value<String> = fns::select(1, fns::cidr(input, 4, 8));
    /// let subnet = Subnet { cidr_block: Some(second), ..Subnet::new("vpc-1") };
    /// stack.root().add("Subnet", subnet);
    /// let t = Template::from_stack(&stack).unwrap();
    /// let props = &t.find_resources("AWS::EC2::Subnet")[0].1["Properties"];
    /// assert_eq!(props["CidrBlock"], serde_json::json!({"Fn::Select": [1, {"Fn::Cidr": ["10.20.0.0/16", 4, 8]}]}));
    /// ```
    pub fn cidr(
        ip_block: Value<String>,
        count: impl Into<Value<i64>>,
        cidr_bits: impl Into<Value<i64>>,
    ) -> Value<Vec<String>> {
        let args = Expr::List(vec![
            ip_block.into_expr(),
            count.into().into_expr(),
            cidr_bits.into().into_expr(),
        ]);
        Value::from_expr(Expr::Map(IndexMap::from([("Fn::Cidr".to_owned(), args)])))
    }
}

/// Conversion of property values into expressions; implemented by `Value`, the generated property
/// structs, `Vec` and maps of them.
pub trait IntoExpr {
    fn into_expr(self) -> Expr;
}

impl<T: ?Sized> IntoExpr for Value<T> {
    fn into_expr(self) -> Expr {
        self.expr
    }
}
impl IntoExpr for Expr {
    fn into_expr(self) -> Expr {
        self
    }
}
impl<T: IntoExpr> IntoExpr for Vec<T> {
    fn into_expr(self) -> Expr {
        Expr::List(self.into_iter().map(IntoExpr::into_expr).collect())
    }
}
impl<T: IntoExpr> IntoExpr for IndexMap<String, T> {
    fn into_expr(self) -> Expr {
        Expr::Map(self.into_iter().map(|(k, v)| (k, v.into_expr())).collect())
    }
}

/// Builder for a property map, used by generated code: skips absent optional properties.
#[derive(Default)]
pub struct PropMap(IndexMap<String, Expr>);

impl PropMap {
    pub fn new() -> Self {
        // Room for a typical property type's members at once: growing 4 → 8 → 16 costs an allocation and a
        // rehash each time.
        PropMap(IndexMap::with_capacity(8))
    }
    pub fn set(&mut self, key: &str, v: impl IntoExpr) {
        self.0.insert(key.to_owned(), v.into_expr());
    }
    pub fn opt(&mut self, key: &str, v: Option<impl IntoExpr>) {
        if let Some(v) = v {
            self.set(key, v);
        }
    }
    pub fn finish(self) -> Expr {
        Expr::Map(self.0)
    }
}
