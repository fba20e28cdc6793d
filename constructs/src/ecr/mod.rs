//! L2 construct for ECR: a private repository with immutable tags, scan on push, KMS encryption and a
//! lifecycle policy (keep the last N images) by default.

mod repository;

pub use repository::*;

/// Actions to pull images from a repository (plus `ecr:GetAuthorizationToken` on `*`).
pub const PULL_ACTIONS: &[&str] = &[
    "ecr:BatchCheckLayerAvailability",
    "ecr:GetDownloadUrlForLayer",
    "ecr:BatchGetImage",
];

/// Additional actions to push images.
pub const PUSH_ACTIONS: &[&str] = &[
    "ecr:CompleteLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
];
