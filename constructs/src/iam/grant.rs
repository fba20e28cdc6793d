//! [`Grantee`] and [`grant`]: how constructs grant permissions to each other.

use crate::stack::Stack;

use super::*;

/// Something permissions can be granted to (a role).
pub trait Grantee {
    /// Add `stmt` to the principal's identity policy in `stack` (the consumer's template). Returns false when
    /// that is impossible (an imported principal); the caller then records a warning.
    fn add_to_principal_policy(&mut self, stack: &mut Stack, stmt: PolicyStatement) -> bool;

    /// A short description for messages.
    fn grantee_description(&self) -> String {
        "the grantee".to_owned()
    }

    /// True when the principal's permissions are deliberately managed where it is defined (see
    /// [`Role::from_arn_granted_elsewhere`]): grants that cannot be added here are then not warned about.
    fn granted_elsewhere(&self) -> bool {
        false
    }
}

/// Grant `stmt` to `grantee`; when the grantee cannot take it (imported), a warning is recorded at `path`
/// (the granting construct's path below the stack).
pub fn grant(stack: &mut Stack, path: &str, grantee: &mut dyn Grantee, stmt: PolicyStatement) -> bool {
    let actions = stmt.actions.join(", ");
    let ok = grantee.add_to_principal_policy(stack, stmt);
    if !ok && !grantee.granted_elsewhere() {
        let who = grantee.grantee_description();
        stack.warning(
            path,
            format!("could not add a policy for {actions} to {who} (imported); grant these permissions outside this template"),
        );
    }
    ok
}
