//! A metric across compared versions, drawn on the server as SVG: one
//! point a version that has it, joined by a line.

use maud::{Markup, html};

const WIDTH: f64 = 520.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 28.0;
const BOTTOM: f64 = 44.0;

/// The plot of `key` with one column a label; `None` values are gaps.
pub(crate) fn svg(key: &str, labels: &[String], values: &[Option<f64>]) -> Markup {
    let present: Vec<f64> = values.iter().flatten().copied().collect();
    let low = present.iter().copied().fold(f64::INFINITY, f64::min);
    let high = present.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    // A flat metric sits in the middle rather than dividing by zero.
    let (low, high) = match high - low {
        span if span > 0.0 => (low, high),
        _ => (low - 1.0, high + 1.0),
    };
    let columns = labels.len().max(2) - 1;
    #[allow(clippy::cast_precision_loss)] // a handful of columns
    let x = |i: usize| LEFT + (WIDTH - LEFT - RIGHT) * i as f64 / columns as f64;
    let y = |v: f64| TOP + (HEIGHT - TOP - BOTTOM) * (high - v) / (high - low);
    let points: Vec<(f64, f64, f64)> = values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (x(i), y(v), v)))
        .collect();
    let line: String = points
        .iter()
        .map(|(px, py, _)| format!("{px:.1},{py:.1}"))
        .collect::<Vec<_>>()
        .join(" ");
    html! {
        svg.plot xmlns="http://www.w3.org/2000/svg" width=(WIDTH) height=(HEIGHT)
            viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img" aria-label=(key) data-key=(key) {
            title { (key) }
            text.title x=(LEFT) y="16" { (key) }
            line.axis x1=(LEFT) y1=(TOP) x2=(LEFT) y2=(HEIGHT - BOTTOM) {}
            line.axis x1=(LEFT) y1=(HEIGHT - BOTTOM) x2=(WIDTH - RIGHT) y2=(HEIGHT - BOTTOM) {}
            text.tick x=(LEFT - 6.0) y=(TOP + 4.0) text-anchor="end" { (number(high)) }
            text.tick x=(LEFT - 6.0) y=(HEIGHT - BOTTOM + 4.0) text-anchor="end" { (number(low)) }
            @for (i, label) in labels.iter().enumerate() {
                text.tick x=(x(i)) y=(HEIGHT - BOTTOM + 18.0) text-anchor="middle" { (label) }
            }
            polyline.series points=(line) {}
            @for (px, py, value) in &points {
                circle.point cx={ (format!("{px:.1}")) } cy={ (format!("{py:.1}")) } r="4" {
                    title { (number(*value)) }
                }
            }
        }
    }
}

/// A number as short as it reads well.
fn number(value: f64) -> String {
    let text = format!("{value:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_point_a_present_value() {
        let labels: Vec<String> = ["1.0.0", "1.1.0", "2.0.0"].map(String::from).to_vec();
        let svg = svg("meta.accuracy", &labels, &[Some(0.5), None, Some(0.75)]).into_string();
        assert_eq!(svg.matches("<circle").count(), 2, "{svg}");
        let flat = svg_of(&[Some(3.0), Some(3.0)]);
        assert_eq!(flat.matches("<circle").count(), 2);
        assert!(!flat.contains("NaN"), "{flat}");
    }

    fn svg_of(values: &[Option<f64>]) -> String {
        let labels: Vec<String> = (0..values.len()).map(|i| i.to_string()).collect();
        svg("k", &labels, values).into_string()
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(number(0.5), "0.5");
        assert_eq!(number(3.0), "3");
        assert_eq!(number(0.123_456), "0.1235");
    }
}
