//! Arbitrary names and construct ids (empty, with `/`, non-ASCII, over-long, duplicated) on a composed
//! application: synthesis reports them or succeeds, never panics, and a success resolves every reference.

use proptest::prelude::*;
use proton_synth::constructs::ec2::{Vpc, VpcProps};
use proton_synth::constructs::ecs::{Cluster, ClusterProps, ContainerImage};
use proton_synth::constructs::patterns::{LoadBalancedFargateService, LoadBalancedFargateServiceProps};
use proton_synth::constructs::{Stack, Value};

use crate::{assert_no_panic, assert_rejected, config};

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[A-Za-z0-9]{1,12}",
        1 => Just(String::new()),
        1 => "[ -~]{0,40}",
        1 => "[a-z/]{1,8}",
        1 => "\\PC{0,10}",
        1 => "[a-z]{300}",
    ]
}

#[derive(Clone, Debug)]
struct Names {
    stack: String,
    vpc: String,
    cluster: String,
    service: String,
    /// Physical names: ECS cluster, ECS service, load balancer, target group.
    cluster_name: Option<String>,
    service_name: Option<String>,
    load_balancer_name: Option<String>,
    target_group_name: Option<String>,
}

prop_compose! {
    fn names()(
        stack in name(), vpc in name(), cluster in name(), service in name(),
        cluster_name in prop::option::of(name()),
        service_name in prop::option::of(name()),
        load_balancer_name in prop::option::of(name()),
        target_group_name in prop::option::of(name()),
    ) -> Names {
        Names { stack, vpc, cluster, service, cluster_name, service_name, load_balancer_name, target_group_name }
    }
}

fn build(n: &Names) -> Stack {
    let mut stack = Stack::new(&n.stack);
    let vpc = Vpc::new(&mut stack.root(), &n.vpc, VpcProps::default()).as_ref();
    let cluster = Cluster::new(
        &mut stack.root(),
        &n.cluster,
        ClusterProps {
            name: n.cluster_name.as_deref().map(Value::from),
            ..ClusterProps::default()
        },
    );
    let mut p = LoadBalancedFargateServiceProps::new(
        cluster,
        vpc,
        ContainerImage::registry("public.ecr.aws/nginx/nginx:1.27"),
    );
    p.service_name = n.service_name.as_deref().map(Value::from);
    p.load_balancer_name = n.load_balancer_name.clone();
    p.target_group_name = n.target_group_name.as_deref().map(Value::from);
    LoadBalancedFargateService::new(&mut stack.root(), &n.service, p);
    stack
}

proptest! {
    #![proptest_config(config(24))]

    #[test]
    fn arbitrary_names_and_ids_never_panic(n in names()) {
        assert_no_panic(&build(&n))?;
    }

    #[test]
    fn empty_slashed_and_duplicate_construct_ids_are_diagnosed(n in names(), which in 0u8..4) {
        // Valid, distinct ids except for the problem under test; physical names stay arbitrary.
        let original_service = n.service.clone();
        let mut n = Names { vpc: "Vpc".into(), cluster: "Cluster".into(), service: "Web".into(), ..n };
        let expected = match which {
            0 => { n.vpc = String::new(); "construct id must not be empty" }
            1 => { n.service = format!("{original_service}/x"); "must not contain '/'" }
            2 => { n.cluster = "Vpc".into(); "duplicate construct id" }
            _ => { n.load_balancer_name = Some(String::new()); "load balancer name must not be empty" }
        };
        assert_rejected(&build(&n), expected)?;
    }
}
