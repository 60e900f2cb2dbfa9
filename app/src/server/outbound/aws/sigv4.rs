//! AWS Signature Version 4: what a request to an AWS API carries to prove who sends it.
//! Written out here rather than taken from `aws-sigv4`, whose 53 crates (two `http` stacks,
//! the smithy types) cost more build time than the two calls Berth makes need; checked against
//! the published examples of AWS's signing test suite.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use time::{OffsetDateTime, format_description::FormatItem, macros::format_description};

/// An AWS principal's keys: long-lived (`AKIA…`) or a role session's (`ASIA…` with a token).
#[derive(Clone, Debug)]
pub struct Keys {
    /// The access key ID; not a secret (AWS shows it in consoles and logs).
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: SecretString,
    /// The session token of temporary keys.
    pub session_token: Option<SecretString>,
}

/// Where a signature is good: one region's one service.
#[derive(Clone, Copy, Debug)]
pub struct Scope<'a> {
    /// e.g. `eu-west-1`.
    pub region: &'a str,
    /// The signing name, e.g. `sts`, `ecr`.
    pub service: &'a str,
}

/// A request as it is signed.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// `GET`, `POST`, …
    pub method: &'a str,
    /// The `Host` header exactly as sent (with the port when it is not the scheme's default).
    pub host: &'a str,
    /// The absolute path, already URI-encoded.
    pub path: &'a str,
    /// Query parameters, not encoded.
    pub query: &'a [(&'a str, &'a str)],
    /// Other headers to sign and send (content type, `x-amz-target`).
    pub headers: &'a [(&'a str, &'a str)],
    /// The body.
    pub body: &'a [u8],
}

const AMZ_DATE: &[FormatItem<'static>] =
    format_description!("[year][month][day]T[hour][minute][second]Z");

/// The headers that sign `req` at `at`: `x-amz-date`, `x-amz-security-token` for temporary
/// keys, and `authorization`. Send them with the request's own headers.
pub fn sign(
    keys: &Keys,
    scope: Scope<'_>,
    req: &Request<'_>,
    at: OffsetDateTime,
) -> Vec<(&'static str, String)> {
    let amz_date = at
        .to_offset(time::UtcOffset::UTC)
        .format(AMZ_DATE)
        .unwrap_or_default();
    let mut added = vec![("x-amz-date", amz_date.clone())];
    if let Some(token) = &keys.session_token {
        added.push(("x-amz-security-token", token.expose_secret().to_owned()));
    }
    let mut headers: Vec<(String, String)> = req
        .headers
        .iter()
        .map(|&(name, value)| (name.to_owned(), value.to_owned()))
        .chain(std::iter::once(("host".to_owned(), req.host.to_owned())))
        .chain(added.iter().map(|(n, v)| ((*n).to_owned(), v.clone())))
        .map(|(name, value)| (name.to_ascii_lowercase(), canonical_value(&value)))
        .collect();
    headers.sort();
    let signed_headers = headers
        .iter()
        .map(|(name, _)| name.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let canonical_request = format!(
        "{}\n{}\n{}\n{}\n{signed_headers}\n{}",
        req.method,
        req.path,
        canonical_query(req.query),
        headers
            .iter()
            .map(|(name, value)| format!("{name}:{value}\n"))
            .collect::<String>(),
        hex(&Sha256::digest(req.body)),
    );
    let date = &amz_date[..8];
    let credential_scope = format!("{date}/{}/{}/aws4_request", scope.region, scope.service);
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{credential_scope}\n{}",
        hex(&Sha256::digest(canonical_request.as_bytes()))
    );
    let secret = format!("AWS4{}", keys.secret_access_key.expose_secret());
    let key = [date, scope.region, scope.service, "aws4_request"]
        .iter()
        .fold(secret.into_bytes(), |key, part| hmac(&key, part.as_bytes()));
    let signature = hex(&hmac(&key, string_to_sign.as_bytes()));
    added.push((
        "authorization",
        format!(
            "AWS4-HMAC-SHA256 Credential={}/{credential_scope}, SignedHeaders={signed_headers}, \
             Signature={signature}",
            keys.access_key_id
        ),
    ));
    added
}

/// A header value as signed: outer spaces trimmed, inner runs of spaces made one.
fn canonical_value(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The query as signed: every name and value encoded, sorted by name then value.
fn canonical_query(query: &[(&str, &str)]) -> String {
    let mut pairs: Vec<(String, String)> = query
        .iter()
        .map(|&(name, value)| (uri_encode(name), uri_encode(value)))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encoding as SigV4 wants it: everything but `A-Z a-z 0-9 - _ . ~`, in upper-case hex.
/// Also the encoding of the form bodies the query-protocol APIs (STS) take.
pub fn uri_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes a key of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn example_keys(secret: &str, token: Option<&str>) -> Keys {
        Keys {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: SecretString::from(secret),
            session_token: token.map(SecretString::from),
        }
    }

    const SUITE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    fn suite(method: &str, query: &[(&str, &str)]) -> String {
        let req = Request {
            method,
            host: "example.amazonaws.com",
            path: "/",
            query,
            headers: &[],
            body: b"",
        };
        let scope = Scope {
            region: "us-east-1",
            service: "service",
        };
        let signed = sign(
            &example_keys(SUITE_SECRET, None),
            scope,
            &req,
            datetime!(2015-08-30 12:36:00 UTC),
        );
        signed
            .iter()
            .find(|(name, _)| *name == "authorization")
            .unwrap()
            .1
            .clone()
    }

    #[test]
    fn the_signing_test_suite_vanilla_requests_sign_as_published() {
        let prefix = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/\
                      aws4_request, SignedHeaders=host;x-amz-date, Signature=";
        assert_eq!(
            suite("GET", &[]),
            format!("{prefix}5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        );
        assert_eq!(
            suite("POST", &[]),
            format!("{prefix}5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b")
        );
        // get-vanilla-query-order-key-case: parameters are sorted before signing.
        assert_eq!(
            suite("GET", &[("Param2", "value2"), ("Param1", "value1")]),
            format!("{prefix}b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")
        );
    }

    #[test]
    fn the_s3_get_object_example_signs_as_published() {
        // AWS's S3 documentation example: a signed Range header and a payload-hash header.
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let req = Request {
            method: "GET",
            host: "examplebucket.s3.amazonaws.com",
            path: "/test.txt",
            query: &[],
            headers: &[("Range", "bytes=0-9"), ("x-amz-content-sha256", empty)],
            body: b"",
        };
        let scope = Scope {
            region: "us-east-1",
            service: "s3",
        };
        let keys = Keys {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            ..example_keys("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", None)
        };
        let signed = sign(&keys, scope, &req, datetime!(2013-05-24 00:00:00 UTC));
        assert_eq!(
            signed.last().unwrap().1,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, \
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    #[test]
    fn a_session_token_is_sent_and_signed() {
        let req = Request {
            method: "POST",
            host: "example.amazonaws.com",
            path: "/",
            query: &[],
            headers: &[],
            body: b"{}",
        };
        let scope = Scope {
            region: "us-east-1",
            service: "ecr",
        };
        let at = datetime!(2015-08-30 12:36:00 UTC);
        let with = sign(&example_keys(SUITE_SECRET, Some("tok")), scope, &req, at);
        assert!(with.contains(&("x-amz-security-token", "tok".to_owned())));
        let auth = &with.last().unwrap().1;
        assert!(
            auth.contains("SignedHeaders=host;x-amz-date;x-amz-security-token,"),
            "{auth}"
        );
        let without = sign(&example_keys(SUITE_SECRET, None), scope, &req, at);
        assert_ne!(with.last(), without.last());
        // Another secret gives another signature; the secret itself is never in a header.
        let other = sign(&example_keys("another", None), scope, &req, at);
        assert_ne!(other.last(), without.last());
        assert!(with.iter().all(|(_, v)| !v.contains(SUITE_SECRET)));
    }

    #[test]
    fn query_values_are_encoded_as_aws_wants() {
        assert_eq!(uri_encode("a b/c~d_e.f-g"), "a%20b%2Fc~d_e.f-g");
        assert_eq!(uri_encode("é"), "%C3%A9");
        assert_eq!(
            canonical_query(&[("b", "2"), ("a", "x=y"), ("A", "0")]),
            "A=0&a=x%3Dy&b=2"
        );
        assert_eq!(canonical_value("  a   b  "), "a b");
    }
}
