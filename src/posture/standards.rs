//! Security Hub standards as findings name them (`Compliance.AssociatedStandards[].StandardsId`).

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
];

/// Short key for a StandardsId (or an ARN containing one); unknown ids keep their own text.
/// Other clouds' standards (`gcp/cis/2.0`, `azure/mcsb`) become `gcp-cis-2.0`, `azure-mcsb`.
pub fn key(standards_id: &str) -> String {
    if let Some(rest) = standards_id
        .strip_prefix("gcp/")
        .or_else(|| standards_id.strip_prefix("azure/"))
    {
        let cloud = &standards_id[..standards_id.len() - rest.len() - 1];
        return format!("{cloud}-{}", rest.replace('/', "-")).to_ascii_lowercase();
    }
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

/// What kind of standard a key names, for reports.
pub fn kind(key: &str) -> &'static str {
    if key.starts_with("gcp-") {
        "Google Cloud compliance standard (Security Command Center findings' compliances)"
    } else if key.starts_with("azure-") {
        "Microsoft Defender for Cloud benchmark (recommendations)"
    } else {
        "AWS Security Hub standard"
    }
}

pub fn name(key: &str) -> String {
    if let Some(n) = other_cloud_name(key) {
        return n;
    }
    KNOWN
        .iter()
        .find(|(k, _, _)| *k == key)
        .map_or_else(|| key.to_string(), |(_, _, n)| n.to_string())
}

/// GCP compliance standards (SCC `compliances[].standard` + version) and Azure's benchmark,
/// named with their cloud so they read apart from the AWS ones.
fn other_cloud_name(key: &str) -> Option<String> {
    if key == "azure-mcsb" {
        return Some(
            "Azure · Microsoft cloud security benchmark (Defender recommendations)".into(),
        );
    }
    let rest = key.strip_prefix("gcp-")?;
    let (std, version) = rest.split_once('-').unwrap_or((rest, ""));
    let v = if version.is_empty() {
        String::new()
    } else {
        format!(" v{version}")
    };
    let name = match std {
        "cis" => format!("CIS Google Cloud Platform Foundation Benchmark{v}"),
        "pci" | "pci_dss" => format!("PCI DSS{v}"),
        "nist" => format!("NIST SP 800-53{v}"),
        "iso" | "iso_27001" => format!("ISO/IEC 27001{v}"),
        "owasp" => format!("OWASP Top Ten{v}"),
        other => format!("{}{v}", other.to_ascii_uppercase()),
    };
    Some(format!("GCP · {name}"))
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
        assert_eq!(key("gcp/cis/2.0"), "gcp-cis-2.0");
        assert_eq!(
            name("gcp-cis-2.0"),
            "GCP · CIS Google Cloud Platform Foundation Benchmark v2.0"
        );
        assert_eq!(key("azure/mcsb"), "azure-mcsb");
        assert!(name("azure-mcsb").starts_with("Azure · "));
        assert_eq!(key(crate::sources::azure::normalize::MCSB), "azure-mcsb");
        assert!(kind("gcp-cis-2.0").starts_with("Google Cloud"));
        assert!(kind("azure-mcsb").starts_with("Microsoft Defender"));
        assert_eq!(kind("fsbp"), "AWS Security Hub standard");
    }
}
