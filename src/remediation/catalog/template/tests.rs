use serde_json::json;

use super::*;
use crate::remediation::catalog::tests::{ROLE, finding, input};

#[test]
fn render_template_fills_every_placeholder() {
    let id = "arn:aws-us-gov:sns:us-gov-west-1:111122223333:alerts";
    let mut f = finding("SNS.1", "AwsSnsTopic", id);
    f.resources[0].partition = None;
    f.region = "us-gov-west-1".into();
    let raw = json!({"Resources": [{"Details": {"AwsSnsTopic": {
        "Subscription": [{"Endpoint": "ops@example.com"}], "Size": 3, "Fifo": false
    }}}]});
    let i = input(&f, Some(&raw));
    let r = |t: &str| render_template(t, &i);
    assert_eq!(
        r("{assume_role}").unwrap(),
        "arn:aws-us-gov:iam::111122223333:role/HubbleRemediation"
    );
    assert_eq!(r(ROLE).unwrap(), r("{assume_role}").unwrap());
    assert_eq!(r("{resource_id}").unwrap(), id);
    assert_eq!(r("{resource_name}").unwrap(), "alerts");
    assert_eq!(r("{resource_type}/{control}").unwrap(), "AwsSnsTopic/SNS.1");
    assert_eq!(
        r("{region}:{account}").unwrap(),
        "us-gov-west-1:111122223333"
    );
    assert_eq!(r("{finding_id}").unwrap(), f.id);
    assert_eq!(
        r("{details:AwsSnsTopic.Subscription.0.Endpoint}").unwrap(),
        "ops@example.com"
    );
    assert_eq!(
        r("{details:AwsSnsTopic.Size}-{details:AwsSnsTopic.Fifo}").unwrap(),
        "3-false"
    );
    assert_eq!(
        r("{{literal}} {{{account}}}").unwrap(),
        "{literal} {111122223333}"
    );
    assert_eq!(r("").unwrap(), "");

    // The role template cannot use itself; templates with errors never render.
    let looping = RenderInput {
        assume_role_template: "{assume_role}",
        ..i
    };
    assert!(matches!(
        render_template("{assume_role}", &looping),
        Err(RenderError::Syntax { .. })
    ));
    assert!(matches!(r("{acount}"), Err(RenderError::Syntax { .. })));

    let mut no_control = f.clone();
    no_control.control_id = None;
    assert_eq!(
        render_template("{control}", &input(&no_control, None)),
        Err(RenderError::NoValue {
            placeholder: "control".into()
        })
    );
}

#[test]
fn template_syntax() {
    let lit = |s: &str| Segment::Literal(s.into());
    assert_eq!(parse("a{{b}}c").unwrap(), vec![lit("a{b}c")]);
    let e = parse("x-{acount}").unwrap_err();
    assert_eq!(e.offset, 2);
    assert!(
        e.message.contains("did you mean `{account}`?"),
        "{}",
        e.message
    );
    let e = parse("{bogus_thing}").unwrap_err();
    assert!(e.message.contains("known: resource_id"), "{}", e.message);
    assert_eq!(parse("ab{region").unwrap_err().offset, 2);
    assert_eq!(parse("ab{re{gion}").unwrap_err().offset, 2);
    assert_eq!(parse("a}b").unwrap_err().offset, 1);
    assert!(parse("{tag:}").is_err());
    assert!(parse("{details:A..B}").is_err());
    assert!(parse("{details:A.B}{tag:k:v}").is_ok());
}

#[test]
fn resource_names_from_arns() {
    for (id, name) in [
        ("arn:aws:s3:::my-bucket", "my-bucket"),
        (
            "arn:aws:ec2:us-east-1:111122223333:security-group/sg-123",
            "sg-123",
        ),
        ("arn:aws:iam::111122223333:user/path/to/alice", "alice"),
        (
            "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab",
            "1234abcd-12ab",
        ),
        ("arn:aws:sns:us-east-1:111122223333:alerts", "alerts"),
        ("arn:aws:rds:us-east-1:111122223333:db:orders", "orders"),
        (
            "arn:aws:cloudtrail:us-east-1:111122223333:trail/main",
            "main",
        ),
        ("AWS::::Account:111122223333", "111122223333"),
        ("sg-0abc", "sg-0abc"),
        ("arn:aws:s3:::", ""),
    ] {
        assert_eq!(resource_name(id), name, "{id}");
    }
}
