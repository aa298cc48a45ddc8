//! AWS region names, as the SDK's own partition data lists them (`aws-sdk-securityhub`
//! 1.116.0, endpoint_lib: partitions version 1.1). `check-config` refuses a region that is
//! not here, with a "did you mean".

/// (region, partition, description)
pub const REGIONS: &[(&str, &str, &str)] = &[
    ("af-south-1", "aws", "Africa (Cape Town)"),
    ("ap-east-1", "aws", "Asia Pacific (Hong Kong)"),
    ("ap-east-2", "aws", "Asia Pacific (Taipei)"),
    ("ap-northeast-1", "aws", "Asia Pacific (Tokyo)"),
    ("ap-northeast-2", "aws", "Asia Pacific (Seoul)"),
    ("ap-northeast-3", "aws", "Asia Pacific (Osaka)"),
    ("ap-south-1", "aws", "Asia Pacific (Mumbai)"),
    ("ap-south-2", "aws", "Asia Pacific (Hyderabad)"),
    ("ap-southeast-1", "aws", "Asia Pacific (Singapore)"),
    ("ap-southeast-2", "aws", "Asia Pacific (Sydney)"),
    ("ap-southeast-3", "aws", "Asia Pacific (Jakarta)"),
    ("ap-southeast-4", "aws", "Asia Pacific (Melbourne)"),
    ("ap-southeast-5", "aws", "Asia Pacific (Malaysia)"),
    ("ap-southeast-6", "aws", "Asia Pacific (New Zealand)"),
    ("ap-southeast-7", "aws", "Asia Pacific (Thailand)"),
    ("ca-central-1", "aws", "Canada (Central)"),
    ("ca-west-1", "aws", "Canada West (Calgary)"),
    ("eu-central-1", "aws", "Europe (Frankfurt)"),
    ("eu-central-2", "aws", "Europe (Zurich)"),
    ("eu-north-1", "aws", "Europe (Stockholm)"),
    ("eu-south-1", "aws", "Europe (Milan)"),
    ("eu-south-2", "aws", "Europe (Spain)"),
    ("eu-west-1", "aws", "Europe (Ireland)"),
    ("eu-west-2", "aws", "Europe (London)"),
    ("eu-west-3", "aws", "Europe (Paris)"),
    ("il-central-1", "aws", "Israel (Tel Aviv)"),
    ("me-central-1", "aws", "Middle East (UAE)"),
    ("me-south-1", "aws", "Middle East (Bahrain)"),
    ("mx-central-1", "aws", "Mexico (Central)"),
    ("sa-east-1", "aws", "South America (Sao Paulo)"),
    ("us-east-1", "aws", "US East (N. Virginia)"),
    ("us-east-2", "aws", "US East (Ohio)"),
    ("us-west-1", "aws", "US West (N. California)"),
    ("us-west-2", "aws", "US West (Oregon)"),
    ("cn-north-1", "aws-cn", "China (Beijing)"),
    ("cn-northwest-1", "aws-cn", "China (Ningxia)"),
    (
        "eusc-de-east-1",
        "aws-eusc",
        "AWS European Sovereign Cloud (Germany)",
    ),
    ("us-iso-east-1", "aws-iso", "US ISO East"),
    ("us-iso-west-1", "aws-iso", "US ISO WEST"),
    ("us-isob-east-1", "aws-iso-b", "US ISOB East (Ohio)"),
    ("us-isob-west-1", "aws-iso-b", "US ISOB West"),
    ("eu-isoe-west-1", "aws-iso-e", "EU ISOE West"),
    ("us-isof-east-1", "aws-iso-f", "US ISOF EAST"),
    ("us-isof-south-1", "aws-iso-f", "US ISOF SOUTH"),
    ("us-gov-east-1", "aws-us-gov", "AWS GovCloud (US-East)"),
    ("us-gov-west-1", "aws-us-gov", "AWS GovCloud (US-West)"),
];

pub fn is_region(name: &str) -> bool {
    REGIONS.iter().any(|(r, _, _)| *r == name)
}

/// The closest known region, for "did you mean".
pub fn closest(name: &str) -> Option<&'static str> {
    REGIONS
        .iter()
        .map(|(r, _, _)| (crate::suggest::edit_distance(name, r), *r))
        .min()
        .filter(|(d, _)| *d <= 3)
        .map(|(_, r)| r)
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_regions_and_typos() {
        assert!(super::is_region("eu-west-1") && super::is_region("cn-north-1"));
        assert!(!super::is_region("eu-wset-1") && !super::is_region("us-east-99"));
        assert_eq!(super::closest("eu-wset-1"), Some("eu-west-1"));
    }
}
