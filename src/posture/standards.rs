//! Security Hub standards as findings name them (`Compliance.AssociatedStandards[].StandardsId`),
//! and the other clouds' benchmarks their sources put in `Finding.standards`.

/// (short key, StandardsId fragment, display name)
pub const KNOWN: &[(&str, &str, &str)] = &[
    (
        "fsbp",
        "standards/aws-foundational-security-best-practices/v/1.0.0",
        "AWS Foundational Security Best Practices v1.0.0",
    ),
    (
        "cis-1.2",
        "ruleset/cis-aws-foundations-benchmark/v/1.2.0",
        "CIS AWS Foundations Benchmark v1.2.0",
    ),
    (
        "cis-1.4",
        "standards/cis-aws-foundations-benchmark/v/1.4.0",
        "CIS AWS Foundations Benchmark v1.4.0",
    ),
    (
        "cis-3.0",
        "standards/cis-aws-foundations-benchmark/v/3.0.0",
        "CIS AWS Foundations Benchmark v3.0.0",
    ),
    (
        "cis-5.0",
        "standards/cis-aws-foundations-benchmark/v/5.0.0",
        "CIS AWS Foundations Benchmark v5.0.0",
    ),
    ("pci-3.2.1", "standards/pci-dss/v/3.2.1", "PCI DSS v3.2.1"),
    ("pci-4.0", "standards/pci-dss/v/4.0.1", "PCI DSS v4.0.1"),
    (
        "nist-800-53",
        "standards/nist-800-53/v/5.0.0",
        "NIST SP 800-53 Rev. 5",
    ),
    (
        "nist-800-171",
        "standards/nist-800-171/v/2.0.0",
        "NIST SP 800-171 Rev. 2",
    ),
    (
        "tagging",
        "standards/aws-resource-tagging-standard/v/1.0.0",
        "AWS Resource Tagging Standard v1.0.0",
    ),
    // Defender for Cloud's default initiative: its recommendations (assessments) carry this.
    ("mcsb", "azure/mcsb", "Microsoft cloud security benchmark"),
];

/// Short key for a StandardsId (or an ARN containing one); unknown ids keep their own text.
pub fn key(standards_id: &str) -> String {
    KNOWN
        .iter()
        .find(|(_, frag, _)| standards_id.ends_with(frag))
        .map_or_else(
            || {
                standards_id
                    .rsplit("standards/")
                    .next()
                    .unwrap_or(standards_id)
                    .to_string()
            },
            |(k, _, _)| k.to_string(),
        )
}

pub fn name(key: &str) -> String {
    KNOWN
        .iter()
        .find(|(k, _, _)| *k == key)
        .map_or_else(|| key.to_string(), |(_, _, n)| n.to_string())
}

/// Accepts `fsbp`, `cis-1.4`, `pci-4.0`, `pci-4.0.1`, `nist-800-53`, a fragment or a full name.
pub fn parse(s: &str) -> Option<&'static str> {
    let l = s.trim().to_ascii_lowercase();
    KNOWN
        .iter()
        .find(|(k, frag, name)| {
            *k == l
                || frag.ends_with(&l)
                || name.to_ascii_lowercase() == l
                || (l == "pci-4.0.1" && *k == "pci-4.0")
        })
        .map(|(k, _, _)| *k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_names() {
        assert_eq!(
            key("standards/aws-foundational-security-best-practices/v/1.0.0"),
            "fsbp"
        );
        assert_eq!(
            key("arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0"),
            "cis-1.2"
        );
        assert_eq!(key("standards/acme/v/9"), "acme/v/9");
        assert_eq!(parse("PCI-4.0.1"), Some("pci-4.0"));
        assert_eq!(parse("nist-800-53"), Some("nist-800-53"));
        assert_eq!(parse("nope"), None);
        assert_eq!(name("cis-1.4"), "CIS AWS Foundations Benchmark v1.4.0");
        assert_eq!(key(crate::sources::azure::normalize::MCSB), "mcsb");
        assert_eq!(name("mcsb"), "Microsoft cloud security benchmark");
    }
}
