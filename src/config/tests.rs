use super::*;

fn err(text: &str) -> String {
    Config::parse(text, Path::new("c.toml"))
        .unwrap_err()
        .to_string()
}

#[test]
fn the_documented_shape_parses() {
    let cfg = Config::parse(
        r#"
[[aws]]
name = "security"
regions = ["us-east-1", "eu-west-1"]
role_arn = "arn:aws:iam::222222222222:role/Audit"
external_id = "x"
endpoint_url = "http://127.0.0.1:5000"

[[aws]]
name = "prod"
regions = ["ap-southeast-2"]
profile = "prod"
"#,
        Path::new("c.toml"),
    )
    .unwrap();
    assert_eq!(cfg.aws.len(), 2);
    assert_eq!(cfg.aws[0].regions.get_ref().len(), 2);
    assert_eq!(cfg.poll.interval_secs, 60);
    assert_eq!(cfg.ui.theme.get_ref(), "default");
}

#[test]
fn errors_name_file_line_and_column() {
    assert_eq!(
        err("[[aws]]\nname = \"a\"\nregions = [\"us-east-1\", \"mars-1\"]\n"),
        "c.toml:3:25: \"mars-1\" is not an AWS region the SDK knows (like \"eu-west-1\")"
    );
    assert!(
        err("[[aws]]\nname = \"a\"\nregion = [\"us-east-1\"]\n")
            .starts_with("c.toml:3:1: unknown field `region`")
    );
    assert!(err("[ui]\ntheme = \n").starts_with("c.toml:2:"));
    assert!(
        err("[[aws]]\nname = \"a\"\nregions = [\"us-east-1\"]\nrole_arn = \"Audit\"\n")
            .starts_with("c.toml:4:12: \"Audit\" is not an IAM role ARN")
    );
    let dup = err(
        "[[aws]]\nname = \"a\"\nregions = [\"us-east-1\"]\n[[aws]]\nname = \"a\"\nregions = [\"us-east-1\"]\n",
    );
    assert_eq!(dup, "c.toml:5:8: aws name \"a\" is already used on line 2");
    assert!(
        err("[ui]\ncolor = \"purple\"\n").starts_with("c.toml:2:9:"),
        "{}",
        err("[ui]\ncolor = \"purple\"\n")
    );
}

#[test]
fn region_and_arn_shapes() {
    use super::regions::is_region;
    for r in ["us-east-1", "eu-west-1", "us-gov-west-1", "ap-southeast-2"] {
        assert!(is_region(r), "{r}");
    }
    for r in [
        "",
        "us-east",
        "US-EAST-1",
        "mars-1",
        "us-east-x",
        "eu-wset-1",
        "us-east-99",
    ] {
        assert!(!is_region(r), "{r}");
    }
    assert!(is_role_arn("arn:aws:iam::222222222222:role/Audit"));
    assert!(is_role_arn(
        "arn:aws-us-gov:iam::222222222222:role/path/Audit"
    ));
    assert!(!is_role_arn("arn:aws:iam::2222:role/Audit"));
    assert!(!is_role_arn("arn:aws:iam::222222222222:user/Audit"));
}

/// Every mistake in one run: type errors in several sections, then the semantic checks.
#[test]
fn every_error_in_one_run() {
    let text = "[poll]\ninterval_secs = \"soon\"\nmax_attempts = true\n\n[ui]\ncolor = \"purple\"\n\n[[aws]]\nname = \"a\"\nregions = [\"eu-wset-1\"]\n";
    let e = Config::parse(text, std::path::Path::new("c.toml"))
        .unwrap_err()
        .to_string();
    let lines: Vec<&str> = e.lines().collect();
    assert_eq!(lines.len(), 4, "{e}");
    assert!(lines[0].starts_with("c.toml:2:17: "), "{e}");
    assert!(lines[1].starts_with("c.toml:3:16: "), "{e}");
    assert!(lines[2].starts_with("c.toml:6:9: "), "{e}");
    assert!(
        lines[3].starts_with("c.toml:10:12: ") && lines[3].contains("did you mean \"eu-west-1\""),
        "{e}"
    );
}

#[test]
fn aggregator_and_max_concurrent() {
    let ok = |text: &str| Config::parse(text, Path::new("c.toml")).unwrap();
    let cfg = ok("[[aws]]\nname = \"org\"\nregions = [\"us-east-1\"]\naggregator = true\n");
    assert_eq!(cfg.aws[0].aggregator(), Aggregator::On);
    let cfg = ok(
        "[[aws]]\nname = \"org\"\nregions = [\"eu-west-1\", \"us-east-1\"]\naggregator = \"auto\"\n",
    );
    assert_eq!(cfg.aws[0].aggregator(), Aggregator::Auto);
    let cfg =
        ok("[[aws]]\nname = \"a\"\nregions = [\"us-east-1\", \"eu-west-1\"]\naggregator = false\n");
    assert_eq!(cfg.aws[0].aggregator(), Aggregator::Off);
    assert_eq!(*cfg.poll.max_concurrent.get_ref(), 16);
    assert_eq!(
        *ok("[poll]\nmax_concurrent = 64\n")
            .poll
            .max_concurrent
            .get_ref(),
        64
    );

    // Several Regions with aggregator = true: which one is the home Region? An error.
    assert_eq!(
        err(
            "[[aws]]\nname = \"org\"\nregions = [\"us-east-1\", \"eu-west-1\"]\naggregator = true\n"
        ),
        "c.toml:3:11: aggregator = true (line 4) reads one Region, the aggregation (home) Region: list only it in regions, not 2 (or use aggregator = \"auto\" to find it)"
    );
    let e = err("[[aws]]\nname = \"org\"\nregions = [\"us-east-1\"]\naggregator = \"yes\"\n");
    assert!(
        e.starts_with("c.toml:4:14: ")
            && e.contains("aggregator must be true, false or \"auto\", not \"yes\""),
        "{e}"
    );
    let e = err("[[aws]]\nname = \"org\"\nregions = [\"us-east-1\"]\naggregator = \"true\"\n");
    assert!(
        e.starts_with("c.toml:4:14: ") && e.contains("write aggregator = true (no quotes)"),
        "{e}"
    );
    let e = err("[[aws]]\nname = \"org\"\nregions = [\"us-east-1\"]\naggregator = 1\n");
    assert!(e.starts_with("c.toml:4:14: "), "{e}");
    assert_eq!(
        err("[poll]\nmax_concurrent = 0\n"),
        "c.toml:2:18: poll.max_concurrent must be between 1 and 256 (syncs at once across every source), not 0"
    );
    assert!(err("[poll]\nmax_concurrent = 1000\n").starts_with("c.toml:2:18: "));
    // Every problem in one run, each at its place.
    let e = err(
        "[poll]\nmax_concurrent = 0\n\n[[aws]]\nname = \"org\"\nregions = [\"us-east-1\", \"eu-west-1\"]\naggregator = true\n",
    );
    assert_eq!(e.lines().count(), 2, "{e}");
    assert!(
        e.contains("c.toml:2:18:") && e.contains("c.toml:6:11:"),
        "{e}"
    );
}
