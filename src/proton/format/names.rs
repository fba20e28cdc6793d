//! Proton's name rules: resource names (templates, environments, services, instances, inputs) and the
//! identifiers Jinja and the schema's input types need.

use super::limits::MAX_NAME_LEN;

/// Is `name` a valid Proton name: 1–100 characters, `[0-9A-Za-z]+[0-9A-Za-z_-]*` (API Reference)?
pub fn is_valid_name(name: &str) -> bool {
    check_name("name", name).is_ok()
}

/// [`is_valid_name`], with the reason as a message naming `what` (`template name`, `pipeline input`, …).
pub fn check_name(what: &str, name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !ok {
        Err(format!("{what} {name:?} must match [0-9A-Za-z]+[0-9A-Za-z_-]*"))
    } else if name.len() > MAX_NAME_LEN {
        Err(format!(
            "{what} {name:?} is {} characters; AWS Proton allows at most {MAX_NAME_LEN}",
            name.len()
        ))
    } else {
        Ok(())
    }
}

/// True for identifiers, `[A-Za-z_][A-Za-z0-9_]*`: schema input type names, and input names Jinja can
/// read as `.name` (others need `["name"]`).
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_valid_name("api-svc_2"));
        assert!(is_valid_name("2fast"));
        assert!(!is_valid_name("-x"));
        assert!(!is_valid_name(""));
        assert!(!is_valid_name("a.b"));
        assert!(is_valid_name(&"a".repeat(100)));
        assert!(!is_valid_name(&"a".repeat(101)));
        assert!(is_identifier("_a1") && !is_identifier("1a") && !is_identifier("a-b"));
    }
}
