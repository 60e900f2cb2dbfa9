//! A block of text with a "Copy" button. The button is inert markup (`data-copy` names the
//! block): `enhance::Enhancements` handles every copy button of the page with one listener,
//! and the stylesheet hides the buttons until the page is interactive (without JavaScript a
//! copy button could do nothing). The text is read when the button is pressed, so a block
//! whose text follows a field (the push-path builder) copies what it shows. Its styles are
//! component classes in `style/main.css`: a page repeats them on every row.

use leptos::prelude::*;

/// A block of text with its copy button; `id` names the `<pre>` the button copies.
#[component]
pub fn CopyBlock(
    /// Heading of the block.
    title: &'static str,
    /// The text (a signal inside islands, where it may change).
    #[prop(into)]
    text: Signal<String>,
    /// A page-unique ID for the `<pre>`.
    id: String,
    /// Wrap long lines (a long URL in a table cell) instead of scrolling them.
    #[prop(optional)]
    wrap: bool,
) -> impl IntoView {
    let title_id = format!("{id}-title");
    view! {
        <div class="mt-3">
            <div class="flex items-center justify-between gap-2">
                <h3 id=title_id.clone() class="text-sm font-medium">
                    {title}
                </h3>
                <button
                    type="button"
                    data-copy=id.clone()
                    aria-describedby=title_id
                    class="copy-button"
                >
                    <span data-copy-label aria-live="polite">
                        "Copy"
                    </span>
                </button>
            </div>
            <pre
                id=id
                class="copy-text"
                class=("whitespace-pre-wrap", wrap)
                class=("break-all", wrap)
            >
                <code>{move || text.get()}</code>
            </pre>
        </div>
    }
}
