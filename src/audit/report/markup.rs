//! Building blocks of the HTML report that keep log text from becoming markup: escaping, and
//! tables whose cells are escaped on the way in.

use std::fmt::Write;

use super::charts::colour_of;
use super::wording::abbreviate_kind;

/// An HTML table whose cells are escaped on the way in.
pub struct Table {
    numeric: Vec<bool>,
    html: String,
}

impl Table {
    /// `headers`: each column's title and whether it holds numbers (right-aligned).
    pub fn new(headers: &[(&str, bool)]) -> Self {
        Self::with_kinds(headers, &[])
    }

    /// The `headers`, then one numeric column per kind, headed by the kind's chart colour.
    pub fn with_kinds(headers: &[(&str, bool)], kinds: &[&str]) -> Self {
        let mut html = String::from(r#"<div class="table"><table><thead><tr>"#);
        for (title, numeric) in headers {
            let class = if *numeric { r#" class="num""# } else { "" };
            let _ = write!(html, "<th{class}>{}</th>", escape_html(title));
        }
        for kind in kinds {
            // Short codes keep eleven columns within a printed page; the title says the kind.
            let _ = write!(
                html,
                r#"<th class="num"><abbr title="{}">{}{}</abbr></th>"#,
                escape_html(kind),
                swatch(kind),
                escape_html(&abbreviate_kind(kind))
            );
        }
        html.push_str("</tr></thead><tbody>");
        let mut numeric: Vec<bool> = headers.iter().map(|(_, numeric)| *numeric).collect();
        numeric.extend(kinds.iter().map(|_| true));
        Self { numeric, html }
    }

    pub fn row(&mut self, cells: &[&str]) {
        let escaped: Vec<String> = cells.iter().map(|cell| escape_html(cell)).collect();
        self.row_html(&escaped);
    }

    /// Cells already HTML (escaped by the caller).
    pub fn row_html(&mut self, cells: &[String]) {
        self.html.push_str("<tr>");
        for (i, cell) in cells.iter().enumerate() {
            let class = if self.numeric.get(i).copied().unwrap_or(false) {
                r#" class="num""#
            } else {
                ""
            };
            let _ = write!(self.html, "<td{class}>{cell}</td>");
        }
        self.html.push_str("</tr>");
    }

    pub fn write_to(&self, out: &mut String) {
        out.push_str(&self.html);
        out.push_str("</tbody></table></div>");
    }
}

/// A kind's name after a square of its chart colour, so that tables double as the legend.
pub fn label_kind(kind: &str) -> String {
    format!("{}{}", swatch(kind), escape_html(kind))
}

fn swatch(kind: &str) -> String {
    format!(
        r#"<span class="swatch" style="background:{}"></span>"#,
        colour_of(kind)
    )
}

pub use crate::html::escape_html;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_log_text_is_escaped() {
        assert_eq!(
            escape_html(r#"<script>alert('x')</script>&"#),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;"
        );
        assert_eq!(escape_html("a\"b\u{0}"), "a&quot;b\u{fffd}");
    }
}
