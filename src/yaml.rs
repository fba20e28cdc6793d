//! YAML output of plain templates through serde-saphyr, which quotes `on`/`yes`/`off`/`y` so YAML 1.1 readers
//! (cfn-lint, checkov) do not read them as booleans.

use proton_synth_constructs::synth::{Node, Plain};

/// A resolved template's plain spelling as block YAML (long form intrinsics, `Fn::Sub:` etc.).
pub fn to_yaml(v: &Node) -> String {
    serde_saphyr::to_string(&Plain(v)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use proton_synth_constructs::synth::Node;

    #[test]
    fn yaml_quotes_yaml11_booleans() {
        let v = serde_json::json!({"A": ["on", "yes", "off", "y", "N"], "B": true});
        let y = super::to_yaml(&Node::from(&v));
        assert!(
            y.contains("- \"on\"") && y.contains("- \"y\"") && y.contains("B: true"),
            "{y}"
        );
    }
}
