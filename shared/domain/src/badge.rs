//! Shields-style SVG badges: `label | value`, value coloured by meaning.

/// Badge colours by meaning.
pub const GREEN: &str = "#2da44e";
pub const RED: &str = "#cf222e";
pub const YELLOW: &str = "#bf8700";
pub const GREY: &str = "#6e7781";
pub const BLUE: &str = "#0969da";

/// Escapes text for SVG/XML content and attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Approximate width of `text` in 11px Verdana (what shields.io badges use).
fn text_width(text: &str) -> u32 {
    text.chars()
        .map(|c| match c {
            'i' | 'l' | 'j' | '.' | ',' | ':' | ';' | '!' | '|' | '\'' => 4,
            'f' | 't' | 'r' | ' ' | '(' | ')' | '-' => 5,
            'm' | 'w' | 'M' | 'W' | '%' => 10,
            c if c.is_ascii_uppercase() => 8,
            _ => 7,
        })
        .sum()
}

/// The colour for a value of a badge kind.
pub fn colour(kind: &str, value: &str) -> &'static str {
    match (kind, value) {
        (_, "unknown") => GREY,
        ("status", "active") | ("build", "passing") => GREEN,
        ("status", "suspended") | ("build", "failing") => RED,
        ("build", "pending" | "running") => YELLOW,
        ("coverage", v) => match v.trim_end_matches('%').parse::<f64>() {
            Ok(p) if p >= 80.0 => GREEN,
            Ok(p) if p >= 60.0 => YELLOW,
            Ok(_) => RED,
            Err(_) => GREY,
        },
        _ => BLUE,
    }
}

/// A complete, standalone SVG document.
pub fn render(label: &str, value: &str, colour: &str) -> String {
    let (label_e, value_e) = (escape(label), escape(value));
    let lw = text_width(label) + 10;
    let vw = text_width(value) + 10;
    let w = lw + vw;
    let (lx, vx) = (lw * 5, lw * 10 + vw * 5); // centres, in tenths of a pixel
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="20" role="img" aria-label="{label_e}: {value_e}"><title>{label_e}: {value_e}</title><linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient><clipPath id="r"><rect width="{w}" height="20" rx="3" fill="#fff"/></clipPath><g clip-path="url(#r)"><rect width="{lw}" height="20" fill="#555"/><rect x="{lw}" width="{vw}" height="20" fill="{colour}"/><rect width="{w}" height="20" fill="url(#s)"/></g><g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="110"><text x="{lx}" y="140" transform="scale(.1)">{label_e}</text><text x="{vx}" y="140" transform="scale(.1)">{value_e}</text></g></svg>"##
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_escaped_well_formed_svg() {
        let svg = render("build", "<passing & \"ok\">", GREEN);
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.ends_with("</svg>"));
        assert!(svg.contains("&lt;passing &amp; &quot;ok&quot;&gt;"));
        assert!(!svg.contains("<passing"));
        assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
    }

    #[test]
    fn colours_follow_meaning() {
        assert_eq!(colour("build", "passing"), GREEN);
        assert_eq!(colour("build", "failing"), RED);
        assert_eq!(colour("coverage", "85.5%"), GREEN);
        assert_eq!(colour("coverage", "42%"), RED);
        assert_eq!(colour("status", "unknown"), GREY);
    }

    #[test]
    fn wider_text_makes_a_wider_badge() {
        let narrow = render("build", "ok", GREEN);
        let wide = render("build", "passing with warnings", GREEN);
        let width = |s: &str| s.split("width=\"").nth(1).unwrap().split('"').next().unwrap().parse::<u32>().unwrap();
        assert!(width(&wide) > width(&narrow));
    }
}
