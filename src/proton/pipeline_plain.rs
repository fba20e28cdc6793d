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

use proton_synth_constructs::synth::Node;
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
/// synthesis ([`declare_instance_params`], from `bundle::resolve_part`) declares every one that is referenced.
pub(crate) fn instance_param_ref(path: &str) -> Expr {
    Expr::Map(
        [("Ref".to_owned(), Expr::Str(instance_param_name(path)))]
            .into_iter()
            .collect(),
    )
}

/// Every `{"Ref": "ServiceInstance…"}` of the plain spelling, in order of first appearance.
fn instance_refs<'a>(v: &'a Node, out: &mut Vec<&'a str>) {
    match v {
        Node::Map(m) => {
            if let [(k, Node::Str(r))] = m.as_slice() {
                if k == "Ref" && r.starts_with(INSTANCE_PARAM_PREFIX) && !out.contains(&r.as_ref()) {
                    out.push(r);
                }
            }
            m.iter().for_each(|(_, x)| instance_refs(x, out));
        }
        Node::List(a) | Node::Loop(_, a) => a.iter().for_each(|x| instance_refs(x, out)),
        Node::Placeholder(_, x) | Node::Repeat(_, x) => instance_refs(x, out),
        _ => {}
    }
}

/// Declare the per-instance parameters the plain template references and does not declare yet, and return
/// their names. `Parameters` goes where CloudFormation templates put it: before `Mappings`, `Conditions`,
/// `Resources` and `Outputs`.
pub(crate) fn declare_instance_params(tree: &mut Node) -> Vec<String> {
    let mut names = Vec::new();
    instance_refs(tree, &mut names);
    let declared = tree.get("Parameters").and_then(Node::as_map).unwrap_or(&[]);
    let new: Vec<String> = names
        .into_iter()
        .filter(|n| !declared.iter().any(|(k, _)| k == n))
        .map(str::to_owned)
        .collect();
    let Some(members) = tree.as_map_mut().filter(|_| !new.is_empty()) else {
        return Vec::new();
    };
    let at = match members.iter().position(|(k, _)| k == "Parameters") {
        Some(i) => i,
        None => {
            let i = members
                .iter()
                .position(|(k, _)| matches!(k.as_ref(), "Mappings" | "Conditions" | "Resources" | "Outputs"))
                .unwrap_or(members.len());
            members.insert(i, ("Parameters".into(), Node::Map(Vec::new())));
            i
        }
    };
    let params = &mut members[at].1;
    for n in &new {
        params.insert(
            n.clone(),
            Node::map([
                ("Type", Node::str("String")),
                (
                    "Description",
                    Node::str(format!(
                        "Per-instance value {n} (AWS Proton service_instance.*): pass the service instance's value or its stack's output"
                    )),
                ),
            ]),
        );
    }
    new
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
        let r = |name: &'static str| Node::func("Ref", Node::str(name));
        let props = Node::map([("N", r("ServiceInstanceName")), ("M", r("Other"))]);
        let resource = Node::map([("Type", Node::str("X")), ("Properties", props)]);
        let mut t = Node::map([
            ("Description", Node::str("d")),
            ("Resources", Node::map([("A", resource)])),
        ]);
        assert_eq!(declare_instance_params(&mut t), ["ServiceInstanceName"]);
        let t = t.to_json();
        let keys: Vec<&String> = t.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["Description", "Parameters", "Resources"]);
        let params = t["Parameters"].as_object().unwrap();
        assert_eq!(params.keys().collect::<Vec<_>>(), ["ServiceInstanceName"]);
        assert_eq!(params["ServiceInstanceName"]["Type"], "String");
    }
}
