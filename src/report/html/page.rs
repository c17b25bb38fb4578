//! What both pages share: HTML escaping, the page shell with the inline style sheet
//! (`page.css`) and script (`page.js`), sortable tables and small formatting helpers.
//!
//! The shell references nothing outside the file: no stylesheet, script, font or image is
//! fetched (the favicon is an empty `data:` URL so that browsers do not ask for one).

use std::fmt::Write;

/// The style sheet of both pages.
const CSS: &str = include_str!("page.css");
/// The script of both pages: tooltips, sortable tables, row ↔ curve highlighting.
const JS: &str = include_str!("page.js");

/// Escapes text for an HTML text node (or an SVG one).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    out
}

/// Escapes text for a double-quoted attribute value.
pub fn attr(s: &str) -> String {
    escape(s).replace('"', "&quot;").replace('\n', "&#10;")
}

/// Undoes [`escape`] and [`attr`].
pub fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#10;", "\n")
        .replace("&amp;", "&")
}

/// The text a reader sees of an HTML fragment: tags dropped, entities decoded (for tests
/// that compare a page's text with the report's).
pub fn text_content(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    unescape(&out)
}

/// A number for a `data-v` attribute (the sort key): Rust's shortest round-trip form, or
/// empty for a missing value.
pub fn data_num(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        String::new()
    }
}

/// The whole page: `<head>` with the style sheet, `body`, then the script.
pub fn shell(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"trainbench {}\">\n\
         <link rel=\"icon\" href=\"data:,\">\n<title>{}</title>\n<style>\n{CSS}</style>\n</head>\n\
         <body>\n{body}\n<div id=\"tip\" role=\"tooltip\" hidden></div>\n<script>\n{JS}</script>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION"),
        escape(title)
    )
}

/// One cell of a table: its text, sort key and alignment.
#[derive(Debug, Clone, PartialEq)]
pub struct Td {
    /// Inner HTML (already escaped).
    pub html: String,
    /// Sort key (`data-v`): a number, or empty to sort by the text.
    pub key: String,
    /// Right-aligned (numbers).
    pub num: bool,
    /// Extra attributes, e.g. ` data-metric="test_acc"`.
    pub extra: String,
}

impl Td {
    /// Text, sorted as text.
    pub fn text(s: &str) -> Td {
        Td {
            html: escape(s),
            key: String::new(),
            num: false,
            extra: String::new(),
        }
    }

    /// Text, sorted by `key` (a number), right-aligned.
    pub fn num(s: &str, key: f64) -> Td {
        Td {
            html: escape(s),
            key: data_num(key),
            num: true,
            extra: String::new(),
        }
    }

    /// Inner HTML as given, sorted by `key` when it is finite.
    pub fn html(html: String, key: f64) -> Td {
        Td {
            html,
            key: data_num(key),
            num: false,
            extra: String::new(),
        }
    }

    /// The same cell with extra attributes.
    pub fn with(mut self, extra: String) -> Td {
        self.extra = extra;
        self
    }
}

/// A sortable table: headers (a click sorts by that column), and rows as
/// (row attributes, cells).
pub fn table(class: &str, headers: &[String], rows: &[(String, Vec<Td>)]) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<div class=\"scroll\"><table class=\"sortable {}\"><thead><tr>",
        attr(class)
    );
    for h in headers {
        let _ = write!(
            out,
            "<th scope=\"col\" aria-sort=\"none\"><button type=\"button\">{}</button></th>",
            escape(h)
        );
    }
    out.push_str("</tr></thead><tbody>");
    for (row_attrs, cells) in rows {
        let _ = write!(out, "<tr{row_attrs}>");
        for c in cells {
            let key = if c.key.is_empty() {
                String::new()
            } else {
                format!(" data-v=\"{}\"", c.key)
            };
            let class = if c.num { " class=\"num\"" } else { "" };
            let _ = write!(out, "<td{class}{key}{}>{}</td>", c.extra, c.html);
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
    out
}

/// A key–value table (`<th>` per key), not sortable.
pub fn facts(rows: &[(&str, String)]) -> String {
    let mut out = String::from("<table class=\"facts\"><tbody>");
    for (k, v) in rows {
        let _ = write!(
            out,
            "<tr><th scope=\"row\">{}</th><td>{}</td></tr>",
            escape(k),
            escape(v)
        );
    }
    out.push_str("</tbody></table>");
    out
}

/// The references in `html` that a browser would fetch from the network, each with some
/// context: `src=`, `href=`, `xlink:href=`, `action=`, `poster=` or `data=` values starting
/// with `http:`, `https:` or `//`, any `@import`, and `url(` of such an address. Namespace
/// URIs (`xmlns="http://www.w3.org/2000/svg"`) are names, not fetches, and are not reported.
/// Empty for a self-contained page; the tests and `scripts/browser/check_pages.py` apply
/// the same rule.
pub fn fetchable_references(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let remote = |rest: &str| {
        let v = rest.trim_start_matches(['"', '\'', ' ']);
        v.starts_with("http:") || v.starts_with("https:") || v.starts_with("//")
    };
    let context = |i: usize| {
        let start = lower.floor_char_boundary(i.saturating_sub(30));
        let end = lower.ceil_char_boundary((i + 60).min(lower.len()));
        html[start..end].to_string()
    };
    let mut found = Vec::new();
    for (i, _) in lower.match_indices('=') {
        let name_start = lower[..i]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == ':' || c == '-'))
            .map(|j| j + 1)
            .unwrap_or(0);
        let name = lower[name_start..i].trim();
        if matches!(
            name,
            "src" | "href" | "xlink:href" | "action" | "poster" | "data"
        ) && remote(&lower[i + 1..])
        {
            found.push(context(i));
        }
    }
    for (i, _) in lower.match_indices("@import") {
        found.push(context(i));
    }
    for (i, _) in lower.match_indices("url(") {
        if remote(&lower[i + 4..]) {
            found.push(context(i));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(escape("a<b & c>"), "a&lt;b &amp; c&gt;");
        assert_eq!(attr("say \"hi\"\nnext"), "say &quot;hi&quot;&#10;next");
        assert_eq!(data_num(0.25), "0.25");
        assert_eq!(data_num(f64::NAN), "");
    }

    #[test]
    fn fetchable_references_are_found_and_namespaces_are_not() {
        assert!(fetchable_references(&shell("t", "<p>x</p>")).is_empty());
        let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\"><a href=\"#x\">x</a></svg>";
        assert!(fetchable_references(svg).is_empty());
        for bad in [
            "<script src=\"https://cdn.example/x.js\"></script>",
            "<link href='http://example.org/a.css'>",
            "<img src=//example.org/a.png>",
            "<use xlink:href=\"https://example.org/s.svg#a\"/>",
            "<style>@import 'a.css';</style>",
            "<div style=\"background: url( 'https://example.org/a.png')\">",
        ] {
            assert_eq!(fetchable_references(bad).len(), 1, "{bad}");
        }
    }
}
