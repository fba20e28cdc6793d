//! Fargate services behind an application load balancer: random task sizes from Fargate's table, desired
//! counts, container ports, listeners with default actions and path rules; and the load-balanced pattern.

use std::collections::BTreeSet;

use proptest::prelude::*;
use proptest::sample::Index;
use proton_synth::constructs::ec2::{Vpc, VpcProps};
use proton_synth::constructs::ecs::{
    fargate_memory_options, Cluster, ClusterProps, ContainerImage, ContainerProps, FargateService, FargateServiceProps,
    FargateTaskDefinition, FargateTaskDefinitionProps, FARGATE_SIZES,
};
use proton_synth::constructs::elbv2::{
    AlbProps, ApplicationLoadBalancer, ApplicationTargetGroup, Condition, ListenerAction, ListenerProps,
    TargetGroupProps,
};
use proton_synth::constructs::patterns::{
    AutoScalingOptions, LoadBalancedFargateService, LoadBalancedFargateServiceProps, TaskSource,
};
use proton_synth::constructs::{Stack, Value};

use crate::{assert_rejected, assert_synthesizes, config};

const CERTIFICATE: &str = "arn:aws:acm:eu-west-1:111122223333:certificate/0f3c1d5e-1111-2222-3333-444455556666";

#[derive(Clone, Debug)]
struct ServiceCfg {
    cpu: i64,
    memory: i64,
    desired: i64,
    ports: Vec<i64>,
    name: Option<String>,
}

#[derive(Clone, Debug)]
enum ActionCfg {
    Forward(usize),
    Fixed(u16),
    RedirectToHttps(u16),
}

#[derive(Clone, Debug)]
struct RuleCfg {
    priority: u32,
    paths: Vec<String>,
    action: ActionCfg,
}

#[derive(Clone, Debug)]
struct ListenerCfg {
    port: u16,
    https: bool,
    default: ActionCfg,
    rules: Vec<RuleCfg>,
}

#[derive(Clone, Debug)]
struct AppCfg {
    internet_facing: bool,
    services: Vec<ServiceCfg>,
    listeners: Vec<ListenerCfg>,
    target_group_name: Option<String>,
    /// The id of every service (`Service{i}` unless a test makes two equal).
    service_ids: Vec<String>,
}

fn fargate_size() -> impl Strategy<Value = (i64, i64)> {
    (0..FARGATE_SIZES.len()).prop_flat_map(|i| {
        let cpu = FARGATE_SIZES[i].0;
        let options = fargate_memory_options(cpu).expect("a cpu of the table");
        (Just(cpu), prop::sample::select(options))
    })
}

fn service() -> impl Strategy<Value = ServiceCfg> {
    (
        fargate_size(),
        0i64..=10,
        prop::collection::btree_set(1i64..=65535, 1..=3),
    )
        .prop_map(|((cpu, memory), desired, ports)| ServiceCfg {
            cpu,
            memory,
            desired,
            ports: ports.into_iter().collect(),
            name: None,
        })
}

/// A listener action before the number of services is known: (kind, service index, status code).
type RawAction = (u8, Index, u16);

fn action() -> impl Strategy<Value = RawAction> {
    (0u8..3, any::<Index>(), 200u16..=599)
}

fn to_action((kind, index, status): RawAction, services: usize) -> ActionCfg {
    match kind {
        0 => ActionCfg::Forward(index.index(services)),
        1 => ActionCfg::Fixed(status),
        _ => ActionCfg::RedirectToHttps(443),
    }
}

/// (https, default action, rules as (priority, number of paths, action)).
fn listener_shape() -> impl Strategy<Value = (bool, RawAction, Vec<(u32, u8, RawAction)>)> {
    let rules = prop::collection::btree_map(1u32..=50000, (1u8..=5, action()), 0..=4)
        .prop_map(|m| m.into_iter().map(|(p, (n, a))| (p, n, a)).collect::<Vec<_>>());
    (any::<bool>(), action(), rules)
}

prop_compose! {
    /// Services with valid sizes and ports, listeners on distinct ports (HTTPS ones with a certificate),
    /// rules with distinct priorities per listener; every target group is forwarded to by some listener.
    fn valid_app()(
        internet_facing in any::<bool>(),
        services in prop::collection::vec(service(), 1..=3),
        ports in prop::collection::btree_set(1u16..=65535, 1..=3),
        shapes in prop::collection::vec(listener_shape(), 3),
    ) -> AppCfg {
        let n = services.len();
        let mut listeners: Vec<ListenerCfg> = ports
            .into_iter()
            .zip(shapes)
            .map(|(port, (https, default, rules))| ListenerCfg {
                port,
                https,
                default: to_action(default, n),
                rules: rules
                    .into_iter()
                    .enumerate()
                    .map(|(k, (priority, paths, a))| RuleCfg {
                        priority,
                        paths: (0..paths).map(|p| format!("/r{k}/p{p}/*")).collect(),
                        action: to_action(a, n),
                    })
                    .collect(),
            })
            .collect();
        forward_to_every_service(&mut listeners, n);
        AppCfg {
            internet_facing,
            service_ids: (0..n).map(|i| format!("Service{i}")).collect(),
            services,
            listeners,
            target_group_name: None,
        }
    }
}

/// The highest priority no rule of `l` uses.
fn free_priority(l: &ListenerCfg) -> u32 {
    let used: BTreeSet<u32> = l.rules.iter().map(|r| r.priority).collect();
    (1..=50000).rev().find(|p| !used.contains(p)).expect("a free priority")
}

/// Add a rule on the first listener for every service no listener forwards to.
fn forward_to_every_service(listeners: &mut [ListenerCfg], services: usize) {
    let forwarded = |l: &ListenerCfg, i: usize| {
        std::iter::once(&l.default)
            .chain(l.rules.iter().map(|r| &r.action))
            .any(|a| matches!(a, ActionCfg::Forward(j) if *j == i))
    };
    for i in 0..services {
        if listeners.iter().any(|l| forwarded(l, i)) {
            continue;
        }
        let priority = free_priority(&listeners[0]);
        listeners[0].rules.push(RuleCfg {
            priority,
            paths: vec![format!("/service{i}/*")],
            action: ActionCfg::Forward(i),
        });
    }
}

fn listener_action(a: &ActionCfg, tgs: &[ApplicationTargetGroup]) -> ListenerAction {
    match a {
        ActionCfg::Forward(i) => ListenerAction::forward(&tgs[*i]),
        ActionCfg::Fixed(status) => ListenerAction::fixed_response(*status),
        ActionCfg::RedirectToHttps(port) => ListenerAction::redirect_to_https(*port),
    }
}

fn build_app(c: &AppCfg) -> Stack {
    let mut stack = Stack::new("Apps");
    let vpc = Vpc::new(&mut stack.root(), "Vpc", VpcProps::default()).as_ref();
    let cluster = Cluster::new(&mut stack.root(), "Cluster", ClusterProps::default());
    let lb_subnets = if c.internet_facing {
        &vpc.public_subnet_ids
    } else {
        &vpc.private_subnet_ids
    };
    let lb = ApplicationLoadBalancer::new(
        &mut stack.root(),
        "Alb",
        AlbProps::new(vpc.vpc_id.clone(), lb_subnets.clone(), c.internet_facing),
    );
    let mut tgs = Vec::new();
    for (i, s) in c.services.iter().enumerate() {
        let td = FargateTaskDefinition::new(
            &mut stack.root(),
            &format!("Task{i}"),
            FargateTaskDefinitionProps {
                cpu: Value::from(s.cpu),
                memory_mib: Value::from(s.memory),
                ..FargateTaskDefinitionProps::default()
            },
        );
        let mut container = ContainerProps::new(ContainerImage::registry("public.ecr.aws/nginx/nginx:1.27"));
        container.port_mappings = s.ports.iter().map(|p| Value::from(*p)).collect();
        td.add_container(&mut stack, "web", container);
        let mut props = FargateServiceProps::new(cluster.clone(), td, vpc.private_subnet_ids.clone());
        props.vpc_id = Some(vpc.vpc_id.clone());
        props.desired_count = Value::from(s.desired);
        props.service_name = s.name.as_deref().map(Value::from);
        let svc = FargateService::new(&mut stack.root(), &c.service_ids[i], props);
        let mut tg_props = TargetGroupProps::new(vpc.vpc_id.clone(), s.ports[0]);
        tg_props.name = c.target_group_name.as_deref().map(Value::from);
        let tg = ApplicationTargetGroup::new(&mut stack.root(), &format!("Target{i}"), tg_props);
        svc.attach_to_target_group(&mut stack, &tg, "web", s.ports[0]);
        tgs.push(tg);
    }
    for (j, l) in c.listeners.iter().enumerate() {
        let default = listener_action(&l.default, &tgs);
        let props = if l.https {
            ListenerProps::https(l.port, vec![Value::from(CERTIFICATE)], default)
        } else {
            ListenerProps::http(l.port, default)
        };
        let listener = lb.add_listener(&mut stack, &format!("Listener{j}"), props);
        for (k, r) in l.rules.iter().enumerate() {
            let conditions = if r.paths.is_empty() {
                Vec::new()
            } else {
                vec![Condition::PathPatterns(r.paths.clone())]
            };
            listener.add_rule(
                &mut stack,
                &format!("Rule{k}"),
                r.priority,
                conditions,
                listener_action(&r.action, &tgs),
            );
        }
    }
    stack
}

/// One way to break a valid application, and a fragment of the error it must produce.
fn break_app(mut c: AppCfg, how: u8, noise: u32) -> (AppCfg, &'static str) {
    let pick = |options: &[i64]| options[noise as usize % options.len()];
    let expected = match how % 13 {
        0 => {
            c.services[0].cpu = pick(&[0, -256, 100, 255, 257, 3000, 32768]);
            "Fargate does not support cpu"
        }
        1 => {
            let (_, _, max, step) = FARGATE_SIZES
                .iter()
                .find(|s| s.0 == c.services[0].cpu)
                .copied()
                .expect("a size");
            c.services[0].memory = pick(&[0, -512, 100, max + step, c.services[0].memory + 1]);
            "with memory"
        }
        2 => {
            c.services[0].desired = pick(&[-1, -10, i64::MIN]);
            "must not be negative"
        }
        3 => {
            c.services[0].ports.push(pick(&[0, -1, 65536, 100_000, i64::MAX]));
            "is not in the range 1-65535"
        }
        4 => {
            let l = &mut c.listeners[0];
            let rule = RuleCfg {
                priority: free_priority(l),
                paths: vec!["/dup/*".into()],
                action: ActionCfg::Fixed(200),
            };
            l.rules.extend([rule.clone(), rule]);
            "is used twice on listener"
        }
        5 => {
            let priority = [0, 50001, 99999, u32::MAX][noise as usize % 4];
            c.listeners[0].rules.push(RuleCfg {
                priority,
                paths: vec!["/x".into()],
                action: ActionCfg::Fixed(200),
            });
            "is not in the range 1-50000"
        }
        6 => {
            c.listeners[0].default = ActionCfg::Fixed([0u16, 100, 199, 600, 999][noise as usize % 5]);
            "is not in the range 200-599"
        }
        7 => {
            c.services.push(c.services[0].clone());
            c.service_ids.push(c.service_ids[0].clone());
            "duplicate construct id"
        }
        8 => {
            c.services[0].name = Some(["", "has space", "slash/name", &"x".repeat(256)][noise as usize % 4].to_owned());
            "must be 1-255 letters, digits, hyphens and underscores"
        }
        9 => {
            c.target_group_name = Some(String::new());
            "target group name must not be empty"
        }
        10 => {
            c.listeners[0].port = 0;
            "listener port 0 is not in the range 1-65535"
        }
        11 => {
            let mut twin = c.listeners[0].clone();
            twin.rules.clear();
            c.listeners.push(twin);
            "is used by 2 listeners of load balancer"
        }
        _ => {
            let priority = free_priority(&c.listeners[0]);
            c.listeners[0].rules.push(RuleCfg {
                priority,
                paths: Vec::new(),
                action: ActionCfg::Fixed(200),
            });
            "needs at least one condition"
        }
    };
    (c, expected)
}

#[derive(Clone, Debug)]
struct PatternCfg {
    size: (i64, i64),
    desired: i64,
    container_port: i64,
    https: bool,
    listener_port: Option<u16>,
    scaling: Option<(u32, u32, f64)>,
}

fn build_pattern(c: &PatternCfg) -> Stack {
    let mut stack = Stack::new("Web");
    let vpc = Vpc::new(&mut stack.root(), "Vpc", VpcProps::default()).as_ref();
    let cluster = Cluster::new(&mut stack.root(), "Cluster", ClusterProps::default());
    let mut p = LoadBalancedFargateServiceProps::new(
        cluster,
        vpc,
        ContainerImage::registry("public.ecr.aws/nginx/nginx:1.27"),
    );
    p.compute.set_size(c.size.0, c.size.1);
    p.desired_count = Value::from(c.desired);
    if let TaskSource::Image(image) = &mut p.task {
        image.container_port = Value::from(c.container_port);
    }
    if c.https {
        p.certificate_arns = vec![Value::from(CERTIFICATE)];
    }
    p.listener_port = c.listener_port;
    p.auto_scaling = c.scaling.map(|(min, extra, cpu)| AutoScalingOptions {
        min_capacity: min,
        max_capacity: min + extra,
        cpu_target_percent: Some(cpu),
        ..AutoScalingOptions::default()
    });
    LoadBalancedFargateService::new(&mut stack.root(), "Service", p);
    stack
}

prop_compose! {
    fn valid_pattern()(
        size in fargate_size(),
        desired in 0i64..=20,
        container_port in 1i64..=65535,
        https in any::<bool>(),
        listener_port in prop::option::of(81u16..=65535),
        scaling in prop::option::of((1u32..=3, 0u32..=10, 5.0f64..95.0)),
    ) -> PatternCfg {
        // With scaling, the desired count starts inside the scaling range.
        let desired = match scaling {
            Some((min, extra, _)) => desired.clamp(i64::from(min), i64::from(min + extra)),
            None => desired,
        };
        PatternCfg { size, desired, container_port, https, listener_port, scaling }
    }
}

proptest! {
    #![proptest_config(config(16))]

    #[test]
    fn valid_services_behind_a_load_balancer_synthesize_deterministically(c in valid_app()) {
        let t = assert_synthesizes(|| build_app(&c))?;
        let services: Vec<_> = t["Resources"].as_object().unwrap().values()
            .filter(|r| r["Type"] == "AWS::ECS::Service").collect();
        prop_assert_eq!(services.len(), c.services.len());
        for (s, cfg) in services.iter().zip(&c.services) {
            prop_assert_eq!(s["Properties"]["DesiredCount"].as_i64(), Some(cfg.desired));
            let depends = s["DependsOn"].as_array().map_or(0, Vec::len);
            prop_assert!(depends > 0, "the service does not wait for a listener forwarding to it: {}", s);
        }
        let rules = c.listeners.iter().map(|l| l.rules.len()).sum::<usize>();
        let emitted = t["Resources"].as_object().unwrap().values()
            .filter(|r| r["Type"] == "AWS::ElasticLoadBalancingV2::ListenerRule").count();
        prop_assert_eq!(emitted, rules);
    }

    #[test]
    fn invalid_services_and_listeners_are_diagnosed(c in valid_app(), how in any::<u8>(), noise in any::<u32>()) {
        let (broken, expected) = break_app(c, how, noise);
        assert_rejected(&build_app(&broken), expected)?;
    }

    #[test]
    fn valid_load_balanced_services_synthesize_deterministically(c in valid_pattern()) {
        assert_synthesizes(|| build_pattern(&c))?;
    }

    #[test]
    fn load_balanced_service_with_an_unsupported_size_is_diagnosed(
        c in valid_pattern(), memory in any::<i64>(), https_on_80 in any::<bool>()
    ) {
        let mut c = c;
        if https_on_80 {
            c.https = true;
            c.listener_port = Some(80);
            assert_rejected(&build_pattern(&c), "port 80 is taken by the HTTP->HTTPS redirect")?;
        } else {
            prop_assume!(!fargate_memory_options(c.size.0).unwrap().contains(&memory));
            c.size.1 = memory;
            assert_rejected(&build_pattern(&c), "Fargate does not support cpu")?;
        }
    }
}
