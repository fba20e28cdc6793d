//! What the catalog's queue workers share (`worker_fargate_svc.rs`, `worker_ecs_ec2_svc.rs`; included by
//! `backend_fargate_svc.rs`): the queue-processing service, its subscription to the environment's topic and
//! its outputs.

use proton_synth::constructs::ecs::{ContainerImage, Logging};
use proton_synth::constructs::logs::LogGroup;
use proton_synth::constructs::nag::{self, Tool};
use proton_synth::constructs::patterns::{Compute, QueueProcessingService, QueueProcessingServiceProps, QueueSource};
use proton_synth::constructs::sns::{SqsSubscription, Topic};
use proton_synth::constructs::sqs::{DeadLetterQueue, QueueProps};
use proton_synth::constructs::{Scope, Stack, Value};
use proton_synth::proton::{Input, Instance, ServiceTemplate};

use super::lb_fargate_svc::CONTAINER_NAME;
use super::{FargateEnv, Names, ROOT_USER_REASON};

/// The queue-processing service `Service` on `compute`: the `image` input's container ([`CONTAINER_NAME`],
/// `QUEUE_REGION` and `QUEUE_URI` in its environment, logs to `logs`), its own queue with a dead-letter queue
/// (3 receives), the environment's execution role, `desired_count` tasks.
pub fn queue_worker(
    root: &mut Scope,
    env: &FargateEnv,
    names: &Names,
    compute: Compute,
    image: &Input<Instance, String>,
    logs: LogGroup,
    desired_count: &Input<Instance, f64>,
) -> QueueProcessingService {
    let mut props = QueueProcessingServiceProps::new(
        env.cluster.clone(),
        compute,
        env.vpc_id.clone(),
        ContainerImage::registry(image.value()),
    );
    props.container_name = CONTAINER_NAME.to_owned();
    props
        .container
        .environment
        .insert("QUEUE_REGION".to_owned(), Value::region());
    // The default image (nginx) writes its pid file, cache and temp files here, and starts as root.
    props.container.writable_paths = vec!["/tmp".to_owned(), "/var/cache/nginx".to_owned(), "/var/run".to_owned()];
    props.container.user = None;
    props.container.logging = Logging::AwsLogs {
        log_group: Some(logs),
        stream_prefix: Some("service".to_owned()),
    };
    props.queue = QueueSource::Create(QueueProps {
        dead_letter_queue: DeadLetterQueue::Create { max_receive_count: 3 },
        ..QueueProps::default()
    });
    props.queue_url_variable = "QUEUE_URI".to_owned();
    props.family = Some(names.qualified());
    props.execution_role = Some(env.execution_role.clone());
    props.desired_count = desired_count.as_integer();
    props.service_name = Some(names.qualified());
    QueueProcessingService::new(root, "Service", props)
}

/// The reason the worker's container runs as its image's user, and the subscription of its queue to the
/// environment's topic (the queue policy lets that topic only send).
pub fn subscribe(stack: &mut Stack, worker: &QueueProcessingService, env: &FargateEnv) {
    nag::suppress(
        stack.resource_mut(&worker.task_definition().handle()),
        Tool::Guard,
        "CT.ECS.PR.3",
        ROOT_USER_REASON,
    );
    Topic::from_arn(env.topic_arn.clone()).add_subscription(
        stack,
        "pingSNSTopicSubscription",
        SqsSubscription::new(worker.queue().clone()),
    );
}

/// The samples' outputs: the queues (dead-letter queue first), the ECS service's name and the task role.
pub fn worker_outputs(svc: &mut ServiceTemplate, worker: &QueueProcessingService) {
    let queue = worker.queue().clone();
    // Created with the queue (`DeadLetterQueue::Create` in `queue_worker`).
    if let Some(dlq) = worker.dead_letter_queue().cloned() {
        svc.instance_output("ServiceSQSDeadLetterQueue", dlq.name());
        svc.instance_output("ServiceSQSDeadLetterQueueArn", dlq.arn());
    }
    svc.instance_output("ServiceSQSQueue", queue.name());
    svc.instance_output("ServiceSQSQueueArn", queue.arn());
    svc.instance_output("ServiceName", worker.service().name());
    svc.instance_output("TaskRoleArn", worker.task_definition().task_role().arn());
}
