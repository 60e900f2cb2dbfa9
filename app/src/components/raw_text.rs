//! User text inside the elements whose content tachys writes without escaping: `<title>` (through
//! `leptos_meta`) and `<textarea>` (RCDATA). Both decode character references, so the server
//! writes the text escaped; in the browser the text is set as a property (`document.title`,
//! `textarea.value`), which never parses markup. Pages use [`PageTitle`] and
//! `fields::TextAreaField`, never `leptos_meta::Title` or a bare `<textarea>` with children.

use leptos::prelude::*;

/// `text` with `&`, `<` and `>` written as character references: inside RCDATA (`<title>`,
/// `<textarea>`) the browser shows the original text, and no `</title>` can end the element.
pub fn escape_rcdata(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// The text to put between `<title>` or `<textarea>` tags in this build: escaped when rendered
/// to HTML on the server, as it is in the browser (where it becomes a property, not markup).
pub fn rcdata_text(text: &str) -> String {
    if cfg!(feature = "ssr") {
        escape_rcdata(text)
    } else {
        text.to_owned()
    }
}

/// The document title, with " · Berth" appended; safe for any text.
#[component]
pub fn PageTitle(
    /// The page's own part of the title (user text allowed).
    #[prop(into)]
    text: String,
) -> impl IntoView {
    let full = if text.is_empty() {
        "Berth".to_owned()
    } else {
        format!("{text} · Berth")
    };
    view! { <leptos_meta::Title text=rcdata_text(&full) /> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_rcdata_text_cannot_close_its_element() {
        let escaped = escape_rcdata("</title><img src=x onerror=alert(1)>&amp;");
        assert_eq!(
            escaped,
            "&lt;/title&gt;&lt;img src=x onerror=alert(1)&gt;&amp;amp;"
        );
        assert!(!escaped.contains('<'));
    }

    #[test]
    fn plain_text_is_left_as_it_is() {
        assert_eq!(escape_rcdata("Acme · Web \"shop\""), "Acme · Web \"shop\"");
    }

    #[test]
    fn pages_set_their_title_only_through_page_title() {
        // leptos_meta writes <title> text unescaped; every page must go through PageTitle.
        let mut offenders = Vec::new();
        for dir in ["src/pages", "src/components", "src"] {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("raw_text.rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    if text.contains("<Title")
                        || text.contains("<textarea") && !path.ends_with("fields.rs")
                    {
                        offenders.push(path.display().to_string());
                    }
                }
            }
        }
        assert!(
            offenders.is_empty(),
            "use PageTitle / TextAreaField in {offenders:?}"
        );
    }
}
