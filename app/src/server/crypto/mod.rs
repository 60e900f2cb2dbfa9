//! The master key for secrets at rest: from `BERTH_SECRET_KEY`, or a key file created on first
//! run with mode 0600. The key never leaves this process: not in logs, not in `Debug`.
//!
//! Beside the key: `secrets` (sealing registry passwords under it) and `rotation` (re-sealing
//! them under a new one).

pub mod rotation;
pub mod secrets;

use std::{fmt, io::Write, path::Path};

use rand::RngCore;
use secrecy::{ExposeSecret, SecretBox, SecretString};

/// The 256-bit master key.
pub struct MasterKey(SecretBox<[u8; 32]>);

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey([redacted])")
    }
}

impl MasterKey {
    /// Reads 64 hex digits (surrounding white space ignored).
    pub fn from_hex(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.len() != 64 {
            return Err(format!("a key is 64 hex digits, not {}", text.len()));
        }
        let mut key = [0u8; 32];
        for (i, byte) in key.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16)
                .map_err(|_| "a key is 64 hex digits (0-9, a-f)".to_owned())?;
        }
        Ok(Self(SecretBox::new(Box::new(key))))
    }

    /// The key bytes, for the cipher.
    pub fn bytes(&self) -> &[u8; 32] {
        self.0.expose_secret()
    }

    fn mac(&self, purpose: &str, id: uuid::Uuid) -> hmac::Hmac<sha2::Sha256> {
        use hmac::Mac;
        use sha2::Digest;

        // A key of its own for tokens, derived from the master key: the sealing key is never
        // used for anything but sealing.
        let token_key = sha2::Sha256::new()
            .chain_update(b"berth token key\0")
            .chain_update(self.bytes())
            .finalize();
        let mut mac = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(&token_key)
            .expect("HMAC takes keys of any length");
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(id.as_bytes());
        mac
    }

    /// A token for `purpose` and `id` that only this key makes (HMAC-SHA256, hex): proof that
    /// whoever holds it was given it by Berth. Nothing needs storing; a new key voids old tokens.
    pub fn token(&self, purpose: &str, id: uuid::Uuid) -> String {
        use hmac::Mac;

        self.mac(purpose, id)
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Whether `token` is this key's token for `purpose` and `id` (compared in constant time).
    pub fn verify_token(&self, purpose: &str, id: uuid::Uuid, token: &str) -> bool {
        use hmac::Mac;

        let token = token.trim();
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return false;
        }
        let Ok(bytes) = (0..32)
            .map(|i| u8::from_str_radix(&token[2 * i..2 * i + 2], 16))
            .collect::<Result<Vec<u8>, _>>()
        else {
            return false;
        };
        self.mac(purpose, id).verify_slice(&bytes).is_ok()
    }

    /// The key from `secret` if given, else from `file`, created with mode 0600 when missing.
    pub fn load_or_create(secret: Option<&SecretString>, file: &Path) -> Result<Self, String> {
        if let Some(secret) = secret {
            return Self::from_hex(secret.expose_secret())
                .map_err(|e| format!("BERTH_SECRET_KEY: {e}"));
        }
        match std::fs::read_to_string(file) {
            Ok(text) => {
                Self::from_hex(&text).map_err(|e| format!("key file {}: {e}", file.display()))
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Self::create(file),
            Err(err) => Err(format!("cannot read key file {}: {err}", file.display())),
        }
    }

    fn create(file: &Path) -> Result<Self, String> {
        let fail = |e: std::io::Error| format!("cannot create key file {}: {e}", file.display());
        if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty())
            && !dir.exists()
        {
            // Private like the SQLite folder: only Berth's user reads what is in it.
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(dir).map_err(fail)?;
        }
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(file) {
            Ok(mut handle) => {
                handle.write_all(hex.as_bytes()).map_err(fail)?;
                handle.sync_all().map_err(fail)?;
                Ok(Self(SecretBox::new(Box::new(key))))
            }
            // Another process created it first: use theirs.
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                Self::load_or_create(None, file)
            }
            Err(err) => Err(fail(err)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_for_its_purpose_and_id_under_its_key_only() {
        let key = MasterKey::from_hex(&"ab".repeat(32)).unwrap();
        let other = MasterKey::from_hex(&"cd".repeat(32)).unwrap();
        let id = uuid::Uuid::now_v7();
        let token = key.token("invitation", id);

        assert!(key.verify_token("invitation", id, &token));
        assert!(!other.verify_token("invitation", id, &token));
        assert!(!key.verify_token("invitation", uuid::Uuid::now_v7(), &token));
        assert!(!key.verify_token("other", id, &token));
        assert!(!key.verify_token("invitation", id, &token[..63]));
        assert!(!key.verify_token("invitation", id, &"é".repeat(32)));
        assert!(!key.verify_token("invitation", id, &format!("+{}", &token[1..])));
    }

    #[test]
    fn a_missing_key_file_is_created_with_mode_0600_and_read_back() {
        let dir = std::env::temp_dir().join(format!("berth-key-{}", uuid::Uuid::now_v7()));
        let file = dir.join("secret.key");
        let first = MasterKey::load_or_create(None, &file).unwrap();
        let second = MasterKey::load_or_create(None, &file).unwrap();
        assert_eq!(first.bytes(), second.bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_key_must_be_64_hex_digits() {
        assert!(MasterKey::from_hex(&"ab".repeat(32)).is_ok());
        assert!(MasterKey::from_hex(&"ab".repeat(31)).is_err());
        assert!(MasterKey::from_hex(&"zz".repeat(32)).is_err());
    }

    #[test]
    fn debug_output_hides_the_key() {
        let key = MasterKey::from_hex(&"ab".repeat(32)).unwrap();
        assert_eq!(format!("{key:?}"), "MasterKey([redacted])");
    }
}
