//! A "Copy" button for a block of text: writes it to the clipboard and says "Copied"; where
//! the clipboard API is unavailable (an insecure origin, a refused permission) it selects the
//! text instead so Ctrl+C finishes the job. It appears only once the page is interactive:
//! without JavaScript it could do nothing.

use leptos::prelude::*;

/// A block of text with its copy button; `id` names the `<pre>` for the fallback selection.
#[component]
pub fn CopyBlock(
    /// Heading of the block.
    title: &'static str,
    /// The text, kept current.
    #[prop(into)]
    text: Signal<String>,
    /// A page-unique ID for the `<pre>`.
    id: String,
    /// Wrap long lines (a long URL in a table cell) instead of scrolling them.
    #[prop(optional)]
    wrap: bool,
) -> impl IntoView {
    let mounted = RwSignal::new(false);
    Effect::new(move |_| mounted.set(true));
    let label = RwSignal::new("Copy");
    let pre_id = id.clone();
    let title_id = format!("{id}-title");
    let copy = move |_| {
        let text = text.get_untracked();
        let pre_id = pre_id.clone();
        label.set("Copy");
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            label.set(if write_clipboard(&text).await {
                "Copied"
            } else {
                select_text(&pre_id);
                "Selected: press Ctrl+C"
            });
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = (text, pre_id);
    };
    view! {
        <div class="mt-3">
            <div class="flex items-center justify-between gap-2">
                <h3 id=title_id.clone() class="text-sm font-medium">
                    {title}
                </h3>
                {move || {
                    mounted
                        .get()
                        .then(|| {
                            view! {
                                <button
                                    type="button"
                                    on:click=copy.clone()
                                    aria-describedby=title_id.clone()
                                    class="rounded-md border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500 dark:border-slate-700 dark:hover:bg-slate-800"
                                >
                                    <span aria-live="polite">{move || label.get()}</span>
                                </button>
                            }
                        })
                }}
            </div>
            <pre
                id=id
                class="mt-1 overflow-x-auto rounded-md bg-slate-900 p-3 text-xs text-slate-100"
                class=("whitespace-pre-wrap", wrap)
                class=("break-all", wrap)
            >
                <code>{move || text.get()}</code>
            </pre>
        </div>
    }
}

/// Writes `text` to the clipboard; false when the API is missing or refuses.
#[cfg(feature = "hydrate")]
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

/// Selects the text of the element `id`.
#[cfg(feature = "hydrate")]
fn select_text(id: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let (Some(element), Ok(Some(selection))) =
        (document.get_element_by_id(id), document.get_selection())
    {
        let _ = selection.select_all_children(&element);
    }
}
