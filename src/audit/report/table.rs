//! Aligned plain-text tables, and making log text safe to print on a terminal.

/// How a column's cells line up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

#[derive(Debug)]
pub struct TextTable {
    headers: Vec<(String, Align)>,
    rows: Vec<Vec<String>>,
}

impl TextTable {
    pub fn new(headers: &[(&str, Align)]) -> Self {
        Self {
            headers: headers
                .iter()
                .map(|(title, align)| ((*title).to_owned(), *align))
                .collect(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    /// Writes the header, a rule and the rows, each line indented by two spaces.
    pub fn write_to(&self, out: &mut String) {
        let mut widths: Vec<usize> = self.headers.iter().map(|(h, _)| width(h)).collect();
        for row in &self.rows {
            for (column, cell) in row.iter().enumerate() {
                if let Some(w) = widths.get_mut(column) {
                    *w = (*w).max(width(cell));
                }
            }
        }
        let headers: Vec<String> = self.headers.iter().map(|(h, _)| h.clone()).collect();
        self.write_row(&headers, &widths, out);
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        self.write_row(&rule, &widths, out);
        for row in &self.rows {
            self.write_row(row, &widths, out);
        }
    }

    fn write_row(&self, cells: &[String], widths: &[usize], out: &mut String) {
        let mut line = String::from(" ");
        for (column, cell) in cells.iter().enumerate() {
            let w = widths.get(column).copied().unwrap_or(0);
            let pad = w.saturating_sub(width(cell));
            let last = column + 1 == cells.len();
            line.push(' ');
            match self.headers.get(column).map_or(Align::Left, |(_, a)| *a) {
                Align::Right => {
                    line.push_str(&" ".repeat(pad));
                    line.push_str(cell);
                }
                // The last column is not padded: no trailing spaces.
                Align::Left if last => line.push_str(cell),
                Align::Left => {
                    line.push_str(cell);
                    line.push_str(&" ".repeat(pad));
                }
            }
            line.push(' ');
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

fn width(text: &str) -> usize {
    text.chars().count()
}

/// Log text made safe to print: cookie names and paths come from visitors, and a control
/// character (an ANSI escape, a carriage return, a bidi override) could repaint the auditor's
/// terminal or disguise a row. Long values are cut so that tables stay readable.
pub fn sanitise_cell(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars * 4));
    for (i, c) in text.chars().enumerate() {
        if i + 1 == max_chars && text.chars().nth(max_chars).is_some() {
            out.push('…');
            break;
        }
        let hidden = c.is_control()
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}');
        out.push(if hidden { '?' } else { c });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_aligned_and_numbers_right_aligned() {
        let mut table = TextTable::new(&[("name", Align::Left), ("n", Align::Right)]);
        table.push(vec!["_ga".into(), "5".into()]);
        table.push(vec!["sessionid".into(), "1,234".into()]);
        let mut out = String::new();
        table.write_to(&mut out);
        assert_eq!(
            out,
            "  name           n\n  ---------  -----\n  _ga            5\n  sessionid  1,234\n"
        );
    }

    #[test]
    fn control_characters_and_bidi_overrides_are_neutralised() {
        assert_eq!(sanitise_cell("a\x1b[2Jb\r\u{202e}c", 40), "a?[2Jb??c");
    }

    #[test]
    fn long_values_are_cut_with_an_ellipsis() {
        assert_eq!(sanitise_cell("abcdef", 4), "abc…");
        assert_eq!(sanitise_cell("abcd", 4), "abcd");
    }
}
