//! YAML output through serde-saphyr, which quotes `on`/`yes`/`off`/`y` so YAML 1.1 readers (cfn-lint,
//! checkov) do not read them as booleans.

/// A JSON tree as block YAML (long form intrinsics, `Fn::Sub:` etc.).
pub fn to_yaml(v: &serde_json::Value) -> String {
    serde_saphyr::to_string(v).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn yaml_quotes_yaml11_booleans() {
        let v = serde_json::json!({"A": ["on", "yes", "off", "y", "N"], "B": true});
        let y = super::to_yaml(&v);
        assert!(
            y.contains("- \"on\"") && y.contains("- \"y\"") && y.contains("B: true"),
            "{y}"
        );
    }
}
