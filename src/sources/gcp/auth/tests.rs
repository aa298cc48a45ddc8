use super::flows::{assertion, error_text};
use super::*;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
use base64::Engine as _;
use serde_json::json;

fn pem() -> String {
    let key = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let der = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&key).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    )
}

fn sa_json(pem: &str) -> Value {
    json!({
        "type": "service_account", "project_id": "hubble-prod", "private_key_id": "k1",
        "private_key": pem, "client_email": "reader@hubble-prod.iam.gserviceaccount.com",
        "client_id": "1", "token_uri": "http://127.0.0.1:9/token"
    })
}

fn http() -> reqwest::Client {
    reqwest::Client::new()
}

#[test]
fn service_account_key_honours_token_uri() {
    let (kind, who, _) = kind_from_json(&sa_json(&pem())).unwrap();
    assert_eq!(
        who,
        "service account reader@hubble-prod.iam.gserviceaccount.com"
    );
    match kind {
        Kind::ServiceAccount {
            token_uri, key_id, ..
        } => {
            assert_eq!(token_uri, "http://127.0.0.1:9/token");
            assert_eq!(key_id.as_deref(), Some("k1"));
        }
        k => panic!("{k:?}"),
    }
    let mut v = sa_json(&pem());
    v.as_object_mut().unwrap().remove("token_uri");
    match kind_from_json(&v).unwrap().0 {
        Kind::ServiceAccount { token_uri, .. } => assert_eq!(token_uri, GOOGLE_TOKEN_URI),
        k => panic!("{k:?}"),
    }
}

#[test]
fn the_assertion_is_an_rs256_jwt_the_public_key_verifies() {
    let key = rsa_key(&pem()).unwrap();
    let jwt = assertion("sa@x", Some("k1"), &key, "http://h/token", 1_000).unwrap();
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3);
    let dec = |s: &str| -> Value {
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(s)
                .unwrap(),
        )
        .unwrap()
    };
    assert_eq!(
        dec(parts[0]),
        json!({"alg": "RS256", "typ": "JWT", "kid": "k1"})
    );
    assert_eq!(
        dec(parts[1]),
        json!({"iss": "sa@x", "scope": CLOUD_PLATFORM, "aud": "http://h/token", "iat": 1000, "exp": 4600})
    );
    let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(parts[2])
        .unwrap();
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, key.public_key().as_ref())
        .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)
        .expect("signature verifies");
}

#[test]
fn bad_keys_and_files_are_readable_errors() {
    assert!(rsa_key("-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----").is_err());
    assert!(rsa_key("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----").is_err());
    let e = kind_from_json(&json!({"type": "service_account", "client_email": "x"})).unwrap_err();
    assert!(e.contains("private_key"), "{e}");
    let e = kind_from_json(&json!({"client_email": "x"})).unwrap_err();
    assert!(e.contains("type"), "{e}");
    let e = kind_from_json(&json!({"type": "gdch_service_account"})).unwrap_err();
    assert!(e.contains("not supported"), "{e}");
    let e = kind_from_json(&json!({"type": "external_account", "audience": "a",
        "subject_token_type": "t", "token_url": "u",
        "credential_source": {"environment_id": "aws1"}}))
    .unwrap_err();
    assert!(e.contains("only file and url"), "{e}");
}

#[test]
fn other_credential_types() {
    let (k, _, quota) = kind_from_json(&json!({"type": "authorized_user", "client_id": "c",
        "client_secret": "s", "refresh_token": "r", "quota_project_id": "billing-proj"}))
    .unwrap();
    assert!(
        matches!(k, Kind::AuthorizedUser { ref token_uri, .. } if token_uri == GOOGLE_TOKEN_URI)
    );
    assert_eq!(quota.as_deref(), Some("billing-proj"));

    let ext = json!({"type": "external_account", "audience": "//iam.googleapis.com/p",
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
        "token_url": "http://127.0.0.1:9/v1/token",
        "credential_source": {"url": "http://127.0.0.1:9/subject", "headers": {"Metadata": "True"},
                              "format": {"type": "json", "subject_token_field_name": "access_token"}}});
    match kind_from_json(&ext).unwrap().0 {
        Kind::External {
            source:
                SubjectSource::Url {
                    headers,
                    json_field,
                    ..
                },
            ..
        } => {
            assert_eq!(headers, vec![("Metadata".to_string(), "True".to_string())]);
            assert_eq!(json_field.as_deref(), Some("access_token"));
        }
        k => panic!("{k:?}"),
    }
    let mut imp = ext.clone();
    imp["service_account_impersonation_url"] = json!(
        "http://127.0.0.1:9/v1/projects/-/serviceAccounts/sa@p.iam.gserviceaccount.com:generateAccessToken"
    );
    assert!(matches!(
        kind_from_json(&imp).unwrap().0,
        Kind::Impersonated { .. }
    ));

    let (k, who, _) = kind_from_json(&json!({"type": "impersonated_service_account",
        "service_account_impersonation_url": "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/t@p.iam.gserviceaccount.com:generateAccessToken",
        "source_credentials": {"type": "authorized_user", "client_id": "c", "client_secret": "s", "refresh_token": "r"}}))
    .unwrap();
    assert!(matches!(k, Kind::Impersonated { .. }));
    assert_eq!(
        who,
        "impersonated service account t@p.iam.gserviceaccount.com"
    );
}

#[test]
fn chain_order() {
    let dir = tempfile::tempdir().unwrap();
    let sa = dir.path().join("sa.json");
    std::fs::write(&sa, sa_json(&pem()).to_string()).unwrap();
    let gcloud = dir.path().join("application_default_credentials.json");
    std::fs::write(
        &gcloud,
        json!({"type": "authorized_user", "client_id": "c", "client_secret": "s", "refresh_token": "r"})
            .to_string(),
    )
    .unwrap();
    let all = AdcSettings {
        credentials_file: Some(sa.clone()),
        gcloud_adc_file: Some(gcloud.clone()),
        metadata_host: Some("127.0.0.1:1".into()),
    };
    let c = Credentials::from_settings(&all, http()).unwrap();
    assert!(
        c.describe().starts_with("service account reader@"),
        "{}",
        c.describe()
    );
    let c = Credentials::from_settings(
        &AdcSettings {
            credentials_file: None,
            ..all.clone()
        },
        http(),
    )
    .unwrap();
    assert!(
        c.describe().starts_with("gcloud user credentials"),
        "{}",
        c.describe()
    );
    let c = Credentials::from_settings(
        &AdcSettings {
            credentials_file: None,
            gcloud_adc_file: Some(dir.path().join("missing.json")),
            ..all.clone()
        },
        http(),
    )
    .unwrap();
    assert!(
        c.describe()
            .starts_with("the metadata server at 127.0.0.1:1"),
        "{}",
        c.describe()
    );
    // A named file that is not there is an error, as in gcloud.
    let e = Credentials::from_settings(
        &AdcSettings {
            credentials_file: Some(dir.path().join("nope.json")),
            ..all
        },
        http(),
    )
    .unwrap_err();
    assert!(e.starts_with("GOOGLE_APPLICATION_CREDENTIALS: "), "{e}");
}

#[tokio::test]
async fn no_metadata_server_is_an_auth_error_naming_the_chain() {
    // Port 1 on localhost refuses at once.
    let c = Credentials::from_settings(
        &AdcSettings {
            metadata_host: Some("127.0.0.1:1".into()),
            ..AdcSettings::default()
        },
        http(),
    )
    .unwrap();
    match c.token().await {
        Err(SourceError::Auth(m)) => {
            assert!(m.contains("no Google credentials found"), "{m}");
            assert!(m.contains("no GOOGLE_APPLICATION_CREDENTIALS"), "{m}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn oauth_and_google_error_bodies() {
    let s = reqwest::StatusCode::BAD_REQUEST;
    assert_eq!(
        error_text(
            s,
            r#"{"error": "invalid_grant", "error_description": "Invalid JWT Signature."}"#
        ),
        "HTTP 400: invalid_grant: Invalid JWT Signature."
    );
    assert_eq!(
        error_text(
            s,
            r#"{"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": "bad\nthing"}}"#
        ),
        "HTTP 400: INVALID_ARGUMENT: bad thing"
    );
    assert_eq!(error_text(s, "oops"), "HTTP 400: oops");
}
