//! The figures of a run, printed as a Markdown table as they come in (so a run cut short
//! still shows what it measured).

use std::fmt::Write as _;

/// One measured figure.
#[derive(Clone, Debug)]
pub struct Figure {
    /// What was measured, e.g. "SSR page, 64 conns: throughput".
    pub what: String,
    /// The figure, with its unit.
    pub value: String,
    /// The floor measured in the same run, if any, with its unit.
    pub floor: String,
    /// The target, in words.
    pub target: String,
    /// "met", "missed by …", or "—".
    pub verdict: String,
}

/// Collected figures.
#[derive(Debug, Default)]
pub struct Report {
    figures: Vec<Figure>,
}

impl Report {
    /// Records and prints a figure.
    pub fn add(&mut self, what: &str, value: String, floor: String, target: &str, verdict: String) {
        let figure = Figure {
            what: what.to_owned(),
            value,
            floor,
            target: target.to_owned(),
            verdict,
        };
        println!("{}", row(&figure));
        self.figures.push(figure);
    }

    /// A figure with no floor and no target (context for the others).
    pub fn note(&mut self, what: &str, value: String) {
        self.add(what, value, "—".into(), "—", "—".into());
    }

    /// Prints a section heading.
    pub fn section(&mut self, title: &str) {
        println!("\n### {title}\n\n{HEADER}");
    }

    /// The whole table.
    pub fn markdown(&self) -> String {
        let mut out = format!("{HEADER}\n");
        for figure in &self.figures {
            let _ = writeln!(out, "{}", row(figure));
        }
        out
    }

    /// Targets missed, in words.
    pub fn missed(&self) -> Vec<String> {
        self.figures
            .iter()
            .filter(|f| f.verdict.starts_with("MISSED") || f.verdict.starts_with("FAILED"))
            .map(|f| format!("{}: {} ({})", f.what, f.value, f.verdict))
            .collect()
    }
}

const HEADER: &str =
    "| what | value | floor (same run) | target | verdict |\n|---|---|---|---|---|";

fn row(f: &Figure) -> String {
    format!(
        "| {} | {} | {} | {} | {} |",
        f.what, f.value, f.floor, f.target, f.verdict
    )
}

/// "met" when `value <= limit`, else by how much it is over.
pub fn at_most(value: f64, limit: f64, unit: &str) -> String {
    if value <= limit {
        "met".into()
    } else {
        format!(
            "MISSED by {:.1} {unit} ({:.0}% over)",
            value - limit,
            (value / limit - 1.0) * 100.0
        )
    }
}

/// "met" when `value >= limit`, else by how much it is under.
pub fn at_least(value: f64, limit: f64, unit: &str) -> String {
    if value >= limit {
        "met".into()
    } else {
        format!("MISSED by {:.1} {unit}", limit - value)
    }
}

/// "met" when `ok`, else the reason.
pub fn holds(ok: bool, why_not: impl FnOnce() -> String) -> String {
    if ok {
        "met".into()
    } else {
        format!("FAILED: {}", why_not())
    }
}

/// Bytes as MB with one decimal.
pub fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_048_576.0)
}
