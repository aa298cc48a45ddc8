use std::collections::BTreeMap;
use std::path::Path;

use serde_json::json;

use super::template;
use super::*;
use crate::model::{Finding, Resource};

pub(super) const ROLE: &str = "arn:{partition}:iam::{account}:role/HubbleRemediation";

pub(super) fn finding(control: &str, kind: &str, id: &str) -> Finding {
    let mut f = crate::sources::memory::sample_finding(1, 1_700_000_000_000);
    f.id = format!("arn:aws:securityhub:eu-west-1:111122223333:finding/{control}-1");
    f.account = "111122223333".into();
    f.region = "eu-west-1".into();
    f.control_id = Some(control.into());
    f.resources = vec![Resource {
        kind: kind.into(),
        id: id.to_string(),
        region: Some("eu-west-1".into()),
        partition: Some("aws".into()),
        tags: vec![("Owner".into(), "team-a".into())],
    }];
    f
}

pub(super) fn input<'a>(f: &'a Finding, raw: Option<&'a serde_json::Value>) -> RenderInput<'a> {
    RenderInput {
        finding: f,
        raw,
        assume_role_template: ROLE,
    }
}

fn map(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
        .collect()
}

const ROLE_ARN: &str = "arn:aws:iam::111122223333:role/HubbleRemediation";

/// Control → document the issue asks for.
const EXPECTED: [(&str, &str); 18] = [
    ("S3.1", "AWSConfigRemediation-ConfigureS3PublicAccessBlock"),
    (
        "S3.2",
        "AWSConfigRemediation-ConfigureS3BucketPublicAccessBlock",
    ),
    (
        "S3.3",
        "AWSConfigRemediation-ConfigureS3BucketPublicAccessBlock",
    ),
    (
        "S3.8",
        "AWSConfigRemediation-ConfigureS3BucketPublicAccessBlock",
    ),
    ("S3.5", "AWSConfigRemediation-RestrictBucketSSLRequestsOnly"),
    ("S3.9", "AWS-ConfigureS3BucketLogging"),
    (
        "EC2.2",
        "AWSConfigRemediation-RemoveVPCDefaultSecurityGroupRules",
    ),
    ("EC2.7", "AWSConfigRemediation-EnableEbsEncryptionByDefault"),
    ("EC2.13", "AWS-DisablePublicAccessForSecurityGroup"),
    ("EC2.14", "AWS-DisablePublicAccessForSecurityGroup"),
    (
        "EC2.19",
        "AWSConfigRemediation-RemoveUnrestrictedSourceIngressRules",
    ),
    ("IAM.7", "AWSConfigRemediation-SetIAMPasswordPolicy"),
    (
        "IAM.8",
        "AWSConfigRemediation-RevokeUnusedIAMUserCredentials",
    ),
    (
        "CloudTrail.4",
        "AWSConfigRemediation-EnableCloudTrailLogFileValidation",
    ),
    ("KMS.4", "AWSConfigRemediation-EnableKeyRotation"),
    (
        "RDS.2",
        "AWSConfigRemediation-DisablePublicAccessToRDSInstance",
    ),
    ("SNS.1", "AWSConfigRemediation-EncryptSNSTopic"),
    ("EC2.4", "AWS-TerminateEC2Instance"),
];

#[test]
fn builtin_file_loads_without_diagnostics() {
    assert_eq!(check_all(None), Vec::new());
    let c = Catalog::builtin();
    assert!(c.len() >= 20, "only {} controls", c.len());
    for (control, document) in EXPECTED {
        let p = c
            .get(control)
            .unwrap_or_else(|| panic!("no playbook for {control}"));
        assert_eq!(p.document, document, "{control}");
        assert!(p.is_builtin());
    }
    assert!(c.get("EC2.4").unwrap().destructive);
    assert!(!c.get("S3.8").unwrap().destructive);
    let controls: Vec<&str> = c.controls().collect();
    assert_eq!(controls.len(), c.len());
    assert!(
        controls.windows(2).all(|w| w[0] < w[1]),
        "sorted and unique"
    );
}

#[test]
fn every_builtin_playbook_is_complete() {
    for p in Catalog::builtin().iter() {
        assert!(!p.description.is_empty(), "{}: no description", p.control);
        assert!(
            !p.required.is_empty(),
            "{}: no required parameters",
            p.control
        );
        for r in &p.required {
            assert!(
                p.parameters.contains_key(r),
                "{}: `{r}` not templated",
                p.control
            );
        }
        // Runs cross-account, so the role is always passed even where the document has a default.
        assert_eq!(
            p.parameters.get("AutomationAssumeRole"),
            Some(&vec!["{assume_role}".to_string()]),
            "{}",
            p.control
        );
        for (name, templates) in &p.parameters {
            assert!(
                !templates.is_empty(),
                "{}: `{name}` is an empty list",
                p.control
            );
            for t in templates {
                assert!(
                    template::parse(t).is_ok(),
                    "{}: `{name}` = {t:?}",
                    p.control
                );
            }
        }
    }
}

#[test]
fn renders_s3_8_for_a_bucket() {
    let f = finding("S3.8", "AwsS3Bucket", "arn:aws:s3:::acme-public-assets");
    let c = Catalog::builtin();
    let params = c.get("S3.8").unwrap().render(&input(&f, None)).unwrap();
    let t: &[&str] = &["true"];
    assert_eq!(
        params,
        map(&[
            ("AutomationAssumeRole", &[ROLE_ARN]),
            ("BlockPublicAcls", t),
            ("BlockPublicPolicy", t),
            ("BucketName", &["acme-public-assets"]),
            ("IgnorePublicAcls", t),
            ("RestrictPublicBuckets", t),
        ])
    );
}

#[test]
fn renders_ec2_19_for_a_security_group() {
    let id = "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0a1b2c3d4e5f60718";
    let f = finding("EC2.19", "AwsEc2SecurityGroup", id);
    let params = Catalog::builtin()
        .get("EC2.19")
        .unwrap()
        .render(&input(&f, None))
        .unwrap();
    assert_eq!(
        params,
        map(&[
            ("AutomationAssumeRole", &[ROLE_ARN]),
            ("SecurityGroupId", &["sg-0a1b2c3d4e5f60718"]),
        ])
    );
}

#[test]
fn renders_rds_2_from_the_raw_details() {
    let id = "arn:aws:rds:eu-west-1:111122223333:db:orders-prod";
    let f = finding("RDS.2", "AwsRdsDbInstance", id);
    let raw = json!({
        "Id": f.id,
        "Resources": [{
            "Type": "AwsRdsDbInstance",
            "Id": id,
            "Details": {"AwsRdsDbInstance": {
                "DBInstanceIdentifier": "orders-prod",
                "DbiResourceId": "db-ABCDEFGHIJKLMNOPQRSTUVWXY0",
                "PubliclyAccessible": true
            }}
        }]
    });
    let params = Catalog::builtin()
        .get("RDS.2")
        .unwrap()
        .render(&input(&f, Some(&raw)))
        .unwrap();
    assert_eq!(
        params,
        map(&[
            ("AutomationAssumeRole", &[ROLE_ARN]),
            ("DbiResourceId", &["db-ABCDEFGHIJKLMNOPQRSTUVWXY0"]),
        ])
    );
    // Without the raw JSON the parameter and placeholder are named.
    let err = Catalog::builtin()
        .get("RDS.2")
        .unwrap()
        .render(&input(&f, None))
        .unwrap_err();
    assert_eq!(
        err,
        RenderError::Parameter {
            parameter: "DbiResourceId".into(),
            error: Box::new(RenderError::NoSuchDetail {
                path: "AwsRdsDbInstance.DbiResourceId".into(),
                raw_missing: true,
            }),
        }
    );
    assert_eq!(
        err.to_string(),
        "parameter `DbiResourceId`: {details:AwsRdsDbInstance.DbiResourceId}: no such field \
         under Resources[0].Details (raw finding JSON not available)"
    );
}

#[test]
fn renders_iam_8_with_the_user_id() {
    let id = "arn:aws:iam::111122223333:user/ops/alice";
    let f = finding("IAM.8", "AwsIamUser", id);
    let raw = json!({"Resources": [{"Details": {"AwsIamUser": {
        "UserName": "alice", "UserId": "AIDAEXAMPLEUSERID0001", "Path": "/ops/"
    }}}]});
    let p = Catalog::builtin().get("IAM.8").unwrap().clone();
    assert!(
        p.destructive,
        "deleting a console password cannot be undone"
    );
    assert_eq!(
        p.render(&input(&f, Some(&raw))).unwrap(),
        map(&[
            ("AutomationAssumeRole", &[ROLE_ARN]),
            ("IAMResourceId", &["AIDAEXAMPLEUSERID0001"]),
            ("MaxCredentialUsageAge", &["90"]),
        ])
    );
}

#[test]
fn renders_ec2_4_as_a_string_list() {
    let id = "arn:aws:ec2:eu-west-1:111122223333:instance/i-0123456789abcdef0";
    let f = finding("EC2.4", "AwsEc2Instance", id);
    assert_eq!(
        Catalog::builtin()
            .get("EC2.4")
            .unwrap()
            .render(&input(&f, None))
            .unwrap(),
        map(&[
            ("AutomationAssumeRole", &[ROLE_ARN]),
            ("InstanceId", &["i-0123456789abcdef0"]),
        ])
    );
}

fn custom(parameters: &[(&str, &str)]) -> Playbook {
    Playbook {
        control: "Custom.1".into(),
        document: "Acme-Fix".into(),
        document_version: None,
        description: "test".into(),
        destructive: false,
        required: Vec::new(),
        parameters: parameters
            .iter()
            .map(|(k, v)| (k.to_string(), vec![v.to_string()]))
            .collect(),
        origin: "test".into(),
    }
}

#[test]
fn missing_tag_or_detail_names_parameter_and_placeholder() {
    let f = finding("S3.8", "AwsS3Bucket", "arn:aws:s3:::b");
    let err = custom(&[("Team", "{tag:CostCentre}")])
        .render(&input(&f, None))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "parameter `Team`: {tag:CostCentre}: the resource has no tag `CostCentre`"
    );
    assert_eq!(
        err.root(),
        &RenderError::NoSuchTag {
            key: "CostCentre".into()
        }
    );

    let raw = json!({"Resources": [{"Details": {"AwsS3Bucket": {"Name": "b"}}}]});
    let err = custom(&[("Kms", "{details:AwsS3Bucket.ServerSideEncryption.Key}")])
        .render(&input(&f, Some(&raw)))
        .unwrap_err();
    assert_eq!(
        err.root(),
        &RenderError::NoSuchDetail {
            path: "AwsS3Bucket.ServerSideEncryption.Key".into(),
            raw_missing: false
        }
    );
    assert!(err.to_string().starts_with("parameter `Kms`: "), "{err}");

    let ok = custom(&[
        ("Team", "{tag:Owner}"),
        ("Name", "{details:AwsS3Bucket.Name}"),
    ])
    .render(&input(&f, Some(&raw)))
    .unwrap();
    assert_eq!(ok, map(&[("Name", &["b"]), ("Team", &["team-a"])]));

    let mut bare = f.clone();
    bare.resources.clear();
    let err = custom(&[("B", "{resource_name}")])
        .render(&input(&bare, None))
        .unwrap_err();
    assert_eq!(
        err.root(),
        &RenderError::NoResource {
            placeholder: "resource_name".into()
        }
    );
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn user_files_replace_and_add_controls() {
    let dir = tempfile::tempdir().unwrap();
    let main = dir.path().join("playbooks.toml");
    write(
        &main,
        r#"
[[playbook]]
control = "S3.8"
document = "Acme-LockDownBucket"
document_version = "3"
description = "Our own lockdown"
required = ["Bucket", "AutomationAssumeRole"]
[playbook.parameters]
Bucket = "{resource_name}"
AutomationAssumeRole = "{assume_role}"
"#,
    );
    let extra = dir.path().join("playbooks/acme.toml");
    write(
        &extra,
        r#"
[[playbook]]
control = "Acme.1"
document = "arn:aws:ssm:eu-west-1:999999999999:document/Acme-Quarantine"
description = "Quarantine the instance"
destructive = true
required = ["InstanceIds"]
[playbook.parameters]
InstanceIds = ["{resource_name}"]
Owner = "{tag:Owner}"
"#,
    );
    write(&dir.path().join("playbooks/notes.txt"), "not toml");

    let builtin = Catalog::builtin();
    let c = Catalog::load(Some(dir.path())).unwrap();
    assert_eq!(c.len(), builtin.len() + 1);
    let s3 = c.get("S3.8").unwrap();
    assert_eq!(s3.document, "Acme-LockDownBucket");
    assert_eq!(s3.document_version.as_deref(), Some("3"));
    assert_eq!(s3.origin, main.display().to_string());
    assert!(!s3.is_builtin());
    assert_eq!(c.get("S3.2"), builtin.get("S3.2"));

    let acme = c.get("Acme.1").unwrap();
    assert!(acme.destructive);
    assert_eq!(acme.origin, extra.display().to_string());
    let f = finding(
        "Acme.1",
        "AwsEc2Instance",
        "arn:aws:ec2:eu-west-1:111122223333:instance/i-1",
    );
    assert_eq!(
        acme.render(&input(&f, None)).unwrap(),
        map(&[("InstanceIds", &["i-1"]), ("Owner", &["team-a"])])
    );

    // No directory, or one without playbooks, is just the built-ins.
    assert_eq!(Catalog::load(None).unwrap().len(), builtin.len());
    let empty = tempfile::tempdir().unwrap();
    assert_eq!(
        Catalog::load(Some(empty.path())).unwrap().len(),
        builtin.len()
    );
    assert_eq!(check_all(Some(dir.path())), Vec::new());
}

/// `line:col: message` of each diagnostic, for compact assertions.
fn positions(diags: &[Diagnostic]) -> Vec<String> {
    diags
        .iter()
        .map(|d| format!("{}:{}: {}", d.line, d.col, d.message))
        .collect()
}

#[test]
fn diagnostics_point_at_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("playbooks.toml");
    write(
        &file,
        r#"[[playbook]]
control = "S3.8"
document = "Acme-Fix"
required = ["BucketName", "AutomationAssumeRole"]
[playbook.parameters]
BucketName = "bucket-{resourse_name}"
Extra = ["ok", "{tag:}"]

[[playbook]]
control = "S3.8"
document = ""
descripton = "typo"
"#,
    );
    let diags = check_all(Some(dir.path()));
    assert!(diags.iter().all(|d| d.file == file), "{diags:?}");
    assert_eq!(
        positions(&diags),
        vec![
            "4:27: required parameter `AutomationAssumeRole` has no template in \
             [playbook.parameters]",
            "6:22: parameter `BucketName`: unknown placeholder `{resourse_name}`; did you \
             mean `{resource_name}`?",
            "7:17: parameter `Extra`: `{tag:}` needs a tag key, e.g. `{tag:Owner}`",
            "11:12: empty `document`: name the SSM Automation document",
            "12:1: unknown playbook field `descripton`; did you mean `description`?",
        ]
    );
    let shown = diags[1].to_string();
    assert!(
        shown.starts_with(&format!("{}:6:22: ", file.display())),
        "{shown}"
    );
    assert_eq!(Catalog::load(Some(dir.path())).unwrap_err(), diags);
}

#[test]
fn duplicate_controls_and_syntax_errors() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("playbooks/dup.toml"),
        "[[playbook]]\ncontrol = \"X.1\"\ndocument = \"D\"\n\n\
         [[playbook]]\ncontrol = \"X.1\"\ndocument = \"E\"\n",
    );
    write(
        &dir.path().join("playbooks/broken.toml"),
        "[[playbook]]\ncontrol = \"Y.1\"\ndocument = \"D\n",
    );
    write(
        &dir.path().join("playbooks/shape.toml"),
        "title = \"x\"\n[[playbook]]\ndocument = \"D\"\ndestructive = \"yes\"\n",
    );
    let diags = check_all(Some(dir.path()));
    let by_file = |name: &str| -> Vec<String> {
        let d: Vec<Diagnostic> = diags
            .iter()
            .filter(|d| d.file.ends_with(name))
            .cloned()
            .collect();
        positions(&d)
    };
    assert_eq!(
        by_file("dup.toml"),
        vec!["6:11: duplicate control `X.1` in this file (first defined on line 2)"]
    );
    let broken = by_file("broken.toml");
    assert_eq!(broken, vec!["3:14: invalid basic string, expected `\"`"]);
    assert_eq!(
        by_file("shape.toml"),
        vec![
            "1:1: unknown key `title`; playbooks are [[playbook]] tables",
            "2:1: playbook has no `control` (e.g. control = \"S3.1\")",
            "4:15: `destructive` must be true or false, not string",
        ]
    );
    assert!(Catalog::load(Some(dir.path())).is_err());
}

/// Every playbook fills every parameter the fake SSM (tests/moto/runbooks.json, from the same
/// AWS runbook reference) requires for its document, and passes only names it declares.
#[test]
fn builtin_playbooks_match_the_fake_ssm_runbooks() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/moto/runbooks.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("skipped: {} does not exist", path.display());
            return;
        }
        Err(e) => panic!("{}: {e}", path.display()),
    };
    let runbooks: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut problems = Vec::new();
    let mut unknown_documents = Vec::new();
    for p in Catalog::builtin().iter() {
        let Some(params) = runbooks
            .get(&p.document)
            .and_then(|d| d.get("parameters"))
            .and_then(|d| d.as_object())
        else {
            unknown_documents.push(format!("{} ({})", p.document, p.control));
            continue;
        };
        for (name, spec) in params {
            let required = spec.get("required").and_then(|r| r.as_bool()) == Some(true);
            if required && !p.parameters.contains_key(name) {
                problems.push(format!("{}: required `{name}` not filled", p.control));
            }
            let list = spec.get("type").and_then(|t| t.as_str()) == Some("StringList");
            if !list && p.parameters.get(name).is_some_and(|t| t.len() != 1) {
                problems.push(format!("{}: `{name}` is a String, not a list", p.control));
            }
        }
        for name in p.parameters.keys() {
            if !params.contains_key(name) {
                problems.push(format!(
                    "{}: `{name}` is not a parameter of {}",
                    p.control, p.document
                ));
            }
        }
    }
    if !unknown_documents.is_empty() {
        eprintln!(
            "not in runbooks.json (unchecked): {}",
            unknown_documents.join(", ")
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
