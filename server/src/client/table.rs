//! Plain-text tables as Kalix prints them: a header row in capitals, columns left-aligned and
//! three spaces apart, no trailing blanks.

/// `header` and `rows` as lines.
pub fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                out.push_str("   ");
            }
            out.push_str(cell);
            let pad = widths[i].saturating_sub(cell.chars().count());
            out.extend(std::iter::repeat_n(' ', pad));
        }
        out.trim_end().to_owned() + "\n"
    };
    let mut out = line(header.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_three_spaces_apart_without_trailing_blanks() {
        let text = render(
            &["ID", "SERVER", "EMAIL"],
            &[
                vec!["1".into(), "ghcr.io".into(), String::new()],
                vec!["22".into(), "a".into(), "x@y".into()],
            ],
        );
        assert_eq!(
            text,
            "ID   SERVER    EMAIL\n1    ghcr.io\n22   a         x@y\n"
        );
    }
}
