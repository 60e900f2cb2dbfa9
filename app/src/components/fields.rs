//! Labelled form controls: one frame (label, control, hint, inline error, with the ids and
//! ARIA links between them derived from the field's name) and the controls built on it: a
//! one-line input, a select, a text area.

use leptos::prelude::*;

use crate::components::raw_text::rcdata_text;

/// The classes of a text input, select or text area.
/// The classes of a form control.
pub const CONTROL: &str = "block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500 aria-[invalid=true]:border-red-500 dark:border-slate-700 dark:bg-slate-900";

/// [`CONTROL`] in a monospaced face, for code and JSON.
pub const MONO_CONTROL: &str = "block w-full rounded-md border border-slate-300 bg-white px-3 py-2 font-mono text-xs shadow-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500 aria-[invalid=true]:border-red-500 dark:border-slate-700 dark:bg-slate-900";

/// The ids of one field: the control's, its hint's and its error's.
#[derive(Clone, Debug)]
pub struct FieldIds {
    /// The control's id (the label's `for`).
    pub id: String,
    /// The hint's id.
    pub hint: String,
    /// The error's id.
    pub error: String,
}

impl FieldIds {
    /// The ids of field `name`; `suffix` tells apart several fields of one name on a page.
    pub fn new(name: &str, suffix: Option<&str>) -> Self {
        let id = match suffix {
            Some(suffix) => format!("field-{name}-{suffix}"),
            None => format!("field-{name}"),
        };
        Self {
            hint: format!("{id}-hint"),
            error: format!("{id}-error"),
            id,
        }
    }

    /// The control's `aria-describedby`: its hint and, while there is one, its error.
    pub fn described_by(
        &self,
        hint: bool,
        error: Signal<Option<String>>,
    ) -> impl Fn() -> Option<String> + Send + Sync + 'static {
        let (hint_id, error_id) = (self.hint.clone(), self.error.clone());
        move || {
            let mut ids = Vec::new();
            if hint {
                ids.push(hint_id.clone());
            }
            if error.get().is_some() {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    }
}

/// A label, the control (children), an optional hint and the inline error.
#[component]
pub fn FieldFrame(
    /// Visible label (also the accessible name).
    label: &'static str,
    /// The field's ids.
    ids: FieldIds,
    /// A short hint under the control.
    #[prop(optional_no_strip)]
    hint: Option<&'static str>,
    /// The field's error message, if any.
    #[prop(into)]
    error: Signal<Option<String>>,
    /// The control, with `id = ids.id`.
    children: Children,
) -> impl IntoView {
    let error_id = ids.error.clone();
    view! {
        <div class="space-y-1">
            <label for=ids.id.clone() class="block text-sm font-medium">
                {label}
            </label>
            {children()}
            {hint
                .map(|text| {
                    view! {
                        <p id=ids.hint class="text-xs text-slate-500 dark:text-slate-400">
                            {text}
                        </p>
                    }
                })}
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

/// A labelled one-line input with its inline error.
#[component]
pub fn Field(
    /// Visible label (also the accessible name).
    label: &'static str,
    /// Form field name: the server function's argument.
    name: &'static str,
    /// Input type.
    #[prop(default = "text")]
    kind: &'static str,
    /// The value shown at first.
    #[prop(optional, into)]
    value: Option<String>,
    /// The field may be left empty.
    #[prop(optional)]
    optional: bool,
    /// Browser autofill hint.
    #[prop(optional)]
    autocomplete: Option<&'static str>,
    /// A short hint under the field.
    #[prop(optional)]
    hint: Option<&'static str>,
    /// Smallest length the browser enforces before submitting.
    #[prop(optional)]
    minlength: Option<u32>,
    /// Tells apart several fields of one name on a page.
    #[prop(optional, into)]
    id_suffix: Option<String>,
    /// The field's error message, if any.
    #[prop(into)]
    error: Signal<Option<String>>,
) -> impl IntoView {
    let ids = FieldIds::new(name, id_suffix.as_deref());
    let described_by = ids.described_by(hint.is_some(), error);
    view! {
        <FieldFrame label ids=ids.clone() hint error>
            <input
                id=ids.id.clone()
                name=name
                type=kind
                value=value.clone()
                autocomplete=autocomplete
                minlength=minlength
                required=!optional
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby=described_by
                class=CONTROL
            />
        </FieldFrame>
    }
}

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
    /// Tells apart several selects of one name on a page.
    #[prop(optional, into)]
    id_suffix: Option<String>,
    /// The field's error message, if any.
    #[prop(into)]
    error: Signal<Option<String>>,
) -> impl IntoView {
    let ids = FieldIds::new(name, id_suffix.as_deref());
    let described_by = ids.described_by(false, error);
    view! {
        <FieldFrame label ids=ids.clone() error>
            <select
                id=ids.id.clone()
                name=name
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby=described_by
                class=CONTROL
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
        </FieldFrame>
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
    /// Visible lines (default 3).
    #[prop(optional)]
    rows: Option<u32>,
    /// A short hint under the field.
    #[prop(optional)]
    hint: Option<&'static str>,
    /// Monospaced text (code, JSON).
    #[prop(optional)]
    mono: bool,
    /// The field's error message, if any.
    #[prop(into)]
    error: Signal<Option<String>>,
) -> impl IntoView {
    let ids = FieldIds::new(name, None);
    let described_by = ids.described_by(hint.is_some(), error);
    // Escaped in the server's HTML; in the browser a text node (and the property) holds it.
    let text = rcdata_text(&value);
    view! {
        <FieldFrame label ids=ids.clone() hint error>
            <textarea
                id=ids.id.clone()
                name=name
                rows=rows.unwrap_or(3)
                maxlength=maxlength
                spellcheck=mono.then_some("false")
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby=described_by
                class=if mono { MONO_CONTROL } else { CONTROL }
                prop:value=value.clone()
            >
                {text}
            </textarea>
        </FieldFrame>
    }
}
