//! The plain CloudFormation form of a service template's pipeline (`<service>.pipeline.template.json`).
//!
//! A Proton pipeline is rendered once per service with a Jinja loop over all its instances; plain
//! CloudFormation has no loop, so the plain pipeline is written for **one** service instance: the loop body
//! is emitted once (looped resources keep their logical IDs without the index suffix, `loop.index` is 1), and
//! every per-instance value ([`super::InstanceLoop`]: `service_instance.name`, `.inputs.<n>`, `.outputs.<n>`,
//! `.environment.*`) is a **parameter** named `ServiceInstance<Path>` (`service_instance.outputs.ServiceName`
//! → `ServiceInstanceOutputsServiceName`). The `service.*` values are the parameters `ServiceName`,
//! `BranchName`, `RepositoryId` and `RepositoryConnectionArn`; pipeline inputs are parameters as in every
//! plain template.
//!
//! Why parameters rather than `Fn::ImportValue` of exports of the instance template: an export pins the
//! instance stack (CloudFormation refuses to change or delete an output another stack imports, so the service
//! instance could not be updated or replaced while the pipeline stands), export names are Region-wide and
//! would need an environment/service/instance naming scheme of their own, and Proton itself passed instance
//! outputs as values, not imports. With parameters the two stacks stay independent: pass the instance stack's
//! outputs (`aws cloudformation describe-stacks`) as the pipeline's parameter values, as `deploy` does.

use serde_json::{json, Map, Value as J};

use proton_synth_constructs::Expr;

use super::input::parameter_name;

/// Prefix of the plain parameters that stand for per-instance values.
pub const INSTANCE_PARAM_PREFIX: &str = "ServiceInstance";

/// The plain parameter of `service_instance.<path>` (path as written in the bundle: `outputs.X`,
/// `inputs["my-input"]`, `environment.name`).
pub fn instance_param_name(path: &str) -> String {
    format!("{INSTANCE_PARAM_PREFIX}{}", parameter_name(path))
}

/// The plain spelling of a per-instance value: a `Ref` to its parameter. Written as a literal `Ref` map
/// (not a checked parameter reference) because the loop handle cannot declare parameters in the stack; plain
/// synthesis ([`declare_instance_params`], from `bundle::synth_plain`) declares every one that is referenced.
pub(crate) fn instance_param_ref(path: &str) -> Expr {
    Expr::Map(
        [("Ref".to_owned(), Expr::Str(instance_param_name(path)))]
            .into_iter()
            .collect(),
    )
}

/// Every `{"Ref": "ServiceInstance…"}` in the tree, in order of first appearance.
fn instance_refs(v: &J, out: &mut Vec<String>) {
    match v {
        J::Object(o) => {
            if let (1, Some(J::String(r))) = (o.len(), o.get("Ref")) {
                if r.starts_with(INSTANCE_PARAM_PREFIX) && !out.contains(r) {
                    out.push(r.clone());
                }
            }
            o.values().for_each(|x| instance_refs(x, out));
        }
        J::Array(a) => a.iter().for_each(|x| instance_refs(x, out)),
        _ => {}
    }
}

/// Declare the per-instance parameters the template references and does not declare yet. `Parameters`
/// goes where CloudFormation templates put it: before `Mappings`, `Conditions`, `Resources` and `Outputs`.
pub(crate) fn declare_instance_params(tree: &mut J) {
    let mut names = Vec::new();
    instance_refs(tree, &mut names);
    let Some(t) = tree.as_object_mut() else {
        return;
    };
    let declared: Vec<String> = t
        .get("Parameters")
        .and_then(J::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    let new: Vec<String> = names.into_iter().filter(|n| !declared.contains(n)).collect();
    if new.is_empty() {
        return;
    }
    let mut params = match t.shift_remove("Parameters") {
        Some(J::Object(p)) => p,
        _ => Map::new(),
    };
    for n in new {
        params.insert(
            n.clone(),
            json!({
                "Type": "String",
                "Description": format!(
                    "Per-instance value {n} (AWS Proton service_instance.*): pass the service instance's value or its stack's output"
                ),
            }),
        );
    }
    let mut out = Map::new();
    let mut params = Some(params);
    for (k, v) in std::mem::take(t) {
        if matches!(k.as_str(), "Mappings" | "Conditions" | "Resources" | "Outputs") {
            if let Some(p) = params.take() {
                out.insert("Parameters".to_owned(), J::Object(p));
            }
        }
        out.insert(k, v);
    }
    if let Some(p) = params {
        out.insert("Parameters".to_owned(), J::Object(p));
    }
    *t = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_names_follow_the_jinja_path() {
        assert_eq!(
            instance_param_name("outputs.ServiceName"),
            "ServiceInstanceOutputsServiceName"
        );
        assert_eq!(
            instance_param_name("inputs[\"my-port\"]"),
            "ServiceInstanceInputsMyPort"
        );
        assert_eq!(
            instance_param_name("environment.account_id"),
            "ServiceInstanceEnvironmentAccountId"
        );
    }

    #[test]
    fn referenced_parameters_are_declared_before_resources() {
        let mut t = json!({
            "Description": "d",
            "Resources": {"A": {"Type": "X", "Properties": {"N": {"Ref": "ServiceInstanceName"}, "M": {"Ref": "Other"}}}},
        });
        declare_instance_params(&mut t);
        let keys: Vec<&String> = t.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["Description", "Parameters", "Resources"]);
        let params = t["Parameters"].as_object().unwrap();
        assert_eq!(params.keys().collect::<Vec<_>>(), ["ServiceInstanceName"]);
        assert_eq!(params["ServiceInstanceName"]["Type"], "String");
    }
}
