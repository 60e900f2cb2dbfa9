//! Small choices the browser remembers between visits (the push-path tool), in its local
//! storage. Nothing on the server: without JavaScript, or when storage is refused (private
//! windows, policies), a choice simply is not remembered.

/// The value stored under `key`, if any.
pub fn load(key: &str) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        storage()?.get_item(key).ok().flatten()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = key;
        None
    }
}

/// Stores `value` under `key` (silently nothing when storage is refused).
pub fn save(key: &str, value: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(storage) = storage() {
        let _ = storage.set_item(key, value);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (key, value);
}

#[cfg(feature = "hydrate")]
fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}
