//! Where a finding and its resource live in their cloud's own console. Used by `o` in the
//! console and by notifications (which link only to these hosts).

use crate::model::{Cloud, Finding, Provider};

/// The hosts links may point at (notifications refuse anything else).
pub const CONSOLE_HOSTS: &[&str] = &[
    "console.aws.amazon.com",
    "console.amazonaws-us-gov.com",
    "console.amazonaws.cn",
    "portal.azure.com",
    "console.cloud.google.com",
    "github.com",
];

/// Percent-encodes everything but unreserved characters (RFC 3986).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn aws_console(region: &str, partition: Option<&str>) -> String {
    match partition {
        Some("aws-us-gov") => format!("https://{region}.console.amazonaws-us-gov.com"),
        Some("aws-cn") => format!("https://{region}.console.amazonaws.cn"),
        _ => format!("https://{region}.console.aws.amazon.com"),
    }
}

/// The finding in its console: Security Hub's findings page searched by id (the new
/// Security Hub by metadata.uid), else the provider's own link.
pub fn finding_url(f: &Finding) -> Option<String> {
    match (f.cloud, f.provider) {
        (Cloud::Aws, Provider::AwsSecurityHubV2) => Some(format!(
            "{}/securityhub/v2/home?region={}#/findings?search={}",
            aws_console(&f.region, None),
            f.region,
            encode(&format!("metadata.uid={}", f.id))
        )),
        (Cloud::Aws, _) if f.provider != Provider::Demo || f.id.starts_with("arn:") => {
            // The filter syntax of the findings page: Id=\operator\:EQUALS\:<id>, encoded twice.
            let search = format!("Id={}", encode(&format!("\\operator\\:EQUALS\\:{}", f.id)));
            Some(format!(
                "{}/securityhub/home?region={}#/findings?search={}",
                aws_console(&f.region, partition_of(&f.id)),
                f.region,
                encode(&search)
            ))
        }
        _ => f.url.as_ref().map(|u| u.to_string()),
    }
}

fn partition_of(arn: &str) -> Option<&str> {
    arn.strip_prefix("arn:")?.split(':').next()
}

/// The finding's (primary) resource in its console.
pub fn resource_url(f: &Finding) -> Option<String> {
    let r = f.primary_resource()?;
    let id = r.id.as_str();
    match f.cloud {
        Cloud::Aws => aws_resource(
            r.kind.as_str(),
            id,
            r.region.as_deref().unwrap_or(&f.region),
        ),
        Cloud::Azure if id.starts_with("/subscriptions/") => {
            Some(format!("https://portal.azure.com/#@/resource{id}"))
        }
        Cloud::Gcp => {
            let project = f.account.as_str();
            Some(format!(
                "https://console.cloud.google.com/security/command-center/findings?project={}&resourceName={}",
                encode(project),
                encode(id)
            ))
        }
        Cloud::Code if f.provider == Provider::GithubCodeScanning => {
            // `path:line` in `owner/repo` at the alert's ref.
            let (path, line) = id.rsplit_once(':').unwrap_or((id, ""));
            let git_ref = f.region.trim_start_matches("refs/heads/");
            let git_ref = if git_ref.is_empty() { "HEAD" } else { git_ref };
            Some(format!(
                "https://github.com/{}/blob/{}/{}{}",
                f.account,
                git_ref,
                path,
                if line.is_empty() {
                    String::new()
                } else {
                    format!("#L{line}")
                }
            ))
        }
        _ => None,
    }
}

fn aws_resource(kind: &str, id: &str, region: &str) -> Option<String> {
    if id.is_empty() {
        return None;
    }
    let partition = partition_of(id);
    let base = aws_console(region, partition);
    let last = id.rsplit(['/', ':']).next().unwrap_or(id);
    let q = format!("?region={region}");
    Some(match kind {
        "AwsS3Bucket" => format!(
            "https://s3.console.aws.amazon.com/s3/buckets/{}{q}",
            encode(last)
        ),
        "AwsEc2SecurityGroup" => {
            format!("{base}/ec2/home{q}#SecurityGroup:groupId={}", encode(last))
        }
        "AwsEc2Instance" => format!(
            "{base}/ec2/home{q}#InstanceDetails:instanceId={}",
            encode(last)
        ),
        "AwsEc2Volume" => format!("{base}/ec2/home{q}#VolumeDetails:volumeId={}", encode(last)),
        "AwsIamUser" => format!("{base}/iam/home#/users/details/{}", encode(last)),
        "AwsIamRole" => format!("{base}/iam/home#/roles/details/{}", encode(last)),
        "AwsRdsDbInstance" => format!("{base}/rds/home{q}#database:id={}", encode(last)),
        "AwsKmsKey" => format!("{base}/kms/home{q}#/kms/keys/{}", encode(last)),
        "AwsLambdaFunction" => format!("{base}/lambda/home{q}#/functions/{}", encode(last)),
        "AwsSnsTopic" => format!("{base}/sns/v3/home{q}#/topic/{}", encode(id)),
        "AwsCloudTrailTrail" => format!("{base}/cloudtrail/home{q}#/trails/{}", encode(id)),
        // Any other ARN: the console's own ARN resolver.
        _ if id.starts_with("arn:") => format!("{base}/go/view?arn={}", encode(id)),
        _ => return None,
    })
}

/// Is this URL on one of the consoles' hosts (https only)?
pub fn is_console_url(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("https://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    CONSOLE_HOSTS
        .iter()
        .any(|h| host == *h || host.ends_with(&format!(".{h}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Resource;
    use crate::sources::memory::sample_finding;

    #[test]
    fn aws_finding_and_resources() {
        let mut f = sample_finding(1, 1);
        f.id =
            "arn:aws:securityhub:eu-west-1:111111111111:security-control/EC2.19/finding/ab".into();
        f.region = "eu-west-1".into();
        f.resources = vec![Resource {
            kind: "AwsEc2SecurityGroup".into(),
            id: "arn:aws:ec2:eu-west-1:111111111111:security-group/sg-0abc".into(),
            region: Some("eu-west-1".into()),
            ..Resource::default()
        }];
        let u = finding_url(&f).unwrap();
        assert!(u.starts_with("https://eu-west-1.console.aws.amazon.com/securityhub/home?region=eu-west-1#/findings?search=Id%3D%255Coperator%255C%253AEQUALS%255C%253Aarn%253Aaws"), "{u}");
        assert_eq!(
            resource_url(&f).unwrap(),
            "https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#SecurityGroup:groupId=sg-0abc"
        );
        f.resources[0].kind = "AwsDynamoDbTable".into();
        f.resources[0].id = "arn:aws:dynamodb:eu-west-1:1:table/t".into();
        assert!(
            resource_url(&f)
                .unwrap()
                .ends_with("/go/view?arn=arn%3Aaws%3Adynamodb%3Aeu-west-1%3A1%3Atable%2Ft")
        );
        assert!(
            is_console_url(&u) && !is_console_url("https://evil.example/console.aws.amazon.com")
        );
        assert!(!is_console_url("http://eu-west-1.console.aws.amazon.com/"));
    }

    #[test]
    fn other_clouds() {
        let mut f = sample_finding(2, 1);
        f.cloud = Cloud::Azure;
        f.provider = Provider::AzureDefender;
        f.url = Some("https://portal.azure.com/#blade/x".into());
        f.resources[0].id =
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1"
                .into();
        assert_eq!(
            finding_url(&f).as_deref(),
            Some("https://portal.azure.com/#blade/x")
        );
        assert!(
            resource_url(&f)
                .unwrap()
                .starts_with("https://portal.azure.com/#@/resource/subscriptions/s/")
        );
        f.cloud = Cloud::Code;
        f.provider = Provider::GithubCodeScanning;
        f.account = "acme/api".into();
        f.region = "refs/heads/main".into();
        f.resources[0].id = "src/db.py:42".into();
        assert_eq!(
            resource_url(&f).unwrap(),
            "https://github.com/acme/api/blob/main/src/db.py#L42"
        );
    }
}
