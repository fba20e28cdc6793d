//! [`Cluster`]: an ECS cluster with Container Insights, created here or imported by name.

use crate::cfn;
use crate::nag::{self, Tool};
use crate::stack::{Construct, Handle, NodeId, Origin, Scope};
use crate::value::{fns, Value};

/// Container Insights setting of a cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ContainerInsights {
    #[default]
    Enabled,
    /// Container Insights with enhanced observability.
    Enhanced,
    /// Off: records a suppression of CKV_AWS_65 / CT.ECS.PR.2 with the reason.
    Disabled,
}

impl ContainerInsights {
    pub fn as_str(self) -> &'static str {
        match self {
            ContainerInsights::Enabled => "enabled",
            ContainerInsights::Enhanced => "enhanced",
            ContainerInsights::Disabled => "disabled",
        }
    }
}

/// Properties of [`Cluster`].
#[derive(Clone, Debug, Default)]
pub struct ClusterProps {
    /// A fixed cluster name (default: generated).
    pub name: Option<Value<String>>,
    pub container_insights: ContainerInsights,
}

/// An ECS cluster, created here or imported by name (e.g. an AWS Proton environment output).
#[derive(Clone, Debug)]
pub struct Cluster {
    pub(super) origin: Origin<cfn::ecs::Cluster>,
    pub(super) path: String,
    pub(super) name: Value<String>,
    pub(super) arn: Value<String>,
}

impl Cluster {
    pub fn new(scope: &mut Scope, id: &str, props: ClusterProps) -> Cluster {
        let mut child = scope.child(id);
        if let Some(n) = props.name.as_ref().and_then(Value::as_literal) {
            if n.is_empty() || n.len() > 255 || !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                child.error(format!(
                    "cluster name {n:?} must be 1-255 letters, digits, hyphens and underscores"
                ));
            }
        }
        let mut cluster = cfn::ecs::Cluster::new();
        cluster.cluster_name = props.name;
        cluster.cluster_settings = Some(vec![cfn::ecs::cluster::ClusterSettings {
            name: Some("containerInsights".into()),
            value: Some(props.container_insights.as_str().into()),
        }]);
        let h = child.add("Resource", cluster);
        if props.container_insights == ContainerInsights::Disabled {
            nag::suppress_all(
                child.stack().resource_mut(&h),
                &[(Tool::Checkov, "CKV_AWS_65"), (Tool::Guard, "CT.ECS.PR.2")],
                "Container Insights turned off on purpose (ClusterProps.container_insights = Disabled)",
            );
        }
        Cluster {
            origin: Origin::Created {
                node: child.node_id(),
                resource: h,
            },
            path: child.path(),
            name: h.r#ref(),
            arn: h.attr_arn(),
        }
    }

    /// A cluster defined elsewhere, by name.
    pub fn from_name(name: Value<String>) -> Cluster {
        let arn = fns::sub(
            "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:cluster/${Name}",
            [("Name", name.clone().into_expr())],
        );
        Cluster {
            origin: Origin::Imported,
            path: String::new(),
            name,
            arn,
        }
    }

    /// The cluster name (`Ref`).
    pub fn name(&self) -> Value<String> {
        self.name.clone()
    }

    pub fn arn(&self) -> Value<String> {
        self.arn.clone()
    }

    pub fn handle(&self) -> Option<Handle<cfn::ecs::Cluster>> {
        self.origin.resource()
    }
}

impl Construct for Cluster {
    fn node_id(&self) -> Option<NodeId> {
        self.origin.node()
    }
    fn path(&self) -> &str {
        &self.path
    }
}
