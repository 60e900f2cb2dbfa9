//! Sealing registry passwords: AES-256-GCM under the master key, a fresh random 96-bit nonce
//! per write, and associated data that binds the ciphertext to its credential and project (a
//! row's ciphertext copied onto another row does not open). Each sealed value records the ID
//! of the key that sealed it, so keys can rotate. Opening happens only where a password is
//! used; listing never opens anything.

use aes_gcm::{
    Aes256Gcm, Key, Nonce,
    aead::{Aead, KeyInit, OsRng, Payload, rand_core::RngCore},
};
use secrecy::SecretString;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::server::crypto::MasterKey;

/// A sealed password as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    /// Ciphertext with its 16-byte tag.
    pub ciphertext: Vec<u8>,
    /// The 12-byte nonce.
    pub nonce: Vec<u8>,
    /// The ID of the key that sealed it ([`key_id`]).
    pub key_id: String,
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sealed {{ key_id: {:?}, .. }}", self.key_id)
    }
}

/// Why a sealed value did not open.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// It was sealed under another key than the one given.
    #[error("sealed under key {0}, which is not loaded")]
    UnknownKey(String),
    /// The ciphertext, nonce or binding does not match: tampered with or moved.
    #[error("the sealed value does not open (tampered with, or copied from another row)")]
    Tampered,
}

/// A short public ID of a master key: the first 8 bytes of SHA-256 over a label and the key,
/// in hex. It names the key without revealing it.
pub fn key_id(key: &MasterKey) -> String {
    let digest = Sha256::new()
        .chain_update(b"berth master key id v1")
        .chain_update(key.bytes())
        .finalize();
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// The registry password's binding label.
const PASSWORD: &[u8] = b"berth registry credential v1";
/// The AWS secret access key's (and session token's) binding label: the secret of an ECR
/// credential copied into its password columns does not open as its password.
const AWS_SECRET: &[u8] = b"berth aws secret v1";

fn binding(label: &[u8], credential: Uuid, project: Uuid) -> Vec<u8> {
    let mut aad = label.to_vec();
    aad.extend_from_slice(credential.as_bytes());
    aad.extend_from_slice(project.as_bytes());
    aad
}

fn cipher(key: &MasterKey) -> Aes256Gcm {
    Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key.bytes()))
}

/// Seals `password` for credential `credential` of project `project`.
pub fn seal(key: &MasterKey, password: &str, credential: Uuid, project: Uuid) -> Sealed {
    seal_as(PASSWORD, key, password, credential, project)
}

/// Seals the AWS secret of an ECR credential (see [`AWS_SECRET`]).
pub fn seal_aws_secret(key: &MasterKey, secret: &str, credential: Uuid, project: Uuid) -> Sealed {
    seal_as(AWS_SECRET, key, secret, credential, project)
}

/// Opens what [`seal_aws_secret`] sealed.
pub fn open_aws_secret(
    keys: &[&MasterKey],
    sealed: &Sealed,
    credential: Uuid,
    project: Uuid,
) -> Result<SecretString, OpenError> {
    open_as(AWS_SECRET, keys, sealed, credential, project)
}

fn seal_as(
    label: &[u8],
    key: &MasterKey,
    password: &str,
    credential: Uuid,
    project: Uuid,
) -> Sealed {
    let mut nonce = [0u8; 12];
    OsRng.fill_bytes(&mut nonce);
    let aad = binding(label, credential, project);
    let ciphertext = cipher(key)
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: password.as_bytes(),
                aad: &aad,
            },
        )
        // AES-GCM fails only past 64 GiB; passwords are at most 64 KiB.
        .unwrap_or_default();
    Sealed {
        ciphertext,
        nonce: nonce.to_vec(),
        key_id: key_id(key),
    }
}

/// Opens a sealed password with whichever of `keys` sealed it.
pub fn open(
    keys: &[&MasterKey],
    sealed: &Sealed,
    credential: Uuid,
    project: Uuid,
) -> Result<SecretString, OpenError> {
    open_as(PASSWORD, keys, sealed, credential, project)
}

fn open_as(
    label: &[u8],
    keys: &[&MasterKey],
    sealed: &Sealed,
    credential: Uuid,
    project: Uuid,
) -> Result<SecretString, OpenError> {
    let key = keys
        .iter()
        .find(|k| key_id(k) == sealed.key_id)
        .ok_or_else(|| OpenError::UnknownKey(sealed.key_id.clone()))?;
    if sealed.nonce.len() != 12 {
        return Err(OpenError::Tampered);
    }
    let aad = binding(label, credential, project);
    let plain = cipher(key)
        .decrypt(
            Nonce::from_slice(&sealed.nonce),
            Payload {
                msg: &sealed.ciphertext,
                aad: &aad,
            },
        )
        .map_err(|_| OpenError::Tampered)?;
    String::from_utf8(plain)
        .map(SecretString::from)
        .map_err(|_| OpenError::Tampered)
}

/// Seals `msg` under `key` with associated data `aad` (a fresh nonce): for short-lived values
/// that must not be readable where they wait (the new-token cookie). Returns nonce and
/// ciphertext.
pub fn seal_bytes(key: &MasterKey, aad: &[u8], msg: &[u8]) -> ([u8; 12], Vec<u8>) {
    let mut nonce = [0u8; 12];
    OsRng.fill_bytes(&mut nonce);
    let ciphertext = cipher(key)
        .encrypt(Nonce::from_slice(&nonce), Payload { msg, aad })
        // AES-GCM fails only past 64 GiB.
        .unwrap_or_default();
    (nonce, ciphertext)
}

/// Opens what [`seal_bytes`] sealed with the same `aad`; `None` when anything differs.
pub fn open_bytes(key: &MasterKey, aad: &[u8], nonce: &[u8], ciphertext: &[u8]) -> Option<Vec<u8>> {
    if nonce.len() != 12 {
        return None;
    }
    cipher(key)
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .ok()
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    fn key(byte: &str) -> MasterKey {
        MasterKey::from_hex(&byte.repeat(32)).unwrap()
    }

    #[test]
    fn an_aws_secret_never_opens_as_a_password_nor_the_reverse() {
        let k = key("ab");
        let (cred, project) = (Uuid::now_v7(), Uuid::now_v7());
        let secret = seal_aws_secret(&k, "aws-secret-marker", cred, project);
        let opened = open_aws_secret(&[&k], &secret, cred, project).unwrap();
        assert_eq!(opened.expose_secret(), "aws-secret-marker");
        assert_eq!(
            open(&[&k], &secret, cred, project).unwrap_err(),
            OpenError::Tampered
        );
        let password = seal(&k, "password", cred, project);
        assert_eq!(
            open_aws_secret(&[&k], &password, cred, project).unwrap_err(),
            OpenError::Tampered
        );
    }

    #[test]
    fn a_sealed_password_opens_only_for_its_own_row_and_key() {
        let (k1, k2) = (key("ab"), key("cd"));
        let (cred, project) = (Uuid::now_v7(), Uuid::now_v7());
        let sealed = seal(&k1, "s3cret-marker", cred, project);

        assert!(!sealed.ciphertext.windows(6).any(|w| w == b"s3cret"));
        let opened = open(&[&k1], &sealed, cred, project).unwrap();
        assert_eq!(opened.expose_secret(), "s3cret-marker");
        assert_eq!(
            open(&[&k1], &sealed, Uuid::now_v7(), project).unwrap_err(),
            OpenError::Tampered
        );
        assert_eq!(
            open(&[&k1], &sealed, cred, Uuid::now_v7()).unwrap_err(),
            OpenError::Tampered
        );
        assert!(matches!(
            open(&[&k2], &sealed, cred, project),
            Err(OpenError::UnknownKey(_))
        ));
        assert_eq!(
            open(&[&k2, &k1], &sealed, cred, project)
                .unwrap()
                .expose_secret(),
            "s3cret-marker"
        );
        let mut flipped = sealed.clone();
        flipped.ciphertext[0] ^= 1;
        assert_eq!(
            open(&[&k1], &flipped, cred, project).unwrap_err(),
            OpenError::Tampered
        );
    }

    #[test]
    fn every_write_gets_a_fresh_nonce() {
        let k = key("ab");
        let (cred, project) = (Uuid::now_v7(), Uuid::now_v7());
        let a = seal(&k, "same", cred, project);
        let b = seal(&k, "same", cred, project);
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.ciphertext, b.ciphertext);
    }

    #[test]
    fn key_ids_differ_per_key_and_debug_hides_the_ciphertext() {
        assert_ne!(key_id(&key("ab")), key_id(&key("cd")));
        assert_eq!(key_id(&key("ab")).len(), 16);
        let sealed = seal(&key("ab"), "x", Uuid::nil(), Uuid::nil());
        assert!(!format!("{sealed:?}").contains("ciphertext"));
    }
}
