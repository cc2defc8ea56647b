//! The frame every page shares: title, navigation, the embedded assets.

use maud::{DOCTYPE, Markup, html};

/// A whole page around `body`.
pub(crate) fn page(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · audmodel" }
                link rel="stylesheet" href="/assets/style.css";
                script src="/assets/app.js" defer {}
            }
            body {
                header.top {
                    a.brand href="/" { "audmodel" }
                    nav {
                        a href="/" { "Models" }
                        a href="/aliases" { "Aliases" }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// A byte count as people read it (`1.5 MiB`).
pub(crate) fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    #[allow(clippy::cast_precision_loss)] // one decimal is shown
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    match unit {
        0 => format!("{bytes} B"),
        _ => format!("{value:.1} {}", UNITS[unit]),
    }
}

/// A button that copies `text` (with JavaScript; the text stays selectable
/// without it).
pub(crate) fn copyable(text: &str) -> Markup {
    html! {
        span.copyable {
            code { (text) }
            button.copy type="button" data-copy=(text) { "Copy" }
        }
    }
}

/// The address of a version's page (a UID or an alias).
pub(crate) fn version_href(id: &str) -> String {
    format!("/versions/{}", crate::filter::encode(id))
}

/// The address of a model's page (a short ID).
pub(crate) fn model_href(short_id: &str) -> String {
    format!("/models/{}", crate::filter::encode(short_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_read_them() {
        assert_eq!(size(0), "0 B");
        assert_eq!(size(1023), "1023 B");
        assert_eq!(size(1536), "1.5 KiB");
        assert_eq!(size(5 * 1024 * 1024 * 1024), "5.0 GiB");
    }
}
