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
    let region_label = title_id.clone();
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
            // A box that may scroll sideways: focusable and named, so a keyboard can scroll it.
            <pre
                id=id
                tabindex="0"
                role="region"
                aria-labelledby=region_label
                class="copy-text"
                class=("whitespace-pre-wrap", wrap)
                class=("break-all", wrap)
            >
                <code>{move || text.get()}</code>
            </pre>
        </div>
    }
}

/// A long value shown short (an ID, a digest), with a Copy button that copies the whole of it:
/// the full value sits beside it for screen readers and the button, out of sight.
#[component]
pub fn CopyShort(
    /// What is shown.
    short: String,
    /// What is copied (and read out).
    full: String,
    /// The tooltip of the short form.
    title: String,
    /// A page-unique ID for the full value.
    id: String,
    /// The button's accessible name, e.g. "Copy the ID of registry.example.com".
    label: String,
) -> impl IntoView {
    view! {
        <span class="whitespace-nowrap">
            <code title=title aria-hidden="true">
                {short}
            </code>
            <span id=id.clone() class="sr-only">
                {full}
            </span>
            <button type="button" data-copy=id aria-label=label class="copy-button ml-1">
                <span data-copy-label aria-live="polite">
                    "Copy"
                </span>
            </button>
        </span>
    }
}
