//! What the demo fleet is made of: Security Hub controls and threat-detection findings.

#[rustfmt::skip]
mod rows {
const FSBP: &str = "standards/aws-foundational-security-best-practices/v/1.0.0";
pub const CIS14: &str = "standards/cis-aws-foundations-benchmark/v/1.4.0";
pub const PCI: &str = "standards/pci-dss/v/3.2.1";
pub const NIST: &str = "standards/nist-800-53/v/5.0.0";

/// (control, title, resource type, resource name stem, severity, standards)
type ControlRow = (&'static str, &'static str, &'static str, &'static str, &'static str, &'static [&'static str]);

pub const CONTROLS: &[ControlRow] = &[
    (
        "S3.1",
        "S3 general purpose buckets should have block public access settings enabled",
        "AwsAccount",
        "account",
        "MEDIUM",
        &[FSBP, CIS14, NIST],
    ),
    (
        "S3.2",
        "S3 general purpose buckets should block public read access",
        "AwsS3Bucket",
        "bucket",
        "CRITICAL",
        &[FSBP, PCI, NIST],
    ),
    (
        "S3.5",
        "S3 general purpose buckets should require requests to use SSL",
        "AwsS3Bucket",
        "bucket",
        "MEDIUM",
        &[FSBP, NIST],
    ),
    (
        "S3.8",
        "S3 general purpose buckets should block public access",
        "AwsS3Bucket",
        "bucket",
        "HIGH",
        &[FSBP, CIS14, NIST],
    ),
    (
        "S3.9",
        "S3 general purpose buckets should have server access logging enabled",
        "AwsS3Bucket",
        "bucket",
        "MEDIUM",
        &[FSBP, NIST],
    ),
    (
        "EC2.2",
        "VPC default security groups should not allow inbound or outbound traffic",
        "AwsEc2SecurityGroup",
        "sg",
        "HIGH",
        &[FSBP, CIS14, PCI, NIST],
    ),
    (
        "EC2.4",
        "Stopped EC2 instances should be removed after a specified time period",
        "AwsEc2Instance",
        "i",
        "MEDIUM",
        &[FSBP, NIST],
    ),
    (
        "EC2.7",
        "EBS default encryption should be enabled",
        "AwsAccount",
        "account",
        "MEDIUM",
        &[FSBP, CIS14, NIST],
    ),
    (
        "EC2.13",
        "Security groups should not allow ingress from 0.0.0.0/0 or ::/0 to port 22",
        "AwsEc2SecurityGroup",
        "sg",
        "HIGH",
        &[CIS14, PCI, NIST],
    ),
    (
        "EC2.19",
        "Security groups should not allow unrestricted access to ports with high risk",
        "AwsEc2SecurityGroup",
        "sg",
        "CRITICAL",
        &[FSBP, NIST],
    ),
    (
        "IAM.7",
        "Password policies for IAM users should have strong configurations",
        "AwsAccount",
        "account",
        "LOW",
        &[FSBP, NIST],
    ),
    (
        "IAM.8",
        "Unused IAM user credentials should be removed",
        "AwsIamUser",
        "user",
        "MEDIUM",
        &[FSBP, CIS14, PCI, NIST],
    ),
    (
        "CloudTrail.4",
        "CloudTrail log file validation should be enabled",
        "AwsCloudTrailTrail",
        "trail",
        "LOW",
        &[FSBP, CIS14, PCI, NIST],
    ),
    (
        "KMS.4",
        "AWS KMS key rotation should be enabled",
        "AwsKmsKey",
        "key",
        "MEDIUM",
        &[CIS14, PCI, NIST],
    ),
    (
        "RDS.2",
        "RDS DB Instances should prohibit public access",
        "AwsRdsDbInstance",
        "db",
        "CRITICAL",
        &[FSBP, PCI, NIST],
    ),
    (
        "SNS.1",
        "SNS topics should be encrypted at-rest using AWS KMS",
        "AwsSnsTopic",
        "topic",
        "MEDIUM",
        &[FSBP, NIST],
    ),
    (
        "Lambda.1",
        "Lambda function policies should prohibit public access",
        "AwsLambdaFunction",
        "fn",
        "CRITICAL",
        &[FSBP, PCI, NIST],
    ),
    (
        "GuardDuty.1",
        "GuardDuty should be enabled",
        "AwsAccount",
        "account",
        "HIGH",
        &[FSBP, PCI, NIST],
    ),
];

/// (product name, company, product arn suffix, finding type, title, resource type, severity label)
type ThreatRow = (&'static str, &'static str, &'static str, &'static str, &'static str, &'static str, &'static str);

pub const THREATS: &[ThreatRow] = &[
    (
        "GuardDuty",
        "Amazon",
        "aws/guardduty",
        "TTPs/Command and Control/Backdoor:EC2-C&CActivity.B!DNS",
        "EC2 instance is querying a domain name associated with a known command and control server",
        "AwsEc2Instance",
        "HIGH",
    ),
    (
        "GuardDuty",
        "Amazon",
        "aws/guardduty",
        "TTPs/Discovery/Recon:IAMUser-MaliciousIPCaller",
        "API was invoked from a known malicious IP address",
        "AwsIamAccessKey",
        "MEDIUM",
    ),
    (
        "GuardDuty",
        "Amazon",
        "aws/guardduty",
        "Effects/Resource Consumption/CryptoCurrency:EC2-BitcoinTool.B",
        "EC2 instance is communicating with Bitcoin mining pools",
        "AwsEc2Instance",
        "CRITICAL",
    ),
    (
        "Inspector",
        "Amazon",
        "aws/inspector",
        "Software and Configuration Checks/Vulnerabilities/CVE",
        "CVE-2024-3094 - xz-utils backdoor in liblzma",
        "AwsEc2Instance",
        "CRITICAL",
    ),
    (
        "Inspector",
        "Amazon",
        "aws/inspector",
        "Software and Configuration Checks/Vulnerabilities/CVE",
        "CVE-2023-44487 - HTTP/2 rapid reset in nghttp2",
        "AwsEcrContainerImage",
        "HIGH",
    ),
    (
        "Inspector",
        "Amazon",
        "aws/inspector",
        "Software and Configuration Checks/Vulnerabilities/CVE",
        "CVE-2022-40897 - setuptools ReDoS",
        "AwsLambdaFunction",
        "LOW",
    ),
    (
        "Macie",
        "Amazon",
        "aws/macie",
        "Sensitive Data Identifications/PII/SensitiveData:S3Object-Personal",
        "The S3 object contains personal information",
        "AwsS3Bucket",
        "HIGH",
    ),
    (
        "Macie",
        "Amazon",
        "aws/macie",
        "Sensitive Data Identifications/Passwords/SensitiveData:S3Object-Credentials",
        "The S3 object contains credentials data",
        "AwsS3Bucket",
        "CRITICAL",
    ),
    (
        "Acme Cloud Scanner",
        "Acme Corp",
        "acme/cloud-scanner",
        "Software and Configuration Checks/AWS Security Best Practices",
        "Container runs as root \u{1b}[31m(escape sequences in titles are sanitised)\u{1b}[0m",
        "Container",
        "MEDIUM",
    ),
    (
        "Acme Cloud Scanner",
        "Acme Corp",
        "acme/cloud-scanner",
        "Unusual Behaviors/Application",
        "Outbound traffic to newly registered domain",
        "AwsEc2Instance",
        "INFORMATIONAL",
    ),
];

}

pub use rows::*;
