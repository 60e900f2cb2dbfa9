//! What every page gets once its script has loaded: one delegated handler for all "Copy"
//! buttons (`copy::CopyBlock` renders them, hidden until then), the tool tabs of the push-path
//! builder remembered between visits and kept alike in every scope (local storage), and
//! `data-hydrated="true"` on `<body>` (styles show the copy buttons by it; tests wait for it).
//!
//! The layout places this island last in the page: Leptos hydrates islands in document order,
//! so when it runs every island before it is live.

use leptos::prelude::*;

/// The page-wide enhancements; renders nothing of its own.
#[island]
pub fn Enhancements() -> impl IntoView {
    Effect::new(|_| {
        #[cfg(feature = "hydrate")]
        browser::install();
    });
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::wasm_bindgen::{JsCast, closure::Closure};
    use web_sys::{Element, Event};

    /// Listens for clicks on `[data-copy]` buttons and marks the page interactive.
    pub fn install() {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let on_click = Closure::<dyn Fn(Event)>::new(|event: Event| {
            let button = event
                .target()
                .and_then(|t| t.dyn_into::<Element>().ok())
                .and_then(|e| e.closest("[data-copy]").ok().flatten());
            if let Some(button) = button {
                leptos::task::spawn_local(copy(button));
            }
        });
        let on_change = Closure::<dyn Fn(Event)>::new(|event: Event| {
            let tool = event
                .target()
                .and_then(|t| t.dyn_into::<Element>().ok())
                .filter(|e| e.matches(".tool-radio").unwrap_or(false))
                .and_then(|e| e.get_attribute("data-tool"));
            if let Some(tool) = tool.and_then(|t| t.parse::<u8>().ok()) {
                if let Some(storage) = storage() {
                    let _ = storage.set_item(TOOL_KEY, &tool.to_string());
                }
                show_tool(tool);
            }
        });
        // One listener each for the page's lifetime: never removed, so never freed.
        for (kind, listener) in [("click", on_click), ("change", on_change)] {
            let _ =
                document.add_event_listener_with_callback(kind, listener.as_ref().unchecked_ref());
            listener.forget();
        }
        let remembered = storage().and_then(|s| s.get_item(TOOL_KEY).ok().flatten());
        if let Some(tool) = remembered.and_then(|t| t.parse::<u8>().ok()) {
            show_tool(tool);
        }
        if let Some(body) = document.body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    }

    /// Where the browser keeps the push-path tool last chosen.
    const TOOL_KEY: &str = "berth.push-tool";

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok().flatten()
    }

    /// Checks the radio of `tool` in every scope's tabs (the CSS shows its panel).
    fn show_tool(tool: u8) {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let selector = format!(".tool-radio[data-tool=\"{tool}\"]");
        if let Ok(radios) = document.query_selector_all(&selector) {
            for i in 0..radios.length() {
                if let Some(radio) = radios.item(i) {
                    let _ = js_sys::Reflect::set(&radio, &"checked".into(), &true.into());
                }
            }
        }
    }

    /// Copies the text of the element the button names; says "Copied", or selects the text
    /// where the clipboard is unavailable (an insecure origin, a refused permission).
    async fn copy(button: Element) {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let Some(target) = button
            .get_attribute("data-copy")
            .and_then(|id| document.get_element_by_id(&id))
        else {
            return;
        };
        let label = button
            .query_selector("[data-copy-label]")
            .ok()
            .flatten()
            .unwrap_or_else(|| button.clone());
        let text = target.text_content().unwrap_or_default();
        let said = if write_clipboard(&text).await {
            "Copied"
        } else {
            select_children(&document, &target);
            "Selected: press Ctrl+C"
        };
        label.set_text_content(Some(said));
    }

    /// Writes `text` to the clipboard; false when the API is missing or refuses.
    async fn write_clipboard(text: &str) -> bool {
        let Some(window) = web_sys::window() else {
            return false;
        };
        let navigator = window.navigator();
        let has_clipboard = js_sys::Reflect::get(&navigator, &"clipboard".into())
            .map(|v| !v.is_undefined())
            .unwrap_or(false);
        if !has_clipboard {
            return false;
        }
        let promise = navigator.clipboard().write_text(text);
        wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
    }

    fn select_children(document: &web_sys::Document, element: &Element) {
        if let Ok(Some(selection)) = document.get_selection() {
            let _ = selection.select_all_children(element);
        }
    }
}
