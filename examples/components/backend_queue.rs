//! A directly defined AWS Proton component for `backend-fargate-svc` instances (`backend_fargate_svc.rs`
//! allows it): an SQS work queue (SSE-SQS, TLS-only queue policy, a dead-letter queue after 5 receives) and a
//! managed policy that may send, receive and delete its messages and nothing else. The service reads its
//! outputs as `service_instance.components.default.outputs.*`: the container gets `QUEUE_URL`, the task role
//! the policy (both only when a component is attached; without one `QUEUE_URL` is `none`).
//!
//! Proton took a component as a manifest and one IaC file: `synth` writes them to
//! `proton/components/backend-queue/`, with the plain template
//! `proton/cloudformation/backend-queue.component.template.json`:
//!
//! ```sh
//! aws proton create-component --name orders-queue --service-name backend --service-instance-name instance-1 \
//!   --manifest file://out/proton/components/backend-queue/manifest.yaml \
//!   --template-file file://out/proton/components/backend-queue/cloudformation.yaml
//! ```

use proton_synth::constructs::cfn;
use proton_synth::constructs::iam::{PolicyDocument, PolicyStatement};
use proton_synth::constructs::sqs::{Queue, QueueProps};
use proton_synth::constructs::{fns, Value};
use proton_synth::proton::{ComponentTemplate, EnvironmentInterface};

/// The component template's name.
pub const COMPONENT_NAME: &str = "backend-queue";
/// Output: the queue's URL (the container's `QUEUE_URL`).
pub const QUEUE_URL: &str = "QueueUrl";
/// Output: the queue's ARN.
pub const QUEUE_ARN: &str = "QueueArn";
/// Output: the name of the managed policy the service attaches to its task role (the service builds its ARN
/// in its own account and partition: components deploy to the instance's environment account).
pub const QUEUE_POLICY_NAME: &str = "QueuePolicyName";

/// What a consumer and producer of the queue may do.
const QUEUE_ACTIONS: [&str; 5] = [
    "sqs:SendMessage",
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueAttributes",
];

/// The component template, for instances in environments of the given template.
pub fn component(env: &EnvironmentInterface) -> ComponentTemplate {
    let mut c = ComponentTemplate::new(COMPONENT_NAME, std::slice::from_ref(env)).description(
        "A work queue with a dead-letter queue for one backend-fargate-svc instance (AWS Proton component)",
    );
    let name = c.component_name();
    let instance = c.service_instance_name();
    let mut root = c.root();
    let queue = Queue::new(&mut root, "Queue", QueueProps::default());
    let document = PolicyDocument::new(vec![PolicyStatement::allow(&QUEUE_ACTIONS, [queue.arn()])]);
    let mut policy = cfn::iam::ManagedPolicy::new(document.to_value());
    // IAM names are global and component names unique per Region: `proton-<component>-<Region>`.
    let policy_name = fns::join("-", [Value::from("proton"), name.clone(), Value::region()]);
    policy.managed_policy_name = Some(policy_name.clone());
    policy.description = Some(fns::join(
        "",
        [
            Value::from("Use of the work queue of component "),
            name,
            Value::from(" (service instance "),
            instance,
            Value::from(")"),
        ],
    ));
    root.add("AccessPolicy", policy);
    c.output(QUEUE_URL, queue.url());
    c.output(QUEUE_ARN, queue.arn());
    c.output(QUEUE_POLICY_NAME, policy_name);
    c
}
