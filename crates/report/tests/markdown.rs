//! `report.md` shows every text from the case literally in a CommonMark (GitHub) viewer:
//! a name can inject no HTML, link, image, emphasis, heading, list or table cell.

use pulldown_cmark::{Event, Options, Parser, Tag};

use hopscope_report::{json, markdown};

/// Markup an attacker can put into a host name, an account, a Zeek string or a file name.
const PAYLOADS: [&str; 10] = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    "[click](javascript:alert(3))",
    "![x](http://evil.example/x.png)",
    "*strong* _em_ ~~gone~~ __b__",
    "``code` `",
    "a|b|c",
    "\n# heading\n- item\n> quote",
    "&lt;script&gt; &#60;b&#62;",
    "\\<i>escaped</i>",
];

fn all_strings(v: &mut serde_json::Value, f: &mut impl FnMut(&mut String)) {
    match v {
        serde_json::Value::String(s) => f(s),
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| all_strings(x, f)),
        serde_json::Value::Object(o) => {
            for (k, x) in o.iter_mut() {
                // the format tags the reader checks, and times it parses
                if !matches!(k.as_str(), "schema") {
                    all_strings(x, f)
                }
            }
        }
        _ => {}
    }
}

/// Tags of each kind in `md` as a CommonMark (GFM tables, strikethrough) parser sees them,
/// and its text.
fn parse(md: &str) -> (std::collections::BTreeMap<String, usize>, String, usize) {
    let opts = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut tags = std::collections::BTreeMap::new();
    let (mut text, mut html) = (String::new(), 0);
    for e in Parser::new_ext(md, opts) {
        match e {
            Event::Start(t) => {
                let name = match t {
                    Tag::Heading { level, .. } => format!("heading {level}"),
                    Tag::Link { .. } => "link".into(),
                    Tag::Image { .. } => "image".into(),
                    t => format!("{t:?}").split(['(', ' ', '{']).next().unwrap().to_string(),
                };
                *tags.entry(name).or_insert(0) += 1;
            }
            Event::Html(_) | Event::InlineHtml(_) => html += 1,
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            _ => {}
        }
    }
    (tags, text, html)
}

#[test]
fn every_text_from_the_case_shows_literally_in_report_md() {
    let golden =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../cli/tests/golden/report.json");
    let base: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(golden).unwrap()).unwrap();
    let plain = markdown::render(&json::parse(&base.to_string()).unwrap());
    let (plain_tags, _, plain_html) = parse(&plain);
    assert_eq!(plain_html, 0);
    for payload in PAYLOADS {
        let mut v = base.clone();
        let mut changed = 0;
        all_strings(&mut v, &mut |s| {
            // a time stays a time (the document parses some); every other text gets the payload
            if jiff::Timestamp::from_str(s).is_err() {
                s.push_str(payload);
                changed += 1;
            }
        });
        assert!(changed > 100, "{changed}");
        let doc = json::parse(&v.to_string()).unwrap();
        let md = markdown::render(&doc);
        let (tags, text, html) = parse(&md);
        assert_eq!(html, 0, "{payload:?} made HTML:\n{md}");
        assert_eq!(tags, plain_tags, "{payload:?} changed the document's structure:\n{md}");
        // shown literally (control characters as visible escapes)
        let shown = payload.replace('\n', "\\n");
        assert!(text.contains(&shown), "{payload:?} not shown as {shown:?}:\n{md}");
    }
}

use std::str::FromStr as _;
