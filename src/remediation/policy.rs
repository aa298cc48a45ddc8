//! Who must approve a remediation. Rules are tried in order; the first whose `when` matches
//! decides. With no match, one approver other than the requester is needed.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::model::Severity;

/// Conditions of a rule; every field given must match (fields left out match anything).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct When {
    #[serde(default)]
    pub severity: Option<Vec<Severity>>,
    #[serde(default)]
    pub destructive: Option<bool>,
    #[serde(default)]
    pub accounts: Option<Vec<String>>,
    #[serde(default)]
    pub regions: Option<Vec<String>>,
    /// Control ids; `S3.*` matches a prefix.
    #[serde(default)]
    pub controls: Option<Vec<String>>,
    /// Resource tags that must all be present with these values.
    #[serde(default)]
    pub tags: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    #[serde(default)]
    pub when: When,
    /// Distinct approvers required; the requester never counts.
    pub approvals: u32,
    /// The approver must type the resource name to confirm.
    #[serde(default)]
    pub confirm_word: bool,
}

/// What a proposed item is, as far as the policy is concerned.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    pub severity: Severity,
    pub destructive: bool,
    pub account: &'a str,
    pub region: &'a str,
    pub control: &'a str,
    pub tags: &'a [(String, String)],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requirement {
    pub approvals: u32,
    pub confirm_word: bool,
    /// Index of the rule that decided, None for the default.
    pub rule: Option<usize>,
}

impl When {
    pub fn matches(&self, f: &Facts) -> bool {
        let list =
            |l: &Option<Vec<String>>, v: &str| l.as_ref().is_none_or(|l| l.iter().any(|x| x == v));
        self.severity
            .as_ref()
            .is_none_or(|s| s.contains(&f.severity))
            && self.destructive.is_none_or(|d| d == f.destructive)
            && list(&self.accounts, f.account)
            && list(&self.regions, f.region)
            && self.controls.as_ref().is_none_or(|cs| {
                cs.iter().any(|c| match c.strip_suffix('*') {
                    Some(prefix) => f.control.starts_with(prefix),
                    None => c == f.control,
                })
            })
            && self.tags.as_ref().is_none_or(|t| {
                t.iter()
                    .all(|(k, v)| f.tags.iter().any(|(tk, tv)| tk == k && tv == v))
            })
    }
}

pub fn decide(rules: &[Rule], facts: &Facts) -> Requirement {
    for (i, r) in rules.iter().enumerate() {
        if r.when.matches(facts) {
            return Requirement {
                approvals: r.approvals.max(1),
                confirm_word: r.confirm_word,
                rule: Some(i),
            };
        }
    }
    Requirement {
        approvals: 1,
        confirm_word: false,
        rule: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Vec<Rule> {
        toml::from_str::<BTreeMap<String, Vec<Rule>>>(
            r#"
[[policy]]
when = { severity = ["CRITICAL", "HIGH"] }
approvals = 2
[[policy]]
when = { destructive = true }
approvals = 1
confirm_word = true
[[policy]]
when = { controls = ["S3.*"], tags = { env = "prod" }, accounts = ["111111111111"] }
approvals = 3
"#,
        )
        .unwrap()
        .remove("policy")
        .unwrap()
    }

    fn facts<'a>(
        severity: Severity,
        destructive: bool,
        control: &'a str,
        tags: &'a [(String, String)],
    ) -> Facts<'a> {
        Facts {
            severity,
            destructive,
            account: "111111111111",
            region: "eu-west-1",
            control,
            tags,
        }
    }

    #[test]
    fn first_matching_rule_wins() {
        let r = rules();
        assert_eq!(
            decide(&r, &facts(Severity::Critical, true, "EC2.4", &[])),
            Requirement {
                approvals: 2,
                confirm_word: false,
                rule: Some(0)
            }
        );
        assert_eq!(
            decide(&r, &facts(Severity::Medium, true, "EC2.4", &[])),
            Requirement {
                approvals: 1,
                confirm_word: true,
                rule: Some(1)
            }
        );
        let prod = [("env".to_string(), "prod".to_string())];
        assert_eq!(
            decide(&r, &facts(Severity::Low, false, "S3.8", &prod)).approvals,
            3
        );
        assert_eq!(
            decide(&r, &facts(Severity::Low, false, "S3.8", &[])).rule,
            None,
            "tag missing"
        );
        assert_eq!(
            decide(&r, &facts(Severity::Low, false, "EC2.2", &prod)),
            Requirement {
                approvals: 1,
                confirm_word: false,
                rule: None
            }
        );
    }

    #[test]
    fn zero_approvals_is_raised_to_one() {
        let r = vec![Rule {
            when: When::default(),
            approvals: 0,
            confirm_word: false,
        }];
        assert_eq!(
            decide(&r, &facts(Severity::Low, false, "x", &[])).approvals,
            1
        );
    }
}
