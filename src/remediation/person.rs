//! Who is a *person* for approvals. A remediation needs distinct people, not distinct
//! sessions: the caller chooses the session name of an ordinary assumed role
//! (`--role-session-name alice`, then `alice-2`), so two sessions of one role are one person
//! unless something outside the caller pins the name.
//!
//! - IAM user → the user ARN.
//! - IAM Identity Center permission-set role (`AWSReservedSSO_*`) → role + session name:
//!   Identity Center sets the session name to the user's name.
//! - A role listed in `trusted_session_roles` (SAML/OIDC federation or a trust policy with a
//!   `sts:RoleSessionName` condition) → role + session name.
//! - Any other assumed role → the role alone: every session of it is one person.
//! - Federated users (GetFederationToken) name themselves → one person per account.
//! - The root user → the account root.

use std::fmt;

/// How a person key was derived, which says whether sessions can be told apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    IamUser,
    IdentityCenter,
    TrustedRole,
    /// An assumed role whose session names the caller chooses: one person per role.
    Role,
    FederatedUser,
    Root,
    /// The demo's local identity.
    Local,
    /// Not an ARN we understand: the whole ARN is the person (and says so).
    Other,
}

impl Kind {
    /// Sessions of this identity are told apart by their names.
    pub fn distinguishes_sessions(self) -> bool {
        matches!(self, Kind::IdentityCenter | Kind::TrustedRole)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Equal keys are one person.
    pub key: String,
    pub kind: Kind,
}

impl fmt::Display for Person {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key)
    }
}

/// The parts of an STS caller ARN we need.
struct Arn<'a> {
    partition: &'a str,
    service: &'a str,
    account: &'a str,
    resource: &'a str,
}

fn parse(arn: &str) -> Option<Arn<'_>> {
    let mut p = arn.splitn(6, ':');
    if p.next()? != "arn" {
        return None;
    }
    let partition = p.next()?;
    let service = p.next()?;
    let _region = p.next()?;
    let account = p.next()?;
    let resource = p.next()?;
    Some(Arn {
        partition,
        service,
        account,
        resource,
    })
}

/// Does `pattern` (an IAM role ARN, `*` allowed as the account and as a trailing wildcard of
/// the name) name the role `name` in `account`? The STS ARN of a session carries no role
/// path, so only the pattern's last path segment is compared.
pub fn role_matches(pattern: &str, account: &str, name: &str) -> bool {
    let Some(p) = parse(pattern) else {
        return false;
    };
    let Some(role) = p.resource.strip_prefix("role/") else {
        return false;
    };
    let pattern_name = role.rsplit('/').next().unwrap_or(role);
    let account_ok = p.account == "*" || p.account == account;
    let name_ok = match pattern_name.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => pattern_name == name,
    };
    p.service == "iam" && account_ok && name_ok
}

/// Is `pattern` a usable `trusted_session_roles` entry? (For config validation.)
pub fn valid_role_pattern(pattern: &str) -> bool {
    parse(pattern).is_some_and(|p| {
        p.service == "iam"
            && (p.account == "*"
                || (p.account.len() == 12 && p.account.bytes().all(|b| b.is_ascii_digit())))
            && p.resource
                .strip_prefix("role/")
                .is_some_and(|n| !n.is_empty())
    })
}

/// The person behind an STS caller ARN.
pub fn person(caller_arn: &str, trusted_session_roles: &[String]) -> Person {
    let other = || Person {
        key: caller_arn.to_string(),
        kind: Kind::Other,
    };
    if let Some(user) = caller_arn.strip_prefix("local:") {
        return Person {
            key: format!("local:{user}"),
            kind: Kind::Local,
        };
    }
    let Some(a) = parse(caller_arn) else {
        return other();
    };
    match (a.service, a.resource.split_once('/')) {
        ("iam", Some(("user", _))) => Person {
            key: caller_arn.to_string(),
            kind: Kind::IamUser,
        },
        ("iam", None) if a.resource == "root" => Person {
            key: caller_arn.to_string(),
            kind: Kind::Root,
        },
        ("sts", Some(("assumed-role", rest))) => {
            let Some((role, session)) = rest.split_once('/') else {
                return other();
            };
            let role_arn = format!("arn:{}:iam::{}:role/{role}", a.partition, a.account);
            let by_session = role.starts_with("AWSReservedSSO_")
                || trusted_session_roles
                    .iter()
                    .any(|p| role_matches(p, a.account, role));
            if by_session {
                Person {
                    key: format!("{role_arn}/{session}"),
                    kind: if role.starts_with("AWSReservedSSO_") {
                        Kind::IdentityCenter
                    } else {
                        Kind::TrustedRole
                    },
                }
            } else {
                Person {
                    key: role_arn,
                    kind: Kind::Role,
                }
            }
        }
        ("sts", Some(("federated-user", _))) => Person {
            key: format!("arn:{}:sts::{}:federated-user/*", a.partition, a.account),
            kind: Kind::FederatedUser,
        },
        _ => other(),
    }
}

/// What the console says when sessions of this identity cannot be told apart, else None.
pub fn warning(caller_arn: &str, trusted_session_roles: &[String]) -> Option<String> {
    let p = person(caller_arn, trusted_session_roles);
    match p.kind {
        Kind::Role => Some(format!(
            "approvals: every session of role {} counts as one person (session names are chosen by the caller); \
             list the role in [remediation] trusted_session_roles only if its trust policy pins sts:RoleSessionName",
            p.key
        )),
        Kind::FederatedUser => Some(format!(
            "approvals: federated users name themselves, so all of account {} counts as one person",
            p.key.split(':').nth(4).unwrap_or("?")
        )),
        Kind::Other => Some(format!(
            "approvals: {caller_arn} is not an IAM user or role session; it counts as one person"
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SSO: &str = "arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_SecOps_0123456789abcdef/alice@example.com";

    #[test]
    fn sessions_of_an_ordinary_role_are_one_person() {
        let a = person("arn:aws:sts::111111111111:assumed-role/Analyst/alice", &[]);
        let b = person(
            "arn:aws:sts::111111111111:assumed-role/Analyst/alice-2",
            &[],
        );
        assert_eq!(a, b);
        assert_eq!(a.key, "arn:aws:iam::111111111111:role/Analyst");
        assert_eq!(a.kind, Kind::Role);
        assert!(warning("arn:aws:sts::111111111111:assumed-role/Analyst/alice", &[]).is_some());
    }

    #[test]
    fn identity_center_and_trusted_roles_count_each_session() {
        let bob = SSO.replace("alice@", "bob@");
        assert_ne!(person(SSO, &[]), person(&bob, &[]));
        assert_eq!(person(SSO, &[]).kind, Kind::IdentityCenter);
        assert!(warning(SSO, &[]).is_none());
        let trusted = vec!["arn:aws:iam::*:role/OktaSecOps".to_string()];
        let a = person(
            "arn:aws:sts::222222222222:assumed-role/OktaSecOps/alice",
            &trusted,
        );
        let b = person(
            "arn:aws:sts::222222222222:assumed-role/OktaSecOps/bob",
            &trusted,
        );
        assert_ne!(a, b);
        assert_eq!(a.kind, Kind::TrustedRole);
        // Another account's role of the same name only matches a wildcard account.
        let pinned = vec!["arn:aws:iam::111111111111:role/OktaSecOps".to_string()];
        assert_eq!(
            person(
                "arn:aws:sts::222222222222:assumed-role/OktaSecOps/alice",
                &pinned
            )
            .kind,
            Kind::Role
        );
        // Role paths in the pattern are ignored (STS ARNs carry none).
        let with_path = vec!["arn:aws:iam::111111111111:role/teams/sec/Analyst".to_string()];
        assert_eq!(
            person(
                "arn:aws:sts::111111111111:assumed-role/Analyst/x",
                &with_path
            )
            .kind,
            Kind::TrustedRole
        );
        let prefix = vec!["arn:aws:iam::*:role/Sec*".to_string()];
        assert_eq!(
            person("arn:aws:sts::1:assumed-role/SecOps/x", &prefix).kind,
            Kind::TrustedRole
        );
    }

    #[test]
    fn users_root_federated_local_and_garbage() {
        let u = person("arn:aws:iam::111111111111:user/ops/carol", &[]);
        assert_eq!(
            (u.key.as_str(), u.kind),
            ("arn:aws:iam::111111111111:user/ops/carol", Kind::IamUser)
        );
        assert_eq!(
            person("arn:aws:iam::111111111111:root", &[]).kind,
            Kind::Root
        );
        let f1 = person("arn:aws:sts::111111111111:federated-user/alice", &[]);
        let f2 = person("arn:aws:sts::111111111111:federated-user/bob", &[]);
        assert_eq!(f1, f2);
        assert_eq!(person("local:bob", &[]).kind, Kind::Local);
        assert_ne!(person("local:bob", &[]), person("local:alice", &[]));
        assert_eq!(person("nonsense", &[]).kind, Kind::Other);
        assert_eq!(
            person("arn:aws:sts::1:assumed-role/NoSession", &[]).kind,
            Kind::Other
        );
    }

    #[test]
    fn pattern_validation() {
        assert!(valid_role_pattern("arn:aws:iam::123456789012:role/Analyst"));
        assert!(valid_role_pattern("arn:aws:iam::*:role/OktaSecOps"));
        assert!(!valid_role_pattern("arn:aws:iam::12:role/X"));
        assert!(!valid_role_pattern(
            "arn:aws:sts::123456789012:assumed-role/X/y"
        ));
        assert!(!valid_role_pattern("Analyst"));
    }
}
