//! What the catalog's load-balanced services share (`load_balanced_fargate_svc.rs`,
//! `load_balanced_ecs_ec2_svc.rs`; included by `backend_fargate_svc.rs`): the `loadbalancer_type` input and the
//! pattern's task image options.

use proton_synth::constructs::ecs::ContainerProps;
use proton_synth::constructs::logs::LogGroup;
use proton_synth::constructs::patterns::TaskImageOptions;
use proton_synth::proton::{Input, InputDef, Instance, ServiceTemplate};

use super::lb_fargate_svc::CONTAINER_NAME;

/// The load-balanced patterns' task image options from the shared container `c`
/// ([`container`](super::container)), named [`CONTAINER_NAME`], on `port`, logging to `logs`.
pub fn task_image(c: ContainerProps, port: &Input<Instance, f64>, logs: LogGroup) -> TaskImageOptions {
    let mut task = TaskImageOptions::new(c.image.clone());
    task.container_name = CONTAINER_NAME.to_owned();
    task.container_port = port.as_integer();
    task.environment = c.environment;
    task.log_group = Some(logs);
    task.stream_prefix = Some("service".to_owned());
    task.user = c.user;
    task.writable_paths = c.writable_paths;
    task
}

/// The load-balanced samples' `loadbalancer_type` input. Deviation (see their module documentation): application
/// load balancers only.
pub fn loadbalancer_type_input(svc: &mut ServiceTemplate) -> Input<Instance, String> {
    svc.instance_input(
        InputDef::string("loadbalancer_type")
            .title("Load Balancer Type")
            .description("Type of loadbalancer to front your service")
            .enum_values(["application"])
            .default("application"),
    )
}
