use super::wire::token;
use super::*;
use std::collections::HashMap;

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let m: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| m.get(k).cloned()
}

fn names(s: &AuthSettings) -> Vec<&'static str> {
    chain(s).0.iter().map(Method::name).collect()
}

#[test]
fn environment_like_the_azure_tools() {
    let s = AuthSettings::from_lookup(
        env(&[
            ("AZURE_TENANT_ID", "env-tenant"),
            ("AZURE_CLIENT_ID", "cid"),
            ("AZURE_CLIENT_SECRET", "s3cret"),
            ("AZURE_FEDERATED_TOKEN_FILE", "/var/run/token"),
            ("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.us/"),
            ("PATH", "/nonexistent-bin"),
        ]),
        None,
        None,
        "https://management.azure.com/",
    );
    assert_eq!(s.tenant_id.as_deref(), Some("env-tenant"));
    assert_eq!(s.authority_host, "https://login.microsoftonline.us");
    assert_eq!(s.resource, "https://management.azure.com");
    assert_eq!(s.imds_endpoint.as_deref(), Some(DEFAULT_IMDS));
    assert_eq!(s.az_cli, None);
    assert_eq!(
        names(&s),
        [
            "environment service principal",
            "workload identity",
            "managed identity (IMDS)"
        ]
    );
    // Config wins over the environment.
    let s = AuthSettings::from_lookup(
        env(&[
            ("AZURE_TENANT_ID", "env-tenant"),
            ("AZURE_AUTHORITY_HOST", "https://a"),
        ]),
        Some("cfg-tenant"),
        Some("http://127.0.0.1:8080/"),
        "https://management.azure.com",
    );
    assert_eq!(s.tenant_id.as_deref(), Some("cfg-tenant"));
    assert_eq!(s.authority_host, "http://127.0.0.1:8080");
}

#[test]
fn chain_order_and_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let az = dir.path().join("az");
    std::fs::write(&az, "#!/bin/sh\n").unwrap();
    let s = AuthSettings::from_lookup(
        env(&[
            ("AZURE_CLIENT_SECRET", "x"),
            ("IDENTITY_ENDPOINT", "http://127.0.0.1:1/msi/token"),
            ("IDENTITY_HEADER", "h"),
            ("AZURE_CLIENT_ID", "user-assigned"),
            ("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:2"),
            ("PATH", dir.path().to_str().unwrap()),
        ]),
        None,
        None,
        "https://management.azure.com",
    );
    let (methods, absent) = chain(&s);
    assert_eq!(
        methods,
        vec![
            Method::AppService {
                endpoint: "http://127.0.0.1:1/msi/token".into(),
                header: "h".into(),
                client_id: Some("user-assigned".into()),
            },
            Method::AzureCli {
                program: az,
                tenant: None
            },
        ]
    );
    assert_eq!(
        absent,
        ["environment: AZURE_CLIENT_SECRET is set but AZURE_TENANT_ID or AZURE_CLIENT_ID is not"]
    );
    // Without App Service variables, IMDS (here the pod-identity override) is tried.
    let s = AuthSettings {
        identity_endpoint: None,
        ..s
    };
    assert_eq!(
        chain(&s).0[0],
        Method::Imds {
            endpoint: "http://127.0.0.1:2".into(),
            client_id: Some("user-assigned".into())
        }
    );
}

#[test]
fn tokens_refresh_early() {
    let now = now_ms();
    let t = token("a".into(), now, now + 3_600_000, None);
    assert_eq!(t.refresh_at, now + 3_600_000 - REFRESH_MARGIN_MS);
    // Short tokens refresh at half their life; Entra's refresh_in wins when sooner.
    let t = token("a".into(), now, now + 60_000, None);
    assert_eq!(t.refresh_at, now + 30_000);
    let t = token("a".into(), now, now + 86_400_000, Some(3600));
    assert_eq!(t.refresh_at, now + 3_600_000);
    let t = parse_token(br#"{"access_token":"x","expires_in":"3599","expires_on":"1"}"#).unwrap();
    assert!(t.expires_at > now + 3_500_000, "expires_in wins");
    let t = parse_token(br#"{"access_token":"x","expires_on":"2000000000"}"#).unwrap();
    assert_eq!(t.expires_at, 2_000_000_000_000);
    assert!(parse_token(br#"{"token":"x"}"#).is_err());
}

#[test]
fn entra_errors_are_one_line() {
    let m = Method::ClientSecret {
        tenant: "t".into(),
        client_id: "c".into(),
        secret: "s".into(),
    };
    let body = br#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 1\r\nCorrelation ID: 2\r\nTimestamp: 3","error_codes":[7000215]}"#;
    let e = token_error(&m, reqwest::StatusCode::UNAUTHORIZED, body);
    assert_eq!(
        e,
        SourceError::Auth(
            "environment service principal: invalid_client: AADSTS7000215: Invalid client secret provided."
                .into()
        )
    );
    let e = token_error(&m, reqwest::StatusCode::BAD_GATEWAY, b"<html>");
    assert_eq!(
        e,
        SourceError::Other("environment service principal: HTTP 502 Bad Gateway".into())
    );
    let e = token_error(&m, reqwest::StatusCode::TOO_MANY_REQUESTS, b"{}");
    assert!(e.is_throttle());
}

#[test]
fn form_bodies_are_encoded() {
    assert_eq!(
        form_body(&[
            ("scope", "https://management.azure.com/.default"),
            ("k", "a b&c=d")
        ]),
        "scope=https%3A%2F%2Fmanagement.azure.com%2F.default&k=a+b%26c%3Dd"
    );
}

#[tokio::test]
async fn an_empty_chain_says_what_it_tried() {
    let s = AuthSettings {
        authority_host: PUBLIC_AUTHORITY.into(),
        resource: "https://management.azure.com".into(),
        ..AuthSettings::default()
    };
    let c = Credential::new(reqwest::Client::new(), s);
    let e = c.token().await.unwrap_err();
    let SourceError::Auth(m) = e else {
        panic!("{e:?}")
    };
    assert!(m.starts_with("no Azure credential found"), "{m}");
    assert!(m.contains("AZURE_CLIENT_SECRET is not set") && m.contains("az is not on PATH"));
    assert_eq!(c.method(), None);
}

#[tokio::test]
async fn azure_cli_output_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let az = dir.path().join("az");
    std::fs::write(
        &az,
        "#!/bin/sh\n[ \"$1 $2\" = \"account get-access-token\" ] || exit 9\n\
         echo '{\"accessToken\":\"cli-token\",\"expiresOn\":\"2099-01-01 00:00:00.000000\",\"expires_on\":4070908800,\"tenant\":\"t\",\"tokenType\":\"Bearer\"}'\n",
    )
    .unwrap();
    let bad = dir.path().join("az-logged-out");
    std::fs::write(
        &bad,
        "#!/bin/sh\necho \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    for p in [&az, &bad] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let t = match azure_cli(
        &az,
        Some("contoso.onmicrosoft.com"),
        "https://management.azure.com",
    )
    .await
    {
        Ok(t) => t,
        Err(_) => panic!("az output not read"),
    };
    assert_eq!(&*t.secret, "cli-token");
    assert_eq!(t.expires_at, 4_070_908_800_000);
    match azure_cli(&bad, None, "https://management.azure.com").await {
        Err(Failure::Unavailable(m)) => {
            assert_eq!(
                m,
                "Azure CLI: ERROR: Please run 'az login' to setup account."
            )
        }
        _ => panic!("a logged-out CLI is unavailable, not a failure"),
    }
}
