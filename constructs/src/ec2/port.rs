//! [`Port`]: protocol and port range of a security-group rule.

use md5::{Digest, Md5};

use crate::value::{Expr, Value};

/// A protocol and port range of a security-group rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Port {
    /// `tcp`, `udp`, `icmp` or `-1` (all).
    pub(super) protocol: &'static str,
    pub(super) from: Option<Value<i64>>,
    pub(super) to: Option<Value<i64>>,
    /// Part of the rule's construct id, e.g. `tcp80`.
    pub(super) label: String,
    pub(super) problems: Vec<String>,
}

pub(super) fn check_port(n: i64, problems: &mut Vec<String>) {
    if !(1..=65535).contains(&n) {
        problems.push(format!("port {n} is outside 1–65535"));
    }
}

impl Port {
    /// One TCP port.
    pub fn tcp(port: u16) -> Port {
        Port::tcp_range(port, port)
    }

    /// A TCP port range (inclusive).
    pub fn tcp_range(from: u16, to: u16) -> Port {
        Port::range("tcp", from, to)
    }

    /// One UDP port.
    pub fn udp(port: u16) -> Port {
        Port::range("udp", port, port)
    }

    /// A UDP port range (inclusive).
    pub fn udp_range(from: u16, to: u16) -> Port {
        Port::range("udp", from, to)
    }

    pub(super) fn range(protocol: &'static str, from: u16, to: u16) -> Port {
        let mut problems = Vec::new();
        check_port(from.into(), &mut problems);
        if to != from {
            check_port(to.into(), &mut problems);
        }
        if from > to {
            problems.push(format!(
                "port range {from}-{to} is reversed: the start is above the end"
            ));
        }
        let label = if from == to {
            format!("{protocol}{from}")
        } else {
            format!("{protocol}{from}-{to}")
        };
        Port {
            protocol,
            from: Some(Value::from(from)),
            to: Some(Value::from(to)),
            label,
            problems,
        }
    }

    /// A TCP port known only at deployment (e.g. an AWS Proton input). Literal values are range-checked.
    pub fn tcp_value(port: Value<i64>) -> Port {
        let mut problems = Vec::new();
        if let Some(n) = port.expr().as_f64() {
            check_port(n as i64, &mut problems);
        }
        let label = format!("tcp{}", expr_label(port.expr()));
        Port {
            protocol: "tcp",
            from: Some(port.clone()),
            to: Some(port),
            label,
            problems,
        }
    }

    /// Every TCP port (0–65535).
    pub fn all_tcp() -> Port {
        Port {
            protocol: "tcp",
            from: Some(Value::from(0)),
            to: Some(Value::from(65535)),
            label: "alltcp".to_owned(),
            problems: Vec::new(),
        }
    }

    /// All protocols and ports (`IpProtocol: -1`).
    pub fn all_traffic() -> Port {
        Port {
            protocol: "-1",
            from: None,
            to: None,
            label: "all".to_owned(),
            problems: Vec::new(),
        }
    }

    pub fn protocol(&self) -> &'static str {
        self.protocol
    }

    /// The literal single port, if this is one.
    pub fn literal_port(&self) -> Option<i64> {
        let f = self.from.as_ref()?.expr().as_f64()?;
        let t = self.to.as_ref()?.expr().as_f64()?;
        (f == t).then_some(f as i64)
    }

    /// Validation problems (reported where the port is used in a rule).
    pub fn problems(&self) -> &[String] {
        &self.problems
    }
}

/// A short, id-safe label for an expression: the literal, the last part of a placeholder's Jinja expression,
/// or a hash.
pub(super) fn expr_label(e: &Expr) -> String {
    let raw = match e {
        Expr::Str(s) => s.clone(),
        Expr::Int(i) => i.to_string(),
        Expr::Placeholder(p) => p.jinja.rsplit('.').next().unwrap_or(&p.jinja).to_owned(),
        other => {
            // Hash the expression without the process-wide stack ids, so labels are stable across runs.
            let text = strip_stack_ids(&format!("{other:?}"));
            let digest = Md5::digest(text.as_bytes());
            digest.iter().take(4).map(|b| format!("{b:02X}")).collect()
        }
    };
    raw.chars()
        .filter_map(|c| match c {
            '/' => Some('_'),
            c if c.is_ascii_alphanumeric() || c == '.' || c == '-' => Some(c),
            _ => None,
        })
        .collect()
}

/// Remove `stack: StackId(N), ` from a `Debug` rendering of an expression.
pub(super) fn strip_stack_ids(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("stack: StackId(") {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        match after.find("), ") {
            Some(j) => rest = &after[j + 3..],
            None => {
                rest = after;
                break;
            }
        }
    }
    out.push_str(rest);
    out
}
