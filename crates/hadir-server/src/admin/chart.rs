//! The attendance-rate chart of the today board: an inline SVG drawn on the server, so the
//! console needs no chart library and works offline. A pure function of its points.

use std::fmt::Write;

/// One day of the chart: its label (`24/11`) and the rate in 0..=1, or `None` when nobody had a
/// working day (weekend, holiday).
#[derive(Debug, Clone, PartialEq)]
pub struct RatePoint {
    pub label: String,
    pub rate: Option<f64>,
}

const W: f64 = 640.0;
const H: f64 = 200.0;
const LEFT: f64 = 40.0;
const RIGHT: f64 = 10.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 30.0;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A line chart of the rate (0–100%) over the points, with gridlines at 0/50/100%, a dot per
/// working day (with a tooltip), gaps on days without work, and a few date labels.
pub fn rate_chart(points: &[RatePoint], title: &str) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {W} {H}" width="100%" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
        esc(title)
    );
    let _ = write!(s, "<title>{}</title>", esc(title));
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let y_of = |r: f64| TOP + plot_h * (1.0 - r.clamp(0.0, 1.0));
    for (pct, r) in [(0, 0.0), (50, 0.5), (100, 1.0)] {
        let y = y_of(r);
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#d0d7de" stroke-width="1"/><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="end" fill="#444">{pct}%</text>"##,
            W - RIGHT,
            LEFT - 4.0,
            y + 4.0
        );
    }
    if points.is_empty() || points.iter().all(|p| p.rate.is_none()) {
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{:.1}" font-size="13" text-anchor="middle" fill="#444">Belum ada data</text></svg>"##,
            W / 2.0,
            H / 2.0
        );
        return s;
    }
    let n = points.len();
    let x_of = |i: usize| if n == 1 { LEFT + plot_w / 2.0 } else { LEFT + plot_w * i as f64 / (n - 1) as f64 };
    // Line segments between consecutive working days (a day without work breaks the line).
    let mut path = String::new();
    let mut pen_down = false;
    for (i, p) in points.iter().enumerate() {
        match p.rate {
            Some(r) => {
                let _ = write!(path, "{}{:.1},{:.1} ", if pen_down { "L" } else { "M" }, x_of(i), y_of(r));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    let _ = write!(s, r##"<path d="{}" fill="none" stroke="#1f6feb" stroke-width="2"/>"##, path.trim_end());
    for (i, p) in points.iter().enumerate() {
        if let Some(r) = p.rate {
            let _ = write!(
                s,
                r##"<circle cx="{:.1}" cy="{:.1}" r="3" fill="#1f6feb"><title>{}: {:.1}%</title></circle>"##,
                x_of(i),
                y_of(r),
                esc(&p.label),
                r * 100.0
            );
        }
    }
    // Date labels: first, last and about every week between.
    let step = (n / 5).max(1);
    for (i, p) in points.iter().enumerate() {
        if i % step == 0 || i == n - 1 {
            let anchor = if n > 1 && i == n - 1 { "end" } else { "middle" };
            let _ = write!(
                s,
                r##"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="{anchor}" fill="#444">{}</text>"##,
                x_of(i),
                H - 10.0,
                esc(&p.label)
            );
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pts(rates: &[Option<f64>]) -> Vec<RatePoint> {
        rates.iter().enumerate().map(|(i, r)| RatePoint { label: format!("{}/11", i + 1), rate: *r }).collect()
    }

    #[test]
    fn empty_says_no_data() {
        let svg = rate_chart(&[], "Tingkat kehadiran");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("Belum ada data"));
        assert!(rate_chart(&pts(&[None, None]), "x").contains("Belum ada data"));
    }

    #[test]
    fn one_dot_per_working_day_and_gaps_break_the_line() {
        let svg = rate_chart(&pts(&[Some(1.0), Some(0.5), None, Some(0.0)]), "t");
        assert_eq!(svg.matches("<circle").count(), 3);
        // Two segments: M..L.. then a new M after the gap.
        let d = svg.split("<path d=\"").nth(1).unwrap().split('"').next().unwrap();
        assert_eq!(d.matches('M').count(), 2);
        assert_eq!(d.matches('L').count(), 1);
        assert!(svg.contains("2/11: 50.0%"));
    }

    #[test]
    fn rates_map_to_the_plot_and_are_clamped() {
        let svg = rate_chart(&pts(&[Some(1.0), Some(0.0), Some(2.0)]), "t");
        // 100% at the top (y = TOP), 0% at the bottom (y = H - BOTTOM), 200% clamped to the top.
        assert!(svg.contains(&format!("M{:.1},{:.1}", LEFT, TOP)));
        assert!(svg.contains(&format!("L{:.1},{:.1}", LEFT + (W - LEFT - RIGHT) / 2.0, H - BOTTOM)));
        assert!(svg.contains(&format!("L{:.1},{:.1}", W - RIGHT, TOP)));
    }

    #[test]
    fn text_is_escaped() {
        let svg = rate_chart(&[RatePoint { label: "<b>".into(), rate: Some(0.5) }], "a & b");
        assert!(svg.contains("a &amp; b") && svg.contains("&lt;b&gt;") && !svg.contains("<b>"));
    }
}
