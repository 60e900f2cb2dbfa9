//! The browser entry point: the page is rendered on the server, and only its islands (the
//! `#[island]` components of `app`) hydrate. Leptos' island script calls `hydrate()` once the
//! wasm module is loaded, then each island's exported function.

// The islands' exports live in `app`; naming the crate here keeps them in the linked module
// (leptos-rs/leptos#2083).
pub use app::components::enhance::Enhancements;

/// Called by the generated JS glue once the wasm module is loaded.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
