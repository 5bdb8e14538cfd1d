//! The HTML report's two charts, drawn as inline SVG (no script, no external asset, and they
//! print): violations per day stacked by kind, and the top cookies as horizontal bars.

use std::fmt::Write;

use time::{Date, Month};

use super::labels::Labels;
use super::markup::escape_html;
use super::summary::{DayRow, Report};
use super::wording::format_count;
use crate::cli::Lang;

const WIDTH: u32 = 960;
/// A continuous axis stops being readable past this many days; then only days with
/// violations are drawn.
const MAX_CONTINUOUS_DAYS: usize = 400;

/// A colour per kind, fixed so that the same kind looks the same in both charts and in every
/// report; chosen to stay apart for the common forms of colour blindness.
pub fn colour_of(kind: &str) -> &'static str {
    match kind {
        "no-consent" => "#e69f00",
        "refused" => "#d55e00",
        "undeclared" => "#cc79a7",
        "lifetime-exceeded" => "#0072b2",
        "attribute-missing" => "#009e73",
        "malformed" => "#555555",
        _ => "#999999",
    }
}

/// Stacked bars, one per day from the first to the last day with a violation.
pub fn draw_per_day_chart(report: &Report, l: &Labels, lang: Lang) -> String {
    let days = fill_missing_days(&report.by_day);
    let kinds = report.kinds();
    let (top, left, bottom, right) = (44.0, 64.0, 40.0, 16.0);
    let height = 340.0;
    let plot_w = f64::from(WIDTH) - left - right;
    let plot_h = height - top - bottom;
    let max = days.iter().map(|d| d.violations).max().unwrap_or(0);
    let (step, axis_max) = nice_scale(max);
    let label = format!(
        "{}{}{} {} ({} – {})",
        l.chart_per_day,
        l.colon,
        format_count(report.totals.violations, lang, ' '),
        l.violations,
        days.first().map_or("", |d| d.day.as_str()),
        days.last().map_or("", |d| d.day.as_str()),
    );
    let mut svg = open_svg("chart-per-day", height, &label);
    draw_legend(&kinds, &mut svg);
    let scale = |n: u64| to_f64(n) / to_f64(axis_max) * plot_h;
    let mut tick = 0;
    while tick <= axis_max {
        let y = top + plot_h - scale(tick);
        let _ = write!(
            svg,
            r##"<line class="grid" x1="{left}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}"/><text class="axis" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            left + plot_w,
            left - 6.0,
            y + 4.0,
            format_count(tick, lang, '\u{202f}')
        );
        tick += step;
    }
    let slot = plot_w / to_f64(days.len().max(1) as u64);
    // A few days would make slabs: bars stay bar-shaped.
    let bar = (slot * 0.8).clamp(1.0, 56.0);
    let label_every = days.len().div_ceil(12).max(1);
    for (i, day) in days.iter().enumerate() {
        let x = left + slot * to_f64(i as u64) + (slot - bar) / 2.0;
        let mut y = top + plot_h;
        for kind in &kinds {
            let Some(&count) = day.by_kind.get(*kind) else {
                continue;
            };
            let h = scale(count);
            y -= h;
            let _ = write!(
                svg,
                r#"<rect x="{x:.1}" y="{y:.1}" width="{bar:.1}" height="{h:.1}" fill="{}"><title>{} {}: {}</title></rect>"#,
                colour_of(kind),
                escape_html(&day.day),
                escape_html(kind),
                format_count(count, lang, '\u{202f}')
            );
        }
        if i % label_every == 0 {
            let _ = write!(
                svg,
                r#"<text class="axis" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                x + bar / 2.0,
                top + plot_h + 16.0,
                escape_html(day.day.get(5..).unwrap_or(&day.day))
            );
        }
    }
    let _ = write!(
        svg,
        r#"<line class="baseline" x1="{left}" y1="{0:.1}" x2="{1:.1}" y2="{0:.1}"/>"#,
        top + plot_h,
        left + plot_w
    );
    svg.push_str("</svg>");
    svg
}

/// Horizontal bars for the top cookies, each split by kind.
pub fn draw_top_cookies_chart(report: &Report, l: &Labels, lang: Lang) -> String {
    let cookies = report.top_cookies();
    let kinds = report.kinds();
    let (top, left, right, row) = (44.0, 240.0, 80.0, 28.0);
    let height = top + row * to_f64(cookies.len().max(1) as u64) + 12.0;
    let plot_w = f64::from(WIDTH) - left - right;
    let max = cookies
        .iter()
        .map(|c| c.violations)
        .max()
        .unwrap_or(0)
        .max(1);
    let leaders: Vec<String> = cookies
        .iter()
        .take(3)
        .map(|c| format!("{} {}", c.cookie, format_count(c.violations, lang, ' ')))
        .collect();
    let label = format!("{}{}{}", l.chart_top_cookies, l.colon, leaders.join(", "));
    let mut svg = open_svg("chart-top-cookies", height, &label);
    draw_legend(&kinds, &mut svg);
    for (i, cookie) in cookies.iter().enumerate() {
        let y = top + row * to_f64(i as u64);
        let name: String = cookie.cookie.chars().take(30).collect();
        let ellipsis = if cookie.cookie.chars().nth(30).is_some() {
            "…"
        } else {
            ""
        };
        let _ = write!(
            svg,
            r#"<text class="label" x="{:.1}" y="{:.1}" text-anchor="end">{}{ellipsis}</text>"#,
            left - 8.0,
            y + row / 2.0 + 4.0,
            escape_html(&name)
        );
        let mut x = left;
        for kind in &kinds {
            let Some(&count) = cookie.by_kind.get(*kind) else {
                continue;
            };
            let w = to_f64(count) / to_f64(max) * plot_w;
            let _ = write!(
                svg,
                r#"<rect x="{x:.1}" y="{:.1}" width="{w:.1}" height="{:.1}" fill="{}"><title>{} {}: {}</title></rect>"#,
                y + 4.0,
                row - 8.0,
                colour_of(kind),
                escape_html(&cookie.cookie),
                escape_html(kind),
                format_count(count, lang, '\u{202f}')
            );
            x += w;
        }
        let _ = write!(
            svg,
            r#"<text class="value" x="{:.1}" y="{:.1}">{}</text>"#,
            x + 6.0,
            y + row / 2.0 + 4.0,
            format_count(cookie.violations, lang, '\u{202f}')
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The `<svg>` element with its accessible name, which says what the chart shows in words.
fn open_svg(id: &str, height: f64, label: &str) -> String {
    let label = escape_html(label);
    format!(
        r#"<svg id="{id}" class="chart" role="img" aria-label="{label}" viewBox="0 0 {WIDTH} {height:.0}" width="100%" xmlns="http://www.w3.org/2000/svg"><title>{label}</title>"#
    )
}

fn draw_legend(kinds: &[&str], svg: &mut String) {
    let mut x = 64.0;
    for kind in kinds {
        let _ = write!(
            svg,
            r#"<rect x="{x:.1}" y="10" width="12" height="12" fill="{}"/><text class="legend" x="{:.1}" y="20">{}</text>"#,
            colour_of(kind),
            x + 16.0,
            escape_html(kind)
        );
        x += 28.0 + 7.0 * to_f64(kind.chars().count().min(30) as u64);
    }
}

/// Every day from the first to the last, days without violations as empty bars, so that gaps
/// in time look like gaps; past [`MAX_CONTINUOUS_DAYS`], only the days present.
fn fill_missing_days(days: &[DayRow]) -> Vec<DayRow> {
    let (Some(first), Some(last)) = (days.first(), days.last()) else {
        return Vec::new();
    };
    let (Some(mut day), Some(end)) = (parse_day(&first.day), parse_day(&last.day)) else {
        return days.to_vec();
    };
    if (end - day).whole_days() >= MAX_CONTINUOUS_DAYS as i64 {
        return days.to_vec();
    }
    let mut present = days.iter().peekable();
    let mut out = Vec::new();
    while day <= end {
        let name = day.to_string();
        match present.next_if(|row| row.day == name) {
            Some(row) => out.push(row.clone()),
            None => out.push(DayRow {
                day: name,
                violations: 0,
                by_kind: Default::default(),
            }),
        }
        let Some(next) = day.next_day() else { break };
        day = next;
    }
    out
}

fn parse_day(text: &str) -> Option<Date> {
    let year = text.get(0..4)?.parse().ok()?;
    let month = Month::try_from(text.get(5..7)?.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(year, month, text.get(8..10)?.parse().ok()?).ok()
}

/// A tick step of 1, 2 or 5 times a power of ten giving at most 5 steps, and the axis top.
fn nice_scale(max: u64) -> (u64, u64) {
    let mut step = 1;
    loop {
        for factor in [1, 2, 5] {
            let candidate = step * factor;
            if max.div_ceil(candidate) <= 5 {
                return (candidate, max.div_ceil(candidate).max(1) * candidate);
            }
        }
        step *= 10;
    }
}

#[allow(clippy::cast_precision_loss)] // chart coordinates do not need exact integers
fn to_f64(n: u64) -> f64 {
    n as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_steps_are_round_numbers() {
        assert_eq!(nice_scale(0), (1, 1));
        assert_eq!(nice_scale(4), (1, 4));
        assert_eq!(nice_scale(7), (2, 8));
        assert_eq!(nice_scale(23), (5, 25));
        assert_eq!(nice_scale(1234), (500, 1500));
    }

    #[test]
    fn days_without_violations_are_filled_in() {
        let row = |day: &str| DayRow {
            day: day.to_owned(),
            violations: 1,
            by_kind: Default::default(),
        };
        let days = fill_missing_days(&[row("2026-02-27"), row("2026-03-02")]);
        let names: Vec<&str> = days.iter().map(|d| d.day.as_str()).collect();
        assert_eq!(
            names,
            ["2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02"]
        );
        assert_eq!(days[1].violations, 0);
    }
}
