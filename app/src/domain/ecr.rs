//! Amazon ECR as a credential's source: the registry host (which names the account and the
//! region), the AWS keys that mint its 12-hour passwords, and the role they may assume.
//! These checks run in the form and on the server alike; AWS itself has the last word.

use crate::domain::{registry::canonical_host, secret::PasswordInput};
use crate::error::FieldErrors;

/// Longest session token AWS issues (they run to about 1,200 characters; role chaining more).
pub const SESSION_TOKEN_MAX_LEN: usize = 4_096;
/// Longest secret access key.
pub const SECRET_MAX_LEN: usize = 128;

/// An Amazon ECR credential to add, read from its form and checked.
#[derive(Clone, Debug)]
pub struct NewEcrCredential {
    /// The server as given.
    pub server: String,
    /// Its canonical registry host.
    pub registry_host: String,
    /// The account and region the host names.
    pub host: EcrHost,
    pub access_key_id: String,
    pub secret_access_key: PasswordInput,
    /// For temporary (`ASIA…`) keys.
    pub session_token: Option<PasswordInput>,
    pub role: Option<RoleArn>,
    pub external_id: Option<String>,
}

/// The AWS fields of an ECR form, read and checked, each error on its field.
struct KeyFields {
    access_key_id: Option<String>,
    session_token: Option<PasswordInput>,
    role: Option<RoleArn>,
    external_id: Option<Option<String>>,
}

impl KeyFields {
    /// Reads the key ID, the session token, the role and its external ID; `secret` (when
    /// given) is checked too.
    fn read(
        errs: &mut FieldErrors,
        access_key_id: &str,
        secret: Option<&PasswordInput>,
        session_token: PasswordInput,
        role_arn: &str,
        external_id: &str,
    ) -> Self {
        let access_key_id = errs.check(field::ACCESS_KEY_ID, check_access_key_id(access_key_id));
        if let Some(secret) = secret {
            errs.check(
                field::SECRET_ACCESS_KEY,
                check_aws_secret("secret access key", secret.expose(), SECRET_MAX_LEN),
            );
        }
        let session_token = if session_token.expose().is_empty() {
            // Temporary keys need their token, unless the stored secret (and its token) stays.
            if secret.is_some()
                && access_key_id
                    .as_deref()
                    .is_some_and(|id| id.starts_with("ASIA"))
            {
                errs.insert(
                    field::SESSION_TOKEN,
                    "Keys that start with ASIA are temporary: enter their session token too.",
                );
            }
            None
        } else {
            errs.check(
                field::SESSION_TOKEN,
                check_aws_secret(
                    "session token",
                    session_token.expose(),
                    SESSION_TOKEN_MAX_LEN,
                ),
            );
            Some(session_token)
        };
        let role = if role_arn.trim().is_empty() {
            None
        } else {
            errs.check(field::ROLE_ARN, RoleArn::parse(role_arn))
        };
        let external_id = errs.check(field::EXTERNAL_ID, check_external_id(external_id));
        if external_id.as_ref().is_some_and(Option::is_some) && role_arn.trim().is_empty() {
            errs.insert(
                field::EXTERNAL_ID,
                "An external ID goes with a role to assume: enter the role's ARN, or leave this empty.",
            );
        }
        Self {
            access_key_id,
            session_token,
            role,
            external_id,
        }
    }
}

impl NewEcrCredential {
    /// Reads the ECR form: every field checked, each error on its field.
    pub fn parse(
        server: &str,
        access_key_id: &str,
        secret_access_key: PasswordInput,
        session_token: PasswordInput,
        role_arn: &str,
        external_id: &str,
    ) -> Result<Self, FieldErrors> {
        const SERVER: &str = field::REGISTRY_HOST;
        let mut errs = FieldErrors::new();
        let registry_host = errs.check(SERVER, canonical_host(server));
        let host = registry_host
            .as_deref()
            .and_then(|h| errs.check(SERVER, EcrHost::parse(h)));
        let keys = KeyFields::read(
            &mut errs,
            access_key_id,
            Some(&secret_access_key),
            session_token,
            role_arn,
            external_id,
        );
        errs.finish()?;
        match (registry_host, host, keys.access_key_id, keys.external_id) {
            (Some(registry_host), Some(host), Some(access_key_id), Some(external_id)) => Ok(Self {
                server: server.trim().to_owned(),
                registry_host,
                host,
                access_key_id,
                secret_access_key,
                session_token: keys.session_token,
                role: keys.role,
                external_id,
            }),
            _ => Err(FieldErrors::one(SERVER, "The form could not be read.")),
        }
    }
}

/// New AWS keys, or another role, for a stored ECR credential (its registry stays): read from
/// its edit form. A blank secret keeps the stored secret and session token, which only the
/// same key ID may do (the rule checks that against what is stored).
#[derive(Clone, Debug)]
pub struct EcrChange {
    pub access_key_id: String,
    /// `None`: keep the stored secret key and session token.
    pub secret_access_key: Option<PasswordInput>,
    pub session_token: Option<PasswordInput>,
    pub role: Option<RoleArn>,
    pub external_id: Option<String>,
}

impl EcrChange {
    /// Reads the ECR edit form: every field checked, each error on its field.
    pub fn parse(
        access_key_id: &str,
        secret_access_key: PasswordInput,
        session_token: PasswordInput,
        role_arn: &str,
        external_id: &str,
    ) -> Result<Self, FieldErrors> {
        let mut errs = FieldErrors::new();
        let secret = (!secret_access_key.expose().is_empty()).then_some(secret_access_key);
        if secret.is_none() && !session_token.expose().is_empty() {
            errs.insert(
                field::SECRET_ACCESS_KEY,
                "A new session token comes with its keys: enter the secret access key too.",
            );
        }
        let keys = KeyFields::read(
            &mut errs,
            access_key_id,
            secret.as_ref(),
            session_token,
            role_arn,
            external_id,
        );
        errs.finish()?;
        match (keys.access_key_id, keys.external_id) {
            (Some(access_key_id), Some(external_id)) => Ok(Self {
                access_key_id,
                secret_access_key: secret,
                session_token: keys.session_token,
                role: keys.role,
                external_id,
            }),
            _ => Err(FieldErrors::one(
                field::ACCESS_KEY_ID,
                "The form could not be read.",
            )),
        }
    }
}

/// The names of the ECR fields of the credential forms (and the keys of their errors).
pub mod field {
    /// The registry host (`ACCOUNT.dkr.ecr.REGION.amazonaws.com`).
    pub const REGISTRY_HOST: &str = "registry_host";
    /// The AWS access key ID.
    pub const ACCESS_KEY_ID: &str = "aws_access_key_id";
    /// The AWS secret access key (write-only).
    pub const SECRET_ACCESS_KEY: &str = "aws_secret_access_key";
    /// The session token of temporary keys (write-only, optional).
    pub const SESSION_TOKEN: &str = "aws_session_token";
    /// The role to assume (optional).
    pub const ROLE_ARN: &str = "aws_role_arn";
    /// The role's external ID (optional).
    pub const EXTERNAL_ID: &str = "aws_external_id";
}

/// Which form field an AWS error code is about: a key AWS does not know is the key ID's, a
/// signature that does not match is the secret's, a refused role is the role's.
pub fn field_of_aws_code(code: &str, has_role: bool) -> &'static str {
    match code {
        "InvalidClientTokenId" | "UnrecognizedClientException" => field::ACCESS_KEY_ID,
        "SignatureDoesNotMatch" | "InvalidSignatureException" | "IncompleteSignature" => {
            field::SECRET_ACCESS_KEY
        }
        "ExpiredToken" | "ExpiredTokenException" => field::SESSION_TOKEN,
        "AccessDenied" | "AccessDeniedException" if has_role => field::ROLE_ARN,
        _ => field::ACCESS_KEY_ID,
    }
}

/// An ECR registry host, `ACCOUNT.dkr.ecr[-fips].REGION.amazonaws.com[.cn]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EcrHost {
    /// The 12-digit account that owns the registry.
    pub account: String,
    /// The region, e.g. `eu-west-1`.
    pub region: String,
}

impl EcrHost {
    /// Reads a canonical registry host (see [`crate::domain::registry::canonical_host`]).
    pub fn parse(host: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "{host} is not an Amazon ECR registry: use ACCOUNT.dkr.ecr.REGION.amazonaws.com, \
                 e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com."
            )
        };
        let rest = host
            .strip_suffix(".amazonaws.com")
            .or_else(|| host.strip_suffix(".amazonaws.com.cn"))
            .ok_or_else(bad)?;
        let labels: Vec<&str> = rest.split('.').collect();
        let [account, "dkr", ecr, region] = labels[..] else {
            return Err(bad());
        };
        if !matches!(ecr, "ecr" | "ecr-fips") {
            return Err(bad());
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "{account} is not an AWS account ID: ECR hosts start with the 12-digit account."
            ));
        }
        check_region(region)?;
        let china = host.ends_with(".cn");
        if china != region.starts_with("cn-") {
            return Err(bad());
        }
        Ok(Self {
            account: account.to_owned(),
            region: region.to_owned(),
        })
    }
}

/// An AWS region name: `eu-west-1`, `us-gov-east-1`, `cn-north-1`, `ap-southeast-4`.
pub fn check_region(region: &str) -> Result<(), String> {
    let parts: Vec<&str> = region.split('-').collect();
    let ok = parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
        && region.len() <= 32;
    if ok {
        Ok(())
    } else {
        Err(format!("{region} is not an AWS region (like eu-west-1)."))
    }
}

/// An IAM role to assume, `arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleArn {
    /// The ARN as given (trimmed).
    pub arn: String,
    /// The account the role is in.
    pub account: String,
}

impl RoleArn {
    /// Reads a role ARN.
    pub fn parse(input: &str) -> Result<Self, String> {
        let arn = input.trim();
        let bad = || {
            "Use the role's ARN, like arn:aws:iam::123456789012:role/berth-puller (IAM → Roles \
             → the role → ARN)."
                .to_owned()
        };
        if arn.len() > 2048 {
            return Err("A role ARN has at most 2048 characters.".into());
        }
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let ["arn", partition, "iam", "", account, resource] = parts[..] else {
            return Err(bad());
        };
        if !matches!(partition, "aws" | "aws-cn" | "aws-us-gov") {
            return Err(bad());
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let name = resource.strip_prefix("role/").ok_or_else(bad)?;
        let name_ok = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
        };
        if !name.split('/').all(name_ok) {
            return Err(bad());
        }
        Ok(Self {
            arn: arn.to_owned(),
            account: account.to_owned(),
        })
    }

    /// What to tell a person whose role is in another account than the registry: it works
    /// only when the registry's repository policy lets that account pull.
    pub fn cross_account_note(&self, host: &EcrHost) -> Option<String> {
        (self.account != host.account).then(|| {
            format!(
                "The role is in account {} and the registry in account {}: pulls work only if \
                 the registry's repository policy allows account {}.",
                self.account, host.account, self.account
            )
        })
    }
}

/// An access key ID: `AKIA…` (an IAM user's) or `ASIA…` (temporary, with a session token).
pub fn check_access_key_id(input: &str) -> Result<String, String> {
    let id = input.trim();
    if id.is_empty() {
        return Err("Enter the access key ID (it starts with AKIA).".into());
    }
    if !(16..=128).contains(&id.len()) || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(
            "An access key ID is 16 to 128 letters and digits, like AKIAIOSFODNN7EXAMPLE.".into(),
        );
    }
    Ok(id.to_owned())
}

/// A secret access key or session token: printable, without spaces.
pub fn check_aws_secret(what: &str, input: &str, max: usize) -> Result<(), String> {
    if input.is_empty() {
        return Err(format!("Enter the {what}."));
    }
    if input.len() > max {
        return Err(format!("A {what} has at most {max} characters."));
    }
    if !input.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!(
            "The {what} cannot contain spaces or characters outside ASCII; paste it as AWS shows it."
        ));
    }
    Ok(())
}

/// The external ID a role's trust policy may require: 2 to 1224 of `A-Z a-z 0-9 +=,.@:/-_`.
pub fn check_external_id(input: &str) -> Result<Option<String>, String> {
    let id = input.trim();
    if id.is_empty() {
        return Ok(None);
    }
    let ok = (2..=1224).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@:/-_".contains(&b));
    if ok {
        Ok(Some(id.to_owned()))
    } else {
        Err("An external ID is 2 to 1224 letters, digits or + = , . @ : / - _.".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecr_hosts_name_their_account_and_region() {
        let host = EcrHost::parse("123456789012.dkr.ecr.eu-west-1.amazonaws.com").unwrap();
        assert_eq!(
            (host.account.as_str(), host.region.as_str()),
            ("123456789012", "eu-west-1")
        );
        let fips = EcrHost::parse("123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com").unwrap();
        assert_eq!(fips.region, "us-gov-west-1");
        let china = EcrHost::parse("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn").unwrap();
        assert_eq!(china.region, "cn-north-1");
    }

    #[test]
    fn other_hosts_are_refused_with_the_expected_shape() {
        for host in [
            "ghcr.io",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.example",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com.cn",
            "x.123456789012.dkr.ecr.eu-west-1.amazonaws.com",
            "123456789012.dkr.ecs.eu-west-1.amazonaws.com",
        ] {
            let err = EcrHost::parse(host).unwrap_err();
            assert!(err.contains("ACCOUNT.dkr.ecr.REGION"), "{host}: {err}");
        }
        for host in [
            "123456789012.dkr.ecr.eu_west-1.amazonaws.com",
            "123456789012.dkr.ecr.eu-west.amazonaws.com",
        ] {
            let err = EcrHost::parse(host).unwrap_err();
            assert!(err.contains("is not an AWS region"), "{host}: {err}");
        }
        let err = EcrHost::parse("12345.dkr.ecr.eu-west-1.amazonaws.com").unwrap_err();
        assert!(err.contains("12-digit account"), "{err}");
    }

    #[test]
    fn role_arns_are_read_and_cross_account_roles_explained() {
        let role = RoleArn::parse(" arn:aws:iam::210987654321:role/ci/berth-puller ").unwrap();
        assert_eq!(role.arn, "arn:aws:iam::210987654321:role/ci/berth-puller");
        let host = EcrHost::parse("123456789012.dkr.ecr.eu-west-1.amazonaws.com").unwrap();
        let note = role.cross_account_note(&host).unwrap();
        assert!(note.contains("allows account 210987654321"), "{note}");
        let same = RoleArn::parse("arn:aws:iam::123456789012:role/puller").unwrap();
        assert_eq!(same.cross_account_note(&host), None);
        for bad in [
            "",
            "puller",
            "arn:aws:iam::123456789012:user/puller",
            "arn:aws:sts::123456789012:role/puller",
            "arn:aws:iam::12345:role/puller",
            "arn:evil:iam::123456789012:role/puller",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:iam::123456789012:role/a b",
        ] {
            assert!(RoleArn::parse(bad).is_err(), "{bad:?} was taken");
        }
    }

    #[test]
    fn the_form_is_read_with_each_error_on_its_field() {
        let ok = NewEcrCredential::parse(
            " https://123456789012.dkr.ecr.eu-west-1.amazonaws.com ",
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            "".into(),
            "arn:aws:iam::210987654321:role/puller",
            "ext-1",
        )
        .unwrap();
        assert_eq!(
            ok.registry_host,
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
        );
        assert_eq!(ok.host.region, "eu-west-1");
        assert_eq!(ok.external_id.as_deref(), Some("ext-1"));
        assert!(ok.session_token.is_none());

        let errs = NewEcrCredential::parse(
            "ghcr.io",
            "ASIAIOSFODNN7EXAMPLE",
            "".into(),
            "".into(),
            "",
            "ext-1",
        )
        .unwrap_err();
        assert!(
            errs.get(field::REGISTRY_HOST)
                .unwrap()
                .contains("not an Amazon ECR registry")
        );
        assert!(
            errs.get(field::SECRET_ACCESS_KEY)
                .unwrap()
                .starts_with("Enter")
        );
        assert!(errs.get(field::SESSION_TOKEN).unwrap().contains("ASIA"));
        assert!(
            errs.get(field::EXTERNAL_ID)
                .unwrap()
                .contains("role to assume")
        );
        assert_eq!(errs.len(), 4);
    }

    #[test]
    fn keys_and_external_ids_are_checked_for_shape() {
        assert_eq!(
            check_access_key_id(" AKIAIOSFODNN7EXAMPLE ").unwrap(),
            "AKIAIOSFODNN7EXAMPLE"
        );
        assert!(check_access_key_id("AKIA").is_err());
        assert!(check_access_key_id("AKIAIOSFODNN7EXAMPL!").is_err());
        assert!(
            check_access_key_id("")
                .unwrap_err()
                .contains("starts with AKIA")
        );
        assert!(
            check_aws_secret(
                "secret access key",
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                128
            )
            .is_ok()
        );
        assert!(check_aws_secret("secret access key", "with space", 128).is_err());
        assert!(
            check_aws_secret("secret access key", "", 128)
                .unwrap_err()
                .starts_with("Enter")
        );
        assert!(check_aws_secret("session token", &"a".repeat(5000), 4096).is_err());
        assert_eq!(check_external_id("  ").unwrap(), None);
        assert_eq!(
            check_external_id("ext-123").unwrap().as_deref(),
            Some("ext-123")
        );
        assert!(check_external_id("x").is_err());
        assert!(check_external_id("has space").is_err());
    }
}
