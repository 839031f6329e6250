//! What a member may do: their role's scopes plus single grants; and what a
//! PAT acting for them may do — never more than the member, whatever the
//! token was minted with (a demotion takes effect on the next request).

use switchyard_api::{Role, Scope};

/// A member's scopes: the role's defaults and the grants, sorted, each once.
pub fn member_scopes(role: Role, grants: &[Scope]) -> Vec<Scope> {
    let mut scopes: Vec<Scope> = role.default_scopes().iter().chain(grants).copied().collect();
    scopes.sort();
    scopes.dedup();
    scopes
}

/// A token's scopes cut to its member's: `admin` on the token means "whatever
/// the member may"; any other scope stays only if the member holds it.
pub fn effective_scopes(token: &[Scope], member: &[Scope]) -> Vec<Scope> {
    let mut scopes: Vec<Scope> = if token.contains(&Scope::Admin) {
        member.to_vec()
    } else {
        token.iter().copied().filter(|s| s.granted_by(member)).collect()
    };
    scopes.sort();
    scopes.dedup();
    scopes
}

#[cfg(test)]
mod tests {
    use super::*;
    use Scope::*;

    #[test]
    fn a_token_never_carries_more_than_its_member() {
        let viewer = member_scopes(Role::Viewer, &[]);
        assert!(!ApprovalsWrite.granted_by(&viewer));
        assert_eq!(effective_scopes(&[Admin], &viewer), viewer, "an admin token of a viewer is a viewer");
        assert_eq!(effective_scopes(&[LanesRead, LanesWrite], &viewer), [LanesRead]);
        let granted = member_scopes(Role::Viewer, &[ApprovalsWrite]);
        assert_eq!(effective_scopes(&[ApprovalsWrite, TokensWrite], &granted), [ApprovalsWrite]);
        let owner = member_scopes(Role::Owner, &[]);
        assert_eq!(effective_scopes(&[Admin], &owner), [Admin]);
        assert_eq!(effective_scopes(&[LanesRead, TokensWrite], &owner), [LanesRead, TokensWrite]);
    }
}
