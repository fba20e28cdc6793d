//! L2 constructs for IAM: policy statements and documents, principals, roles with a default policy, and the
//! [`Grantee`] trait through which other constructs grant permissions.
//!
//! Grants create their policy in the consumer's template (the grantee's stack), never in the producer's.
//! Statements are validated when added to a role: `Action: "*"` is always rejected, and `Resource: "*"` only
//! passes for actions without resource-level permissions ([`WILDCARD_RESOURCE_ACTIONS`]).

mod grant;
mod grant_outcome;
mod policy_document;
mod role;
mod statement;

pub use grant::*;
pub use grant_outcome::*;
pub use policy_document::*;
pub use role::*;
pub use statement::*;
