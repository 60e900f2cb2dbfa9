//! The key KCR tokens are signed with: an ECDSA P-256 key and a self-signed certificate for
//! it, in files beside the master key (created on first start, the key with mode 0600), and
//! the certificate bundle the registry trusts (`rootcertbundle`): the current certificate and
//! the ones retired by `berth kcr rotate-signing-key` while tokens they signed may still be
//! alive.
//!
//! Files in the key folder:
//! - `kcr-signing.key`: the private key, PKCS#8 PEM, mode 0600;
//! - `kcr-signing.crt`: its certificate (sent in every token's `x5c` header);
//! - `kcr-signing-next.key`/`.crt`: a staged key (`rotate-signing-key`), trusted by the bundle
//!   but not yet signing (`rotate-signing-key --activate`);
//! - `kcr-bundle.pem`: what the registry trusts; retired certificates carry a
//!   `# retired-at: UNIX-SECONDS` line and are left out once no token they signed can be live.
//!
//! A running Berth notices an activation by the key file's modification time and signs with
//! the new key from the next token on.

use std::{
    io::Write,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::SystemTime,
};

use base64::Engine;
use ring::{
    rand::SystemRandom,
    signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair},
};

/// How long a KCR token lives.
pub const TOKEN_SECS: i64 = 300;
/// The clock skew the registry allows (distribution: one minute).
pub const LEEWAY_SECS: i64 = 60;
/// How long a retired certificate stays in the bundle: past every token it signed.
pub const RETIRED_KEEP_SECS: i64 = TOKEN_SECS + LEEWAY_SECS + 60;

const KEY_FILE: &str = "kcr-signing.key";
const CERT_FILE: &str = "kcr-signing.crt";
const NEXT_KEY_FILE: &str = "kcr-signing-next.key";
const NEXT_CERT_FILE: &str = "kcr-signing-next.crt";
const LOCK_FILE: &str = "kcr-signing.lock";
const BUNDLE_FILE: &str = "kcr-bundle.pem";
const RETIRED: &str = "# retired-at: ";

/// A loaded signing key.
pub struct SigningKey {
    pair: EcdsaKeyPair,
    /// The JWT header, base64url, ready to prefix (it holds the certificate).
    header: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey([redacted])")
    }
}

impl SigningKey {
    fn from_files(key_pem: &str, cert_pem: &str) -> Result<Self, String> {
        let key_der = pem_blocks(key_pem, "PRIVATE KEY")
            .into_iter()
            .next()
            .ok_or("no PRIVATE KEY block")?;
        let cert_der = pem_blocks(cert_pem, "CERTIFICATE")
            .into_iter()
            .next()
            .ok_or("no CERTIFICATE block")?;
        let pair = EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            &key_der,
            &SystemRandom::new(),
        )
        .map_err(|e| format!("not a P-256 PKCS#8 key: {e}"))?;
        // The certificate must be this key's: tokens carry it, the registry checks with it.
        let public = pair.public_key().as_ref();
        if !cert_der.windows(public.len()).any(|w| w == public) {
            return Err("the certificate is not the key's (kcr-signing.crt and kcr-signing.key do not match)".into());
        }
        let header = serde_json::json!({
            "typ": "JWT",
            "alg": "ES256",
            "x5c": [base64::engine::general_purpose::STANDARD.encode(&cert_der)],
        });
        Ok(Self {
            pair,
            header: b64url(header.to_string().as_bytes()),
        })
    }

    /// A compact JWS of `claims` (ES256).
    pub fn sign(&self, claims: &serde_json::Value) -> Result<String, String> {
        let mut jwt = format!("{}.{}", self.header, b64url(claims.to_string().as_bytes()));
        let signature = self
            .pair
            .sign(&SystemRandom::new(), jwt.as_bytes())
            .map_err(|_| "signing failed".to_owned())?;
        jwt.push('.');
        jwt.push_str(&b64url(signature.as_ref()));
        Ok(jwt)
    }
}

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The DER contents of every `-----BEGIN {label}-----` block in `text`.
pub fn pem_blocks(text: &str, label: &str) -> Vec<Vec<u8>> {
    let (begin, end) = (
        format!("-----BEGIN {label}-----"),
        format!("-----END {label}-----"),
    );
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&begin) {
        let after = &rest[start + begin.len()..];
        let Some(stop) = after.find(&end) else { break };
        let body: String = after[..stop].split_whitespace().collect();
        if let Ok(der) = base64::engine::general_purpose::STANDARD.decode(body) {
            out.push(der);
        }
        rest = &after[stop + end.len()..];
    }
    out
}

#[cfg(test)]
fn pem(label: &str, der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// The signing key files of one folder.
#[derive(Clone, Debug)]
pub struct KeyFiles {
    dir: PathBuf,
}

impl KeyFiles {
    /// The files in `dir` (the master key's folder unless configured otherwise).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The private key file.
    pub fn key_path(&self) -> PathBuf {
        self.dir.join(KEY_FILE)
    }

    /// The certificate file.
    pub fn cert_path(&self) -> PathBuf {
        self.dir.join(CERT_FILE)
    }

    /// The bundle the registry trusts.
    pub fn bundle_path(&self) -> PathBuf {
        self.dir.join(BUNDLE_FILE)
    }

    /// The staged next key (`rotate-signing-key`, before `--activate`).
    fn next_key_path(&self) -> PathBuf {
        self.dir.join(NEXT_KEY_FILE)
    }

    /// The staged next key's certificate.
    fn next_cert_path(&self) -> PathBuf {
        self.dir.join(NEXT_CERT_FILE)
    }

    /// Loads the key, creating the key, certificate and bundle when there is no key yet
    /// (under a lock file, so replicas starting together on a shared folder make one key).
    pub fn load_or_create(&self) -> Result<SigningKey, String> {
        match std::fs::read_to_string(self.key_path()) {
            Ok(key) => {
                let cert = read(&self.cert_path())?;
                SigningKey::from_files(&key, &cert)
                    .map_err(|e| format!("KCR signing key {}: {e}", self.key_path().display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                create_private_dir(&self.dir)
                    .map_err(|e| format!("cannot create {}: {e}", self.dir.display()))?;
                let _lock = Lock::take(&self.dir.join(LOCK_FILE))?;
                if !self.key_path().exists() {
                    let (key, cert) = new_key()?;
                    self.write_bundle(&cert, None, None)?;
                    self.install(&key, &cert, &self.key_path(), &self.cert_path())?;
                }
                drop(_lock);
                self.load_or_create()
            }
            Err(e) => Err(format!("cannot read {}: {e}", self.key_path().display())),
        }
    }

    /// Stages a new key: the bundle trusts its certificate from now on, and Berth keeps
    /// signing with the current key until [`KeyFiles::activate`]; restart the registries in
    /// between, and no token is ever signed by a key they do not trust. Staging again
    /// replaces a staged key that was never activated.
    pub fn rotate(&self) -> Result<(), String> {
        let current = read(&self.cert_path())?;
        let (key, cert) = new_key()?;
        self.install(&key, &cert, &self.next_key_path(), &self.next_cert_path())?;
        self.write_bundle(&current, Some(&cert), None)
    }

    /// Signs with the staged key from now on; the old certificate stays in the bundle,
    /// marked retired, until no token it signed can be live.
    pub fn activate(&self) -> Result<(), String> {
        let (Ok(key), Ok(cert)) = (
            std::fs::read_to_string(self.next_key_path()),
            std::fs::read_to_string(self.next_cert_path()),
        ) else {
            return Err(
                "there is no staged key: run `berth kcr rotate-signing-key` first, then restart the registries".into(),
            );
        };
        SigningKey::from_files(&key, &cert).map_err(|e| format!("the staged key: {e}"))?;
        let old = read(&self.cert_path())?;
        self.write_bundle(&cert, None, Some(&old))?;
        self.install(&key, &cert, &self.key_path(), &self.cert_path())?;
        for staged in [self.next_key_path(), self.next_cert_path()] {
            std::fs::remove_file(&staged)
                .map_err(|e| format!("cannot remove {}: {e}", staged.display()))?;
        }
        Ok(())
    }

    /// Writes a key and its certificate: the certificate first (a key without its certificate
    /// would sign tokens nobody trusts), the key last, each atomically (a running Berth
    /// reloads on the key's change).
    fn install(
        &self,
        key: &str,
        cert: &str,
        key_path: &Path,
        cert_path: &Path,
    ) -> Result<(), String> {
        let fail = |what: &Path, e: std::io::Error| format!("cannot write {}: {e}", what.display());
        write_atomic(cert_path, cert.as_bytes(), 0o644).map_err(|e| fail(cert_path, e))?;
        write_atomic(key_path, key.as_bytes(), 0o600).map_err(|e| fail(key_path, e))
    }

    /// Writes the bundle: `current`, a staged `next`, the certificate `retiring` now, and the
    /// retired ones still needed.
    fn write_bundle(
        &self,
        current: &str,
        next: Option<&str>,
        retiring: Option<&str>,
    ) -> Result<(), String> {
        let now = now_secs();
        let mut bundle = format!("{BUNDLE_HEADER}{current}");
        if let Some(next) = next {
            bundle.push_str(&format!("# next (staged by rotate-signing-key)\n{next}"));
        }
        if let Some(old) = retiring {
            bundle.push_str(&format!("{RETIRED}{now}\n{old}"));
        }
        bundle.push_str(&self.still_trusted_retired(now));
        write_atomic(&self.bundle_path(), bundle.as_bytes(), 0o644)
            .map_err(|e| format!("cannot write {}: {e}", self.bundle_path().display()))
    }

    /// The retired certificates of the current bundle that may still verify a live token.
    fn still_trusted_retired(&self, now: i64) -> String {
        let Ok(text) = std::fs::read_to_string(self.bundle_path()) else {
            return String::new();
        };
        let mut out = String::new();
        for section in text.split(RETIRED).skip(1) {
            let (when, cert) = section.split_once('\n').unwrap_or((section, ""));
            let Ok(at) = when.trim().parse::<i64>() else {
                continue;
            };
            let cert = cert
                .split_inclusive('\n')
                .take_while(|l| !l.starts_with('#'));
            if now - at < RETIRED_KEEP_SECS {
                out.push_str(&format!("{RETIRED}{at}\n"));
                out.extend(cert);
            }
        }
        out
    }

    /// The bundle as the registry should trust it now: the current certificate, a staged one,
    /// and the retired ones still needed.
    pub fn bundle(&self) -> Result<String, String> {
        let cert = read(&self.cert_path())?;
        let next = std::fs::read_to_string(self.next_cert_path()).ok();
        let mut bundle = format!("{BUNDLE_HEADER}{cert}");
        if let Some(next) = next {
            bundle.push_str(&format!("# next (staged by rotate-signing-key)\n{next}"));
        }
        bundle.push_str(&self.still_trusted_retired(now_secs()));
        Ok(bundle)
    }
}

const BUNDLE_HEADER: &str = "# Berth KCR: certificates the registry trusts for tokens\n";

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// A new P-256 key (PKCS#8 PEM) and its self-signed certificate (PEM).
fn new_key() -> Result<(String, String), String> {
    let pair =
        rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(|e| e.to_string())?;
    let now = time::OffsetDateTime::now_utc();
    let mut params =
        rcgen::CertificateParams::new(Vec::<String>::new()).map_err(|e| e.to_string())?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Berth KCR token signer");
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(3650);
    params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
    let cert = params.self_signed(&pair).map_err(|e| e.to_string())?;
    Ok((pair.serialize_pem(), cert.pem()))
}

/// An exclusive lock file, removed when dropped. A lock older than a minute is a crashed
/// process's and is taken over.
struct Lock(PathBuf);

impl Lock {
    fn take(path: &Path) -> Result<Self, String> {
        let started = std::time::Instant::now();
        loop {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
            {
                Ok(_) => return Ok(Self(path.to_path_buf())),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let stale = std::fs::metadata(path)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.elapsed().ok())
                        .is_some_and(|age| age > std::time::Duration::from_secs(60));
                    if stale {
                        let _ = std::fs::remove_file(path);
                    } else if started.elapsed() > std::time::Duration::from_secs(30) {
                        return Err(format!("{} is held by another process", path.display()));
                    } else {
                        std::thread::sleep(std::time::Duration::from_millis(50));
                    }
                }
                Err(e) => return Err(format!("cannot create {}: {e}", path.display())),
            }
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.as_os_str().is_empty() || dir.exists() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Writes `path` through a temporary file and a rename, so a reader sees the old or the new
/// contents, never half of one.
fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = path.with_file_name(format!(".{name}.tmp{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(&tmp)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// The signing key of a running Berth, reloaded when the key file changes.
#[derive(Debug)]
pub struct Signer {
    files: KeyFiles,
    current: Mutex<(Option<SystemTime>, Arc<SigningKey>)>,
}

impl Signer {
    /// Loads (or creates) the key in `files`.
    pub fn load(files: KeyFiles) -> Result<Self, String> {
        let key = files.load_or_create()?;
        let modified = modified(&files.key_path());
        Ok(Self {
            files,
            current: Mutex::new((modified, Arc::new(key))),
        })
    }

    /// The key files.
    pub fn files(&self) -> &KeyFiles {
        &self.files
    }

    /// The key to sign with now (reloaded when `rotate-signing-key` replaced the file; a
    /// broken file keeps the old key and is logged).
    pub fn key(&self) -> Arc<SigningKey> {
        let now = modified(&self.files.key_path());
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if now.is_some() && now != current.0 {
            match self.files.load_or_create() {
                Ok(key) => *current = (now, Arc::new(key)),
                Err(e) => {
                    tracing::error!(error = %e, "could not reload the KCR signing key; still signing with the old one");
                    current.0 = now;
                }
            }
        }
        current.1.clone()
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Unix seconds now.
pub fn now_secs() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};

    fn temp_dir() -> PathBuf {
        std::env::temp_dir().join(format!("berth-kcr-{}", uuid::Uuid::now_v7()))
    }

    /// The public key inside a DER certificate (the 65-byte uncompressed point follows the
    /// P-256 OID and the bit string header).
    fn public_key(cert_der: &[u8]) -> Vec<u8> {
        let marker = [0x03, 0x42, 0x00, 0x04];
        let at = cert_der
            .windows(4)
            .position(|w| w == marker)
            .expect("an uncompressed P-256 point");
        cert_der[at + 3..at + 3 + 65].to_vec()
    }

    fn verify(jwt: &str, cert_der: &[u8]) -> bool {
        let (signed, sig) = jwt.rsplit_once('.').unwrap();
        let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(sig)
            .unwrap();
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, public_key(cert_der))
            .verify(signed.as_bytes(), &sig)
            .is_ok()
    }

    #[test]
    fn keys_are_created_once_private_and_sign_tokens_their_certificate_verifies() {
        let dir = temp_dir();
        let files = KeyFiles::new(&dir);
        let key = files.load_or_create().unwrap();
        let again = std::fs::read(files.key_path()).unwrap();
        files.load_or_create().unwrap();
        assert_eq!(
            std::fs::read(files.key_path()).unwrap(),
            again,
            "not recreated"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: PathBuf| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(files.key_path()), 0o600);
            assert_eq!(mode(dir.clone()), 0o700);
        }
        let jwt = key.sign(&serde_json::json!({"sub": "x"})).unwrap();
        let cert = pem_blocks(
            &std::fs::read_to_string(files.cert_path()).unwrap(),
            "CERTIFICATE",
        )
        .remove(0);
        assert!(verify(&jwt, &cert));
        assert!(!verify(&jwt.replace(".ey", ".eZ"), &cert));
        // The header carries the certificate.
        let header = jwt.split('.').next().unwrap();
        let header: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(header)
                .unwrap(),
        )
        .unwrap();
        assert_eq!(header["alg"], "ES256");
        let x5c = base64::engine::general_purpose::STANDARD
            .decode(header["x5c"][0].as_str().unwrap())
            .unwrap();
        assert_eq!(x5c, cert);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn rotation_stages_then_activates_and_the_bundle_trusts_what_may_be_live() {
        let dir = temp_dir();
        let files = KeyFiles::new(&dir);
        let signer = Signer::load(files.clone()).unwrap();
        let old_cert = std::fs::read_to_string(files.cert_path()).unwrap();
        let old_der = pem_blocks(&old_cert, "CERTIFICATE").remove(0);
        let certs = || {
            pem_blocks(
                &std::fs::read_to_string(files.bundle_path()).unwrap(),
                "CERTIFICATE",
            )
        };
        assert_eq!(certs(), std::slice::from_ref(&old_der));

        // Staged: the bundle trusts both, Berth still signs with the old key.
        files.rotate().unwrap();
        let next_der = pem_blocks(
            &std::fs::read_to_string(files.next_cert_path()).unwrap(),
            "CERTIFICATE",
        )
        .remove(0);
        assert_eq!(certs(), [old_der.clone(), next_der.clone()]);
        let still_old = signer.key().sign(&serde_json::json!({})).unwrap();
        assert!(verify(&still_old, &old_der));

        // Activated: the running signer picks up the new key; the old certificate stays
        // trusted, marked retired.
        std::thread::sleep(std::time::Duration::from_millis(20));
        files.activate().unwrap();
        let new_jwt = signer.key().sign(&serde_json::json!({})).unwrap();
        assert!(verify(&new_jwt, &next_der));
        assert!(!verify(&new_jwt, &old_der));
        assert_eq!(certs(), [next_der.clone(), old_der.clone()]);
        assert!(files.activate().unwrap_err().contains("no staged key"));

        // Long after, the retired certificate is dropped from a fresh bundle.
        let later = now_secs() + RETIRED_KEEP_SECS + 1;
        assert!(files.still_trusted_retired(later).is_empty());
        assert_eq!(
            pem_blocks(&files.still_trusted_retired(now_secs()), "CERTIFICATE").len(),
            1
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_certificate_of_another_key_is_refused() {
        let (key_a, _) = new_key().unwrap();
        let (_, cert_b) = new_key().unwrap();
        let err = SigningKey::from_files(&key_a, &cert_b).unwrap_err();
        assert!(err.contains("do not match"), "{err}");
    }

    #[test]
    fn replicas_starting_together_make_one_key() {
        let dir = temp_dir();
        let keys: Vec<Vec<u8>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    s.spawn(|| {
                        KeyFiles::new(&dir).load_or_create().unwrap();
                        std::fs::read(KeyFiles::new(&dir).key_path()).unwrap()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(keys.windows(2).all(|w| w[0] == w[1]));
        KeyFiles::new(&dir).load_or_create().unwrap();
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn pem_blocks_skip_comments_and_other_labels() {
        let text = format!(
            "# note\n{}junk\n{}",
            pem("CERTIFICATE", b"one"),
            pem("PRIVATE KEY", b"two")
        );
        assert_eq!(pem_blocks(&text, "CERTIFICATE"), vec![b"one".to_vec()]);
        assert_eq!(pem_blocks(&text, "PRIVATE KEY"), vec![b"two".to_vec()]);
    }
}
