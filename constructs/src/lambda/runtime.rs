//! [`Runtime`], [`Architecture`], [`Code`] and the other parts of [`FunctionProps`].

use crate::value::{Expr, Value};

/// Lambda runtimes (current, supported ones).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Runtime {
    Python312,
    #[default]
    Python313,
    Nodejs20,
    Nodejs22,
    Java21,
    ProvidedAl2023,
}

impl Runtime {
    pub fn as_str(self) -> &'static str {
        match self {
            Runtime::Python312 => "python3.12",
            Runtime::Python313 => "python3.13",
            Runtime::Nodejs20 => "nodejs20.x",
            Runtime::Nodejs22 => "nodejs22.x",
            Runtime::Java21 => "java21",
            Runtime::ProvidedAl2023 => "provided.al2023",
        }
    }

    /// Runtimes that accept inline code (`ZipFile`).
    pub fn supports_inline(self) -> bool {
        matches!(
            self,
            Runtime::Python312 | Runtime::Python313 | Runtime::Nodejs20 | Runtime::Nodejs22
        )
    }
}

impl From<Runtime> for Value<String> {
    fn from(r: Runtime) -> Self {
        Value::from(r.as_str())
    }
}

/// Whether a runtime identifier (e.g. `python3.13`, `nodejs22.x`) accepts inline code (`ZipFile`): the
/// Python and Node.js runtimes.
pub fn runtime_supports_inline(runtime: &str) -> bool {
    runtime.starts_with("python") || runtime.starts_with("nodejs")
}

/// Application log levels of Lambda's JSON log format.
pub const APPLICATION_LOG_LEVELS: &[&str] = &["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"];

/// The literal integer of a value, if it is one.
pub(super) fn literal_int(v: &Value<i64>) -> Option<i64> {
    match v.expr() {
        Expr::Int(n) => Some(*n),
        _ => None,
    }
}

/// Instruction set of the function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Architecture {
    /// Graviton (cheaper per GB-second).
    #[default]
    Arm64,
    X86_64,
}

impl Architecture {
    pub fn as_str(self) -> &'static str {
        match self {
            Architecture::Arm64 => "arm64",
            Architecture::X86_64 => "x86_64",
        }
    }
}

/// The function's code.
#[derive(Clone, Debug)]
pub enum Code {
    /// A .zip in S3.
    S3 { bucket: Value<String>, key: Value<String> },
    /// Inline source (Python/Node.js, at most 4096 characters).
    Inline(String),
    /// A container image in ECR (`PackageType: Image`; runtime and handler are not used).
    ImageUri(Value<String>),
}

impl Default for Code {
    fn default() -> Self {
        Code::Inline(String::new())
    }
}

/// Where failed asynchronous invocations go.
#[derive(Clone, Debug)]
pub enum DeadLetter {
    /// An SQS queue ARN (the role gets `sqs:SendMessage` on it).
    Sqs(Value<String>),
    /// An SNS topic ARN (the role gets `sns:Publish` on it).
    Sns(Value<String>),
}

/// VPC attachment.
#[derive(Clone, Debug, Default)]
pub struct VpcPlacement {
    pub subnet_ids: Vec<Value<String>>,
    pub security_group_ids: Vec<Value<String>>,
}
