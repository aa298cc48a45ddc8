//! Account names from AWS Organizations through the real SDK against moto (with our plugin):
//! every page of ListAccounts for the management account, and a readable error where the
//! credentials may not list accounts (the console then keeps the names from its config).

mod support;

use agent_hubble::sources::aws_accounts::fetch;
use agent_hubble::sources::aws_securityhub::sdk_config;
use serde_json::json;
use support::*;

const MANAGEMENT: &str = "123456789012";

async fn register(moto: &Moto, id: &str, name: &str) {
    let r = reqwest::Client::new()
        .post(format!("{}/_hubble/organizations/accounts", moto.url))
        .json(&json!({"id": id, "name": name}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{r:?}");
}

#[tokio::test]
async fn names_every_account_across_pages_and_fails_readably_when_denied() {
    let moto = Moto::start();
    // 25 members: ListAccounts pages at 20 at most.
    for n in 0..25u64 {
        register(
            &moto,
            &format!("{:012}", 200_000_000_000 + n),
            &format!("team-{n:02}"),
        )
        .await;
    }
    register(&moto, MANAGEMENT, "security-tooling").await;
    let sdk = sdk_config(&moto.target("org", MANAGEMENT, "us-east-1")).await;
    let names = fetch(&sdk)
        .await
        .expect("the management account may list accounts");
    assert_eq!(names.len(), 26);
    assert_eq!(names["200000000024"], "team-24");
    assert_eq!(names[MANAGEMENT], "security-tooling");

    // A member that is not a delegated administrator may not.
    let member = sdk_config(&moto.target("member", "200000000003", "us-east-1")).await;
    let err = fetch(&member)
        .await
        .expect_err("a member may not list accounts")
        .to_string();
    assert!(
        err.contains("AccessDenied") || err.to_lowercase().contains("permission"),
        "{err}"
    );
    assert!(!err.contains('\n'), "one line: {err}");
}
