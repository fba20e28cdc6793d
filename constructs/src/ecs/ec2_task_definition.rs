//! [`Ec2TaskDefinition`]: a task definition for the EC2 container instances of a cluster.

use crate::iam::Role;
use crate::stack::Scope;
use crate::value::Value;

use super::*;

/// Properties of [`Ec2TaskDefinition::new`].
#[derive(Clone, Debug)]
pub struct Ec2TaskDefinitionProps {
    /// CPU units reserved for the task (128 … 196608; default 256), or a late-bound value such as
    /// [`TaskSizeMapping::cpu`]. Unlike Fargate, any combination with memory is allowed.
    pub cpu: Value<i64>,
    /// Memory in MiB reserved for the task (at least 128; default 512).
    pub memory_mib: Value<i64>,
    pub family: Option<Value<String>>,
    /// Role ECS uses to pull images, write logs and read secrets. `None` creates one with exactly what the
    /// containers need; an imported role (e.g. an AWS Proton environment output) must already allow it.
    pub execution_role: Option<Role>,
    /// Role the containers' code runs as. `None` creates a separate role without permissions.
    pub task_role: Option<Role>,
}

impl Default for Ec2TaskDefinitionProps {
    fn default() -> Self {
        Ec2TaskDefinitionProps {
            cpu: Value::from(256),
            memory_mib: Value::from(512),
            family: None,
            execution_role: None,
            task_role: None,
        }
    }
}

/// Builds EC2 task definitions (CDK's `Ec2TaskDefinition`): [`Ec2TaskDefinition::new`] returns a
/// [`TaskDefinition`] with compatibility [`Compatibility::Ec2`].
#[derive(Clone, Copy, Debug)]
pub struct Ec2TaskDefinition;

impl Ec2TaskDefinition {
    /// An EC2 task definition in `awsvpc` mode: every task gets its own network interface and security
    /// groups, like a Fargate task, instead of sharing the instance's (so a service's security group rules
    /// stay per service). Containers are added with [`TaskDefinition::add_container`], with the same secure
    /// defaults as on Fargate.
    ///
    /// ```
    /// use proton_synth_constructs::ecs::{ContainerImage, ContainerProps, Ec2TaskDefinition, Ec2TaskDefinitionProps};
    /// use proton_synth_constructs::{Mode, Stack};
    ///
    /// let mut stack = Stack::new("App");
    /// let task = Ec2TaskDefinition::new(&mut stack.root(), "Task", Ec2TaskDefinitionProps::default());
    /// let image = ContainerImage::registry("public.ecr.aws/nginx/nginx:1.27");
    /// task.add_container(&mut stack, "web", ContainerProps::new(image));
    /// stack.synth(Mode::Plain).expect("a valid template");
    /// ```
    #[allow(clippy::new_ret_no_self)]
    pub fn new(scope: &mut Scope, id: &str, props: Ec2TaskDefinitionProps) -> TaskDefinition {
        let mut child = scope.child(id);
        if let Some(cpu) = literal_int(&props.cpu) {
            if !(128..=196_608).contains(&cpu) {
                child.error(format!(
                    "cpu {cpu} is not in the range 128-196608 units of an EC2 task definition"
                ));
            }
        }
        if let Some(mem) = literal_int(&props.memory_mib) {
            if mem < 128 {
                child.error(format!(
                    "memory {mem} MiB is below the 128 MiB an EC2 task definition needs"
                ));
            }
        }
        let common = TaskCommon {
            cpu: props.cpu,
            memory_mib: props.memory_mib,
            family: props.family,
            execution_role: props.execution_role,
            task_role: props.task_role,
        };
        build_task(child, common, Compatibility::Ec2, |_| {})
    }
}
