//! Whole programs: an `App` with a random VPC stack, an environment template with random inputs (and the
//! `VpcId` output its service reads) and a service template with random instance and pipeline inputs.
//! `App::synth` twice gives the same file set byte for byte, and every plain template it writes resolves
//! every reference.

use proptest::prelude::*;
use proton_synth::app::{App, SynthOptions};
use proton_synth::constructs::cfn::ec2;
use proton_synth::constructs::ec2::Vpc;
use proton_synth::constructs::Stack;
use serde_json::Value as J;

use crate::inputs::{build, build_service, valid_inputs, Inputs};
use crate::network::{valid_vpc, VpcConfig};
use crate::{config, refs};

fn app(vpc: &VpcConfig, env: &Inputs, instance: &Inputs, pipeline: Option<&Inputs>) -> App {
    let mut stack = Stack::new("Network");
    Vpc::new(&mut stack.root(), "Vpc", vpc.props());
    let (mut environment, _) = build(&env.0, &env.1);
    let mut v = ec2::Vpc::new();
    v.cidr_block = Some("10.0.0.0/16".into());
    let handle = environment.root().add("SharedVpc", v);
    environment.output("VpcId", handle.r#ref());
    let (service, _, _) = build_service(instance, pipeline);
    let mut app = App::new("prop-app");
    app.add_stack(stack).add_environment(environment).add_service(service);
    app
}

proptest! {
    #![proptest_config(config(8))]

    #[test]
    fn apps_synthesize_the_same_files_with_resolved_references(
        vpc in valid_vpc(),
        env in valid_inputs(),
        instance in valid_inputs(),
        pipeline in prop::option::of(valid_inputs()),
    ) {
        let synth = || app(&vpc, &env, &instance, pipeline.as_ref())
            .synth(&SynthOptions::default())
            .map_err(|d| TestCaseError::fail(format!("a valid app failed to synthesize:\n{d}")));
        let a = synth()?;
        let b = synth()?;
        prop_assert_eq!(a.assembly.files(), b.assembly.files());
        let mut plain = 0;
        for (path, bytes) in a.assembly.files() {
            if !path.ends_with(".template.json") {
                continue;
            }
            let template: J = serde_json::from_slice(bytes).map_err(|e| TestCaseError::fail(format!("{path}: {e}")))?;
            let dangling = refs::dangling_references(&template);
            prop_assert!(dangling.is_empty(), "{}: {:#?}", path, dangling);
            plain += 1;
        }
        // The VPC stack, the environment, the service instance and, with a pipeline, the plain pipeline (written
        // for one instance, its per-instance values as parameters: no dangling references either).
        prop_assert_eq!(plain, 3 + usize::from(pipeline.is_some()));
    }
}
