//! Findings: the errors and warnings that `check` and `render` report, each with its file and line.

use std::fmt;

/// How bad a finding is (one type for synthesis diagnostics and findings). Any `Severity::Error` makes a
/// command exit with code 1.
pub use proton_synth_constructs::Severity;

/// One problem found in a bundle, a spec, a context file or a rendered template.
///
/// Displays as `error: service/instance_infrastructure/cloudformation.yaml:42: message`; the file and line
/// parts are left out when unknown.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Finding {
    pub severity: Severity,
    /// The file as the user knows it: a bundle path with its wrapping folder (`service/schema/schema.yaml`),
    /// a spec or context path, or a rendered output name.
    pub file: Option<String>,
    /// 1-based line in `file`.
    pub line: Option<usize>,
    pub message: String,
}

impl Finding {
    pub fn error(message: impl Into<String>) -> Self {
        Finding {
            severity: Severity::Error,
            file: None,
            line: None,
            message: message.into(),
        }
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Finding {
            severity: Severity::Warning,
            ..Finding::error(message)
        }
    }

    /// The same finding, located in `file`.
    pub fn in_file(mut self, file: impl Into<String>) -> Self {
        self.file = Some(file.into());
        self
    }

    /// The same finding, located at `line` (ignored when `None` or 0).
    pub fn at_line(mut self, line: impl Into<Option<usize>>) -> Self {
        self.line = line.into().filter(|l| *l > 0);
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{level}: {}", self.located())
    }
}

impl Finding {
    /// The finding without its severity (`file:line: message`), to quote it inside another message.
    pub fn located(&self) -> String {
        match (&self.file, self.line) {
            (Some(file), Some(line)) => format!("{file}:{line}: {}", self.message),
            (Some(file), None) => format!("{file}: {}", self.message),
            (None, Some(line)) => format!("line {line}: {}", self.message),
            (None, None) => self.message.clone(),
        }
    }
}

/// True when any finding is an error.
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(Finding::is_error)
}

/// Keep findings in a stable order: by file, then line, errors before warnings at the same place; drop
/// exact duplicates.
pub fn sort_findings(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| (&a.file, a.line, a.severity, &a.message).cmp(&(&b.file, b.line, b.severity, &b.message)));
    findings.dedup();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_file_and_line() {
        let f = Finding::error("boom").in_file("a/b.yaml").at_line(42);
        assert_eq!(f.to_string(), "error: a/b.yaml:42: boom");
        assert_eq!(Finding::warning("w").to_string(), "warning: w");
        assert_eq!(Finding::error("x").at_line(3).to_string(), "error: line 3: x");
    }
}
