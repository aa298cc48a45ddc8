//! The CSV export: RFC 4180 quoting and spreadsheet formula defusing.

use super::*;

#[test]
fn csv_quotes_per_rfc_4180_and_defuses_formulas() {
    let spec = f(
        "S3.2",
        ComplianceStatus::Failed,
        &[FSBP],
        &[],
        "arn:aws:s3:::a,\"b\"",
    );
    let formula = f(
        "S3.3",
        ComplianceStatus::Failed,
        &[FSBP],
        &[],
        "=HYPERLINK(\"x\")",
    );
    let p = posture(vec![finding(1, &spec), finding(2, &formula)], None);
    let src = sources();
    let out = render(&input(&p, "fsbp", &src), Format::Csv).unwrap();
    let lines: Vec<&str> = out.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "standard,requirement,requirement_status,control,control_status,resource,suppressed"
    );
    assert_eq!(
        lines[1],
        "fsbp,S3.2,FAILED,S3.2,FAILED,\"arn:aws:s3:::a,\"\"b\"\"\",false"
    );
    assert_eq!(
        lines[2],
        "fsbp,S3.3,FAILED,S3.3,FAILED,\"'=HYPERLINK(\"\"x\"\")\",false"
    );
    assert_eq!(lines[3], "");
}
