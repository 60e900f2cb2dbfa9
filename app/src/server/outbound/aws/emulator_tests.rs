//! The AWS calls against the tests' emulator (moto, started once per run by `scripts/test`
//! through `scripts/aws-emulator`): one server that takes any keys, one that checks SigV4
//! signatures and IAM policies as AWS does, with an IAM user of its own.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use super::{Aws, Keys, Role};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the tests with scripts/test, which starts the AWS emulator")
    })
}

fn open_aws() -> Aws {
    Aws::new(Some(env("BERTH_TEST_AWS_URL")), Duration::from_secs(10)).unwrap()
}

fn checking_aws() -> Aws {
    Aws::new(
        Some(env("BERTH_TEST_AWS_AUTH_URL")),
        Duration::from_secs(10),
    )
    .unwrap()
}

fn keys(id: &str, secret: &str) -> Keys {
    Keys {
        access_key_id: id.to_owned(),
        secret_access_key: SecretString::from(secret.to_owned()),
        session_token: None,
    }
}

/// The IAM user the checking emulator knows.
fn puller() -> Keys {
    keys(
        &env("BERTH_TEST_AWS_AUTH_KEY_ID"),
        &env("BERTH_TEST_AWS_AUTH_SECRET"),
    )
}

#[tokio::test]
async fn a_key_mints_an_ecr_login_for_its_own_account() {
    let token = open_aws()
        .ecr_token(&keys("AKIAIOSFODNN7EXAMPLE", "any"), "eu-west-1")
        .await
        .unwrap();
    assert_eq!(token.username, "AWS");
    // moto's tokens are `AWS:<account>-auth-token`, its accounts 123456789012 by default.
    assert_eq!(token.password.expose_secret(), "123456789012-auth-token");
    assert_eq!(
        token.proxy_endpoint,
        "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com"
    );
    // And moto's expiry is always 2015-01-01: the refresher must not take it as live.
    assert_eq!(token.expires_at.year(), 2015);
}

#[tokio::test]
async fn an_assumed_role_in_another_account_mints_that_account_login() {
    let aws = open_aws();
    let role = Role {
        arn: "arn:aws:iam::210987654321:role/berth-puller",
        external_id: Some("berth-ext-1"),
        session_name: "berth-test",
    };
    let session = aws
        .assume_role(&keys("AKIAIOSFODNN7EXAMPLE", "any"), "eu-west-1", role)
        .await
        .unwrap();
    assert!(
        session.keys.access_key_id.starts_with("ASIA"),
        "{session:?}"
    );
    assert!(session.keys.session_token.is_some());
    assert!(session.expires_at > time::OffsetDateTime::now_utc());
    let token = aws.ecr_token(&session.keys, "eu-west-1").await.unwrap();
    assert_eq!(token.password.expose_secret(), "210987654321-auth-token");
}

#[tokio::test]
async fn signatures_are_accepted_by_an_emulator_that_checks_them() {
    let aws = checking_aws();
    let token = aws.ecr_token(&puller(), "eu-west-1").await.unwrap();
    assert_eq!(token.password.expose_secret(), "123456789012-auth-token");
    // The session keys of an allowed role sign too (with their token).
    let allowed = Role {
        arn: "arn:aws:iam::123456789012:role/berth-allowed",
        external_id: None,
        session_name: "berth-test",
    };
    let session = aws
        .assume_role(&puller(), "eu-west-1", allowed)
        .await
        .unwrap();
    assert!(session.keys.access_key_id.starts_with("ASIA"));
}

#[tokio::test]
async fn a_wrong_secret_or_unknown_key_is_answered_with_aws_own_code() {
    let aws = checking_aws();
    let right = puller();
    let wrong_secret = keys(
        &right.access_key_id,
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    );
    let err = aws.ecr_token(&wrong_secret, "eu-west-1").await.unwrap_err();
    assert_eq!(err.code, "SignatureDoesNotMatch", "{err}");
    let unknown = keys(
        "AKIAXXXXXXXXXXXXXXXX",
        right.secret_access_key.expose_secret(),
    );
    let err = aws.ecr_token(&unknown, "eu-west-1").await.unwrap_err();
    assert_eq!(err.code, "InvalidClientTokenId", "{err}");
    let role = Role {
        arn: "arn:aws:iam::123456789012:role/berth-allowed",
        external_id: None,
        session_name: "berth-test",
    };
    let err = aws
        .assume_role(&unknown, "eu-west-1", role)
        .await
        .unwrap_err();
    assert_eq!(err.code, "InvalidClientTokenId", "{err}");
    // Neither the secret nor the signature is in what Berth would show.
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(
            !shown.contains(right.secret_access_key.expose_secret()),
            "{shown}"
        );
    }
}

#[tokio::test]
async fn a_role_the_key_may_not_assume_is_access_denied() {
    let denied = Role {
        arn: "arn:aws:iam::123456789012:role/someone-elses",
        external_id: None,
        session_name: "berth-test",
    };
    let err = checking_aws()
        .assume_role(&puller(), "eu-west-1", denied)
        .await
        .unwrap_err();
    assert_eq!(err.code, "AccessDenied", "{err}");
}

#[tokio::test]
async fn an_endpoint_that_does_not_answer_is_unreachable_not_a_hang() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let aws = Aws::new(Some(format!("http://{closed}")), Duration::from_secs(2)).unwrap();
    let err = aws
        .ecr_token(&keys("AKIAIOSFODNN7EXAMPLE", "s3cr3t-value"), "eu-west-1")
        .await
        .unwrap_err();
    assert_eq!(err.code, "Unreachable", "{err}");
    assert!(!err.to_string().contains("s3cr3t-value"));
}
