//! Form pieces beyond one-line inputs: a labelled select, a labelled text area, and a small
//! button that posts one form (remove, change role, switch project).

use leptos::prelude::*;

use crate::components::raw_text::rcdata_text;

/// A labelled `<select>` with its inline error.
#[component]
pub fn SelectField(
    /// Visible label (also the accessible name).
    label: &'static str,
    /// Form field name.
    name: &'static str,
    /// `(value, text)` of every option.
    options: Vec<(String, String)>,
    /// The value selected at first.
    #[prop(optional, into)]
    selected: Option<String>,
    /// Distinguishes several selects of one name on a page.
    #[prop(optional, into)]
    id_suffix: Option<String>,
    /// The field's error message, if any.
    #[prop(into)]
    error: Signal<Option<String>>,
) -> impl IntoView {
    let id = format!(
        "field-{name}{}",
        id_suffix.map(|s| format!("-{s}")).unwrap_or_default()
    );
    let error_id = format!("{id}-error");
    view! {
        <div class="space-y-1">
            <label for=id.clone() class="block text-sm font-medium">
                {label}
            </label>
            <select
                id=id
                name=name
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby={
                    let error_id = error_id.clone();
                    move || error.get().is_some().then(|| error_id.clone())
                }
                class="block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500 dark:border-slate-700 dark:bg-slate-900"
            >
                {options
                    .into_iter()
                    .map(|(value, text)| {
                        let is_selected = selected.as_deref() == Some(value.as_str());
                        view! {
                            <option value=value selected=is_selected>
                                {text}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            {move || {
                error
                    .get()
                    .map(|message| {
                        view! {
                            <p id=error_id.clone() class="text-sm text-red-600 dark:text-red-400">
                                {message}
                            </p>
                        }
                    })
            }}
        </div>
    }
}

/// A labelled `<textarea>` with its inline error. The text is written escaped on the server and
/// set as the `value` property in the browser: tachys writes textarea children unescaped, so
/// user text as a child would let `</textarea>` end the element (see `raw_text`).
#[component]
pub fn TextAreaField(
    /// Visible label.
    label: &'static str,
    /// Form field name.
    name: &'static str,
    /// The text shown at first.
    #[prop(optional, into)]
    value: String,
    /// Most characters the browser lets through (the server checks again).
    maxlength: u32,
    /// The field's error message, if any.
    #[prop(into)]
    error: Signal<Option<String>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    // Escaped in the server's HTML; in the browser a text node (and the property) holds it.
    let text = rcdata_text(&value);
    view! {
        <div class="space-y-1">
            <label for=id.clone() class="block text-sm font-medium">
                {label}
            </label>
            <textarea
                id=id
                name=name
                rows="3"
                maxlength=maxlength
                aria-invalid=move || error.get().is_some().then_some("true")
                class="block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500 dark:border-slate-700 dark:bg-slate-900"
                prop:value=value.clone()
            >
                {text}
            </textarea>
            {move || {
                error
                    .get()
                    .map(|message| {
                        view! {
                            <p id=error_id.clone() class="text-sm text-red-600 dark:text-red-400">
                                {message}
                            </p>
                        }
                    })
            }}
        </div>
    }
}

/// The classes of a secondary button.
pub const SECONDARY_BUTTON: &str = "rounded-md border border-slate-300 px-3 py-1 text-sm hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500 dark:border-slate-700 dark:hover:bg-slate-800";

/// The classes of a destructive button.
pub const DANGER_BUTTON: &str = "rounded-md border border-red-300 px-3 py-1 text-sm text-red-700 hover:bg-red-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-red-500 dark:border-red-800 dark:text-red-300 dark:hover:bg-red-950";

/// The classes of a primary link styled as a button.
pub const PRIMARY_LINK: &str =
    "rounded-md bg-sky-700 px-3 py-1 text-sm font-medium text-white hover:bg-sky-800";

/// The classes of a table header cell.
pub const TH: &str = "py-2 pr-4";

/// Breadcrumbs: `(text, link)` pairs, the last one the current page.
#[component]
pub fn Breadcrumbs(trail: Vec<(String, Option<String>)>) -> impl IntoView {
    let last = trail.len().saturating_sub(1);
    view! {
        <nav aria-label="Breadcrumb" class="text-sm text-slate-500 dark:text-slate-400">
            <ol class="flex flex-wrap gap-1">
                {trail
                    .into_iter()
                    .enumerate()
                    .map(|(i, (text, href))| {
                        let sep = (i > 0).then_some(view! { <span aria-hidden="true">"/"</span> });
                        let item = match href {
                            Some(href) if i != last => {
                                view! { <a href=href class="hover:underline">{text}</a> }.into_any()
                            }
                            _ => view! { <span aria-current="page">{text}</span> }.into_any(),
                        };
                        view! { <li class="flex gap-1">{sep} {item}</li> }
                    })
                    .collect_view()}
            </ol>
        </nav>
    }
}
