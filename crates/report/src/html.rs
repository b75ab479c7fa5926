//! The report as one self-contained HTML file: CSS, JavaScript and SVG inline, nothing fetched
//! from the network, readable from disk (`file://`), printable to PDF.
//!
//! The server side (this file) writes what must read without JavaScript: the header with the
//! summary and key figures, the hop path across countries over time (SVG) and the hop table
//! with its evidence. The embedded script (`assets/report.js`) adds the hop detail panel, the
//! zoomable login-volume timeline and the sortable, filterable tables, from the document that is
//! embedded as JSON (`#report-data`) and the hop list drawn here (`#report-hops`).
//!
//! Every string of the document may come from a log (host, account, file names): it is
//! HTML-escaped here, `<` `>` `&` are `\u` escaped inside the embedded JSON, and the script
//! inserts text with `textContent` only. See docs/report-html.md.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde_json::{Map, Value};

const CSS: &str = include_str!("../assets/report.css");
const JS: &str = include_str!("../assets/report.js");

/// Renders the report document (see notes on the report contract: `schema: hopscope-report`,
/// version 1) as a single HTML page. Never fails: missing or mistyped fields render as absent.
pub fn render_html(doc: &Value) -> String {
    let hops = story_hops(doc);
    let summary = &doc["summary"];
    let mut o = String::with_capacity(64 * 1024);
    let alert_id = text(&summary["alert_id"]).or_else(|| text(&doc["alert"]["id"]));
    let title = match alert_id {
        Some(id) => match doc["alert"]["thread"].as_u64() {
            Some(n) => format!("hopscope report — alert {id}, thread {n}"),
            None => format!("hopscope report — alert {id}"),
        },
        None => "hopscope report — no alert in this case".to_string(),
    };
    o.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    o.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    // No network, ever: the page may only use what it carries (inline styles, inline script,
    // data: images).
    o.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; \
         script-src 'unsafe-inline'; img-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'\">\n",
    );
    let _ = writeln!(o, "<title>{}</title>", esc(&title));
    let _ = writeln!(o, "<style>\n{CSS}</style>\n</head>\n<body>");
    header(&mut o, doc, &hops);
    nav(&mut o);
    o.push_str("<main>\n");
    if hops.is_empty() {
        summary_section(&mut o, doc);
        path_section(&mut o, doc, &hops);
    } else {
        path_section(&mut o, doc, &hops);
        summary_section(&mut o, doc);
    }
    hop_table_section(&mut o, &hops);
    blind_spots_section(&mut o, doc);
    js_section(&mut o, "activity", "Login volume over time", "timeline");
    js_section(&mut o, "hosts", "Hosts in scope", "hosts-table");
    js_section(&mut o, "accounts", "Accounts in scope", "accounts-table");
    let clients_title = if doc["redacted"].as_bool() == Some(true)
        || doc["scope"]["redacted"].as_bool() == Some(true)
    {
        "Client organisations in scope (pseudonymised)"
    } else {
        "Client organisations in scope"
    };
    js_section(&mut o, "clients", clients_title, "clients-table");
    js_section(&mut o, "audit", "Audit findings", "audit-table");
    js_section(&mut o, "evidence", "Evidence of every hop", "evidence-table");
    js_section(&mut o, "alerts", "All alerts in the case", "alerts-table");
    o.push_str("</main>\n");
    o.push_str(
        "<footer><p>Written by hopscope from the report document (schema hopscope-report). \
         This file is self-contained: it loads nothing from the network. Times are UTC.</p></footer>\n",
    );
    let _ = writeln!(
        o,
        "<script type=\"application/json\" id=\"report-data\">{}</script>",
        script_json(doc)
    );
    let _ = writeln!(
        o,
        "<script type=\"application/json\" id=\"report-hops\">{}</script>",
        script_json(&Value::Array(hops))
    );
    let _ = writeln!(o, "<script>\n{JS}</script>\n</body>\n</html>");
    o
}

/// The hops the page draws, in time order: the selected alert's hops, merged with the trace's
/// path (from the entry point, including the login from the internet) when the trace names
/// the summary's entry; a hop both hold (same
/// time, source and destination) appears once with the fields of both and the evidence of both.
pub fn story_hops(doc: &Value) -> Vec<Value> {
    let mut hops: Vec<Map<String, Value>> = Vec::new();
    let mut index: HashMap<(String, String, String), usize> = HashMap::new();
    // the trace's path only when it agrees with the summary on the entry (the summary is the
    // alert's; a trace ranking other logins higher tells another story, in its own section)
    let entry = |v: &Value| v.as_str().map(str::to_ascii_lowercase);
    let agrees = entry(&doc["trace"]["entry_point"]["host"])
        .is_some_and(|e| Some(e) == entry(&doc["summary"]["entry_host"]));
    let lists =
        [doc["alert"]["hops"].as_array(), doc["trace"]["path"].as_array().filter(|_| agrees)];
    for hop in lists.into_iter().flatten().flatten() {
        let Some(h) = hop.as_object() else { continue };
        let key = (
            str_of(hop, "time").to_string(),
            str_of(hop, "src_host").to_string(),
            str_of(hop, "dst_host").to_string(),
        );
        match index.get(&key) {
            Some(&i) => {
                let have = &mut hops[i];
                for (k, v) in h {
                    if k == "evidence" {
                        let mut ev = evidence_list(have.get("evidence").unwrap_or(&Value::Null));
                        for e in evidence_list(v) {
                            if !ev.contains(&e) {
                                ev.push(e);
                            }
                        }
                        have.insert(k.clone(), Value::Array(ev));
                    } else if have.get(k).is_none_or(Value::is_null) {
                        have.insert(k.clone(), v.clone());
                    }
                }
            }
            None => {
                let mut h = h.clone();
                let ev = evidence_list(h.get("evidence").unwrap_or(&Value::Null));
                h.insert("evidence".into(), Value::Array(ev));
                index.insert(key, hops.len());
                hops.push(h);
            }
        }
    }
    // sites and countries the hop lacks, from the scope's host list
    let mut places: HashMap<&str, (&Value, &Value)> = HashMap::new();
    for h in doc["scope"]["hosts"].as_array().into_iter().flatten() {
        if let Some(name) = h["host"].as_str() {
            places.insert(name, (&h["site"], &h["country"]));
        }
    }
    for h in &mut hops {
        for end in ["src", "dst"] {
            let host =
                h.get(&format!("{end}_host")).and_then(Value::as_str).unwrap_or("").to_string();
            if let Some((site, country)) = places.get(host.as_str()) {
                for (field, v) in
                    [(format!("{end}_site"), site), (format!("{end}_country"), country)]
                {
                    if h.get(&field).is_none_or(Value::is_null) && !v.is_null() {
                        h.insert(field, (*v).clone());
                    }
                }
            }
        }
    }
    let mut hops: Vec<Value> = hops.into_iter().map(Value::Object).collect();
    hops.sort_by(|a, b| {
        (epoch(str_of(a, "time")), str_of(a, "time"), str_of(a, "src_host"), str_of(a, "dst_host"))
            .cmp(&(
                epoch(str_of(b, "time")),
                str_of(b, "time"),
                str_of(b, "src_host"),
                str_of(b, "dst_host"),
            ))
    });
    hops
}

/// `{file, line}` or `{file, record}` objects, from one object or a list of them.
fn evidence_list(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.iter().filter(|e| e.is_object()).cloned().collect(),
        Value::Object(_) => vec![v.clone()],
        _ => Vec::new(),
    }
}

/// `file:line`, `file record N`, or the file alone.
pub fn evidence_text(e: &Value) -> String {
    let file = str_of(e, "file");
    if let Some(line) = e["line"].as_u64() {
        format!("{file}:{line}")
    } else if !e["record"].is_null() {
        format!("{file} record {}", plain(&e["record"]))
    } else {
        file.to_string()
    }
}

fn header(o: &mut String, doc: &Value, hops: &[Value]) {
    let s = &doc["summary"];
    let case = &doc["case"];
    o.push_str("<header class=\"report-head\">\n");
    let mut eyebrow = String::from("hopscope incident report");
    if let (Some(a), Some(b)) = (text(&case["first_time"]), text(&case["last_time"])) {
        let _ = write!(eyebrow, " · logs {} to {}", day(&a), day(&b));
    }
    if let Some(n) = case["events"].as_u64() {
        let _ = write!(eyebrow, " · {} events", thousands(n));
    }
    let _ = writeln!(o, "<p class=\"eyebrow\">{}</p>", esc(&eyebrow));
    let alert = &doc["alert"];
    if alert.is_null() {
        o.push_str("<h1>No alert in this case</h1>\n");
    } else {
        let mut countries: Vec<String> =
            s["countries"].as_array().into_iter().flatten().filter_map(text).collect();
        if countries.is_empty() {
            for h in hops {
                for c in [text(&h["src_country"]), text(&h["dst_country"])].into_iter().flatten() {
                    if !countries.contains(&c) {
                        countries.push(c);
                    }
                }
            }
        }
        let h1 = if countries.is_empty() {
            "Intrusion path".to_string()
        } else {
            countries.join(" → ")
        };
        let _ = writeln!(o, "<h1 id=\"story\">{}</h1>", esc(&h1));
        let mut line = format!("Alert {}", plain(&alert["id"]));
        if let Some(t) = text(&alert["raised_at"]).or_else(|| text(&s["raised_at"])) {
            let _ = write!(line, " raised {}", when(&t));
        }
        if let Some(score) = alert["score"].as_f64() {
            let _ = write!(line, " · score {score} bits");
        }
        let _ = writeln!(o, "<p class=\"alert-line\">{}</p>", esc(&line));
    }
    if doc["redacted"].as_bool() == Some(true) {
        o.push_str(
            "<p class=\"badge\">Disclosure view: client organisations are pseudonymised</p>\n",
        );
    }
    o.push_str("<dl class=\"figures\">\n");
    let mut fig = |label: &str, value: String, note: Option<String>| {
        let _ = write!(o, "<div><dt>{}</dt><dd>{}</dd>", esc(label), esc(&value));
        if let Some(n) = note {
            let _ = write!(o, "<dd class=\"note\" title=\"{0}\">{0}</dd>", esc(&n));
        }
        o.push_str("</div>\n");
    };
    if !alert.is_null() {
        let why: Vec<String> =
            s["entry_why"].as_array().into_iter().flatten().filter_map(text).collect();
        let entry = text(&s["entry_host"])
            .or_else(|| text(&doc["trace"]["entry_point"]["host"]))
            .unwrap_or_else(|| "unknown".into());
        fig("Entry host", entry, (!why.is_empty()).then(|| why.join("; ")));
        match text(&s["first_malicious_time"]) {
            Some(t) => fig(
                "First malicious login",
                day(&t).to_string(),
                Some(format!("{} UTC", clock(&t))),
            ),
            None => fig("First malicious login", "—".into(), None),
        }
        // dwell: first malicious login → alert raised; exposure: → containment
        let days =
            |v: &Value| v.as_f64().map(|d| format!("{d} days")).unwrap_or_else(|| "—".into());
        let raised = text(&s["raised_at"]).or_else(|| text(&alert["raised_at"]));
        fig(
            "Dwell time",
            days(&s["dwell_days"]),
            raised.map(|t| format!("to the alert, {}", day(&t))),
        );
        if !s["exposure_days"].is_null() {
            let contained =
                text(&s["contained_at"]).map(|t| format!("to containment, {}", day(&t)));
            fig("Exposure", days(&s["exposure_days"]), contained);
        }
        let hop_count = s["hop_count"].as_u64().unwrap_or(hops.len() as u64);
        let drawn = (hop_count != hops.len() as u64).then(|| format!("{} drawn below", hops.len()));
        fig("Hops", hop_count.to_string(), drawn);
    }
    let clients = s["client_count"].as_u64().or_else(|| doc["scope"]["client_count"].as_u64());
    let restricted = s["restricted_client_count"]
        .as_u64()
        .or_else(|| doc["scope"]["restricted_client_count"].as_u64());
    let observed = s["observed_client_count"]
        .as_u64()
        .or_else(|| doc["scope"]["observed_client_count"].as_u64());
    let observed_restricted = s["observed_restricted_client_count"]
        .as_u64()
        .or_else(|| doc["scope"]["observed_restricted_client_count"].as_u64());
    if let Some(c) = clients.filter(|_| !doc["scope"].is_null()) {
        match observed {
            // the observed tier first: the clients on hosts the intruder was seen on
            Some(o) => fig(
                "Clients exposed",
                thousands(o),
                Some(format!(
                    "{} restricted; {} within reach ({} restricted)",
                    thousands(observed_restricted.unwrap_or(0)),
                    thousands(c),
                    thousands(restricted.unwrap_or(0))
                )),
            ),
            None => fig(
                "Clients in scope",
                thousands(c),
                restricted.map(|r| format!("{} restricted", thousands(r))),
            ),
        }
    }
    if let Some(n) = doc["audit"]["findings"].as_array().map(Vec::len) {
        fig("Audit findings", n.to_string(), None);
    }
    o.push_str("</dl>\n</header>\n");
}

/// The summary paragraph: under the picture when there is one, else under the header.
fn summary_section(o: &mut String, doc: &Value) {
    let t = text(&doc["summary"]["text"]).unwrap_or_else(|| {
        if doc["alert"].is_null() {
            "No alert in this case.".into()
        } else {
            "The document has no summary.".into()
        }
    });
    let _ = writeln!(o, "<section id=\"story-text\">\n<h2>Summary</h2>\n<p class=\"summary\" id=\"summary\">{}</p>\n</section>", esc(&t));
}

fn nav(o: &mut String) {
    o.push_str("<nav class=\"toc\" aria-label=\"Sections\">");
    for (id, label) in [
        ("path", "Path"),
        ("hops", "Hops"),
        ("blind-spots", "Blind spots"),
        ("activity", "Timeline"),
        ("hosts", "Hosts"),
        ("accounts", "Accounts"),
        ("clients", "Clients"),
        ("audit", "Audit"),
        ("evidence", "Evidence"),
        ("alerts", "Alerts"),
    ] {
        let _ = write!(o, "<a href=\"#{id}\">{label}</a>");
    }
    o.push_str("</nav>\n");
}

fn path_section(o: &mut String, doc: &Value, hops: &[Value]) {
    o.push_str("<section id=\"path\">\n<h2>Hop path across countries over time</h2>\n");
    if hops.is_empty() {
        let why = if doc["alert"].is_null() {
            "No alert in this case: there is no hop path to draw."
        } else {
            "The alert holds no hops."
        };
        let _ = writeln!(o, "<p class=\"empty\">{why}</p>\n</section>");
        return;
    }
    o.push_str(
        "<p class=\"hint\">One lane per country, one arrow per login of the intruder, in time order; the axis gives \
         the time between hops. <span class=\"screen-only\">Click a hop for its evidence.</span></p>\n",
    );
    let entry =
        text(&doc["summary"]["entry_host"]).or_else(|| text(&doc["trace"]["entry_point"]["host"]));
    let mut why: Vec<String> =
        doc["summary"]["entry_why"].as_array().into_iter().flatten().filter_map(text).collect();
    if why.is_empty() {
        why = doc["trace"]["entry_point"]["why"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(text)
            .collect();
    }
    o.push_str("<div class=\"path-wrap\">\n");
    o.push_str(&path_svg(hops, entry.as_deref(), &why));
    o.push_str("</div>\n");
    o.push_str(
        "<div id=\"hop-detail\" class=\"hop-detail\" aria-live=\"polite\"><p class=\"muted\">Select a hop (an arrow, \
         its number or a row of the hop table) to see its time, account, score, techniques and evidence.</p></div>\n",
    );
    o.push_str("</section>\n");
}

const GUTTER: f64 = 250.0;
const COL: f64 = 190.0;
const REACH: f64 = 52.0;
const ROW: f64 = 50.0;

struct Lane {
    name: String,
    sites: Vec<String>,
    hosts: Vec<String>,
    internet: bool,
}

/// The hop path diagram: one lane per country (the internet on top), hosts as nodes in their
/// lane from the moment the path reaches them, one arrow per hop at its column; columns are
/// evenly spaced and the time between two hops is written on the axis.
fn path_svg(hops: &[Value], entry: Option<&str>, why: &[String]) -> String {
    let mut lanes: Vec<Lane> = Vec::new();
    let mut host_lane: HashMap<String, usize> = HashMap::new();
    let mut first_x: HashMap<String, f64> = HashMap::new();
    let cx = |i: usize| GUTTER + 90.0 + i as f64 * COL;
    let is_internet = |h: &Value, end: &str| str_of(h, &format!("{end}_host")) == "internet";
    if hops.iter().any(|h| is_internet(h, "src") || is_internet(h, "dst")) {
        lanes.push(Lane {
            name: "Internet".into(),
            sites: vec!["outside every site".into()],
            hosts: vec![],
            internet: true,
        });
    }
    for (i, h) in hops.iter().enumerate() {
        for (end, x) in [("src", cx(i) - REACH), ("dst", cx(i) + REACH)] {
            let host = str_of(h, &format!("{end}_host")).to_string();
            first_x.entry(host.clone()).or_insert(x);
            if host_lane.contains_key(&host) {
                continue;
            }
            let lane = if is_internet(h, end) {
                0
            } else {
                let country =
                    text(&h[format!("{end}_country")]).unwrap_or_else(|| "Unknown country".into());
                match lanes.iter().position(|l| !l.internet && l.name == country) {
                    Some(p) => p,
                    None => {
                        lanes.push(Lane {
                            name: country,
                            sites: vec![],
                            hosts: vec![],
                            internet: false,
                        });
                        lanes.len() - 1
                    }
                }
            };
            if let Some(site) = text(&h[format!("{end}_site")]) {
                if !lanes[lane].sites.contains(&site) {
                    lanes[lane].sites.push(site);
                }
            }
            lanes[lane].hosts.push(host.clone());
            host_lane.insert(host, lane);
        }
    }
    // vertical layout
    let top = 10.0;
    let mut y = top;
    let mut host_y: HashMap<&str, f64> = HashMap::new();
    let mut lane_box: Vec<(f64, f64)> = Vec::new();
    // the entry's weaknesses, written under its lane's name
    let why_lines: Vec<String> = wrap(&why.join("; "), 36);
    for lane in &lanes {
        let lane_top = y;
        let holds_entry = lane.hosts.iter().any(|h| Some(h.as_str()) == entry);
        let label = if holds_entry { 76.0 + 14.0 * why_lines.len() as f64 } else { 54.0 };
        let rows = 8.0 + ROW * lane.hosts.len() as f64;
        // host rows in the middle of the lane when its label is taller
        y += ((label - rows) / 2.0).max(0.0) + 8.0;
        for host in &lane.hosts {
            y += 22.0;
            host_y.insert(host.as_str(), y);
            y += ROW - 22.0;
        }
        y = y.max(lane_top + label);
        lane_box.push((lane_top, y - lane_top));
    }
    let lanes_bottom = y;
    let width = cx(hops.len().saturating_sub(1)) + REACH + 190.0;
    let axis_y = lanes_bottom + 22.0;
    let height = axis_y + 80.0;
    let mut s = String::with_capacity(16 * 1024);
    let wide = if hops.len() > 7 { " wide" } else { "" };
    let _ = writeln!(
        s,
        "<svg id=\"hop-path\" class=\"hop-path{wide}\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width:.0} {height:.0}\" \
         width=\"{width:.0}\" height=\"{height:.0}\" style=\"min-width:{:.0}px\" role=\"img\" aria-labelledby=\"hop-path-title\" \
         font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif\">",
        width.min(760.0)
    );
    let story: Vec<String> = hops
        .iter()
        .map(|h| {
            format!(
                "{} → {} on {}",
                str_of(h, "src_host"),
                str_of(h, "dst_host"),
                day(str_of(h, "time"))
            )
        })
        .collect();
    let _ =
        writeln!(s, "<title id=\"hop-path-title\">Hop path: {}</title>", esc(&story.join("; ")));
    s.push_str(
        "<defs><marker id=\"arrowhead\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerUnits=\"userSpaceOnUse\" markerWidth=\"13\" markerHeight=\"13\" \
         orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"context-stroke\"/></marker></defs>\n",
    );
    // lanes
    for (k, (lane, (ly, lh))) in lanes.iter().zip(&lane_box).enumerate() {
        let class = if lane.internet {
            "lane internet"
        } else if k % 2 == 0 {
            "lane even"
        } else {
            "lane odd"
        };
        let _ = writeln!(s, "<rect class=\"{class}\" x=\"0\" y=\"{ly:.1}\" width=\"{width:.0}\" height=\"{lh:.1}\"/>");
        let _ = writeln!(
            s,
            "<text class=\"lane-name\" x=\"14\" y=\"{:.1}\">{}</text>",
            ly + 24.0,
            esc(&lane.name)
        );
        if !lane.sites.is_empty() {
            let _ = writeln!(
                s,
                "<text class=\"lane-site\" x=\"14\" y=\"{:.1}\">{}</text>",
                ly + 40.0,
                esc(&clip(&lane.sites.join(", "), 30))
            );
        }
        if let Some(e) = entry.filter(|e| lane.hosts.iter().any(|h| h == e)) {
            let _ = writeln!(
                s,
                "<path class=\"node entry\" d=\"M20,{0:.1} l6,6 l-6,6 l-6,-6 z\"/><text class=\"why-head\" x=\"32\" y=\"{1:.1}\">entry: {2}</text>",
                ly + 52.0,
                ly + 62.0,
                esc(&clip(e, 22))
            );
            for (k, w) in why_lines.iter().enumerate() {
                let _ = writeln!(
                    s,
                    "<text class=\"why\" x=\"14\" y=\"{:.1}\">{}</text>",
                    ly + 78.0 + 14.0 * k as f64,
                    esc(w)
                );
            }
        }
    }
    let _ = writeln!(s, "<line class=\"gutter\" x1=\"{GUTTER}\" y1=\"{top}\" x2=\"{GUTTER}\" y2=\"{lanes_bottom:.1}\"/>");
    // columns: a faint guide from the lanes to the axis
    for i in 0..hops.len() {
        let _ = writeln!(
            s,
            "<line class=\"guide\" x1=\"{0:.1}\" y1=\"{top}\" x2=\"{0:.1}\" y2=\"{axis_y:.1}\"/>",
            cx(i)
        );
    }
    // hosts: a line from the moment the path reaches them
    let mut hosts: Vec<(&str, f64, f64)> =
        host_y.iter().map(|(h, y)| (*h, first_x.get(*h).copied().unwrap_or(GUTTER), *y)).collect();
    hosts.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.2.total_cmp(&b.2)).then(a.0.cmp(b.0)));
    for (host, x, y) in &hosts {
        let class = if *host == "internet" { "reach internet" } else { "reach" };
        let _ = writeln!(
            s,
            "<line class=\"{class}\" x1=\"{x:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\"/>",
            width - 16.0
        );
    }
    // hops
    for (i, h) in hops.iter().enumerate() {
        let (src, dst) = (str_of(h, "src_host"), str_of(h, "dst_host"));
        let (x1, x2) = (cx(i) - REACH, cx(i) + REACH - 9.0);
        let y1 = host_y.get(src).copied().unwrap_or(top);
        let y2 = host_y.get(dst).copied().unwrap_or(top);
        let (mx, my) = ((x1 + x2) / 2.0, (y1 + y2) / 2.0);
        let account = str_of(h, "user");
        let auth = str_of(h, "auth");
        let logon = str_of(h, "logon_type");
        let label = format!(
            "Hop {}: {src} → {dst}, {} UTC, account {account}, {auth}{}",
            i + 1,
            when_short(str_of(h, "time")),
            if logon.is_empty() { String::new() } else { format!(" ({logon})") }
        );
        let _ = writeln!(
            s,
            "<g class=\"hop\" data-hop-index=\"{i}\" tabindex=\"0\" role=\"button\" aria-label=\"{}\"><title>{}</title>",
            esc(&label),
            esc(&label)
        );
        let d = format!(
            "M{x1:.1},{y1:.1} C{:.1},{y1:.1} {:.1},{y2:.1} {x2:.1},{y2:.1}",
            x1 + 45.0,
            x2 - 45.0
        );
        let _ = writeln!(s, "<path class=\"hit\" d=\"{d}\"/><path class=\"arrow\" d=\"{d}\" marker-end=\"url(#arrowhead)\"/>");
        let _ = writeln!(s, "<circle class=\"dot\" cx=\"{x1:.1}\" cy=\"{y1:.1}\" r=\"3.5\"/>");
        let _ = writeln!(s, "<circle class=\"badge\" cx=\"{mx:.1}\" cy=\"{my:.1}\" r=\"10\"/>");
        let _ = writeln!(
            s,
            "<text class=\"badge-num\" x=\"{mx:.1}\" y=\"{:.1}\">{}</text>",
            my + 4.0,
            i + 1
        );
        let _ = writeln!(
            s,
            "<text class=\"hop-user\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            mx + 15.0,
            my - 1.0,
            esc(&clip(account, 22))
        );
        let proto: Vec<&str> = [auth, logon].into_iter().filter(|l| !l.is_empty()).collect();
        let _ = writeln!(
            s,
            "<text class=\"hop-auth\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            mx + 15.0,
            my + 11.0,
            esc(&clip(&proto.join(" · "), 30))
        );
        s.push_str("</g>\n");
    }
    // nodes on top, with their names
    for (host, x, y) in &hosts {
        if Some(*host) == entry {
            let _ = writeln!(
                s,
                "<path class=\"node entry\" d=\"M{x:.1},{:.1} L{:.1},{y:.1} L{x:.1},{:.1} L{:.1},{y:.1} z\"/>",
                y - 10.0,
                x + 10.0,
                y + 10.0,
                x - 10.0
            );
            let _ = writeln!(
                s,
                "<text class=\"host entry\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                x + 14.0,
                y + 4.5,
                esc(&clip(host, 28))
            );
        } else if *host == "internet" {
            let _ = writeln!(s, "<rect class=\"node internet\" x=\"{:.1}\" y=\"{:.1}\" width=\"14\" height=\"14\" rx=\"2\"/>", x - 7.0, y - 7.0);
            let _ = writeln!(
                s,
                "<text class=\"host\" x=\"{:.1}\" y=\"{:.1}\">internet</text>",
                x + 12.0,
                y + 4.5
            );
        } else {
            let _ = writeln!(s, "<circle class=\"node\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"7\"/>");
            let _ = writeln!(
                s,
                "<text class=\"host\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                x + 12.0,
                y + 4.5,
                esc(&clip(host, 28))
            );
        }
    }
    // axis: the hop times, and the time between them
    let _ = writeln!(
        s,
        "<line class=\"axis\" x1=\"{GUTTER}\" y1=\"{axis_y:.1}\" x2=\"{:.1}\" y2=\"{axis_y:.1}\"/>",
        width - 16.0
    );
    let _ = writeln!(
        s,
        "<text class=\"axis-note\" x=\"14\" y=\"{:.1}\">time (UTC) →</text>",
        axis_y + 4.0
    );
    let _ = writeln!(
        s,
        "<text class=\"axis-sub\" x=\"14\" y=\"{:.1}\">hops evenly spaced,</text>",
        axis_y + 20.0
    );
    let _ = writeln!(
        s,
        "<text class=\"axis-sub\" x=\"14\" y=\"{:.1}\">gaps not to scale</text>",
        axis_y + 34.0
    );
    for (i, h) in hops.iter().enumerate() {
        let x = cx(i);
        let t = str_of(h, "time");
        let _ = writeln!(
            s,
            "<line class=\"tick\" x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\"/>",
            axis_y - 5.0,
            axis_y + 5.0
        );
        let _ = writeln!(
            s,
            "<text class=\"tick-day\" x=\"{x:.1}\" y=\"{:.1}\">{}</text>",
            axis_y + 20.0,
            esc(day(t))
        );
        let _ = writeln!(
            s,
            "<text class=\"tick-time\" x=\"{x:.1}\" y=\"{:.1}\">{}</text>",
            axis_y + 34.0,
            esc(&clock(t))
        );
        if i + 1 < hops.len() {
            let gap = match (epoch(t), epoch(str_of(&hops[i + 1], "time"))) {
                (Some(a), Some(b)) => Some(b - a),
                _ => None,
            };
            let gx = x + COL / 2.0;
            if let Some(g) = gap {
                if g >= 86_400 {
                    let _ = writeln!(
                        s,
                        "<path class=\"break\" d=\"M{:.1},{:.1} l6,-12 M{:.1},{:.1} l6,-12\"/>",
                        gx - 7.0,
                        axis_y + 6.0,
                        gx + 1.0,
                        axis_y + 6.0
                    );
                }
                let _ = writeln!(
                    s,
                    "<text class=\"gap\" x=\"{gx:.1}\" y=\"{:.1}\">+{}</text>",
                    axis_y - 8.0,
                    esc(&duration(g))
                );
            }
        }
    }
    // legend
    let ly = axis_y + 58.0;
    let _ = writeln!(
        s,
        "<g class=\"legend\" transform=\"translate({GUTTER},{ly:.1})\">\
         <path class=\"node entry\" d=\"M0,-8 L8,0 L0,8 L-8,0 z\"/><text x=\"14\" y=\"4\">entry host</text>\
         <circle class=\"node\" cx=\"112\" cy=\"0\" r=\"6\"/><text x=\"124\" y=\"4\">host reached</text>\
         <line class=\"reach\" x1=\"222\" y1=\"0\" x2=\"252\" y2=\"0\"/><text x=\"258\" y=\"4\">within the intruder's reach from then on</text>\
         <path class=\"arrow\" d=\"M510,0 L546,0\" marker-end=\"url(#arrowhead)\"/><text x=\"554\" y=\"4\">hop: number, account, protocol</text>\
         </g>"
    );
    s.push_str("</svg>\n");
    s
}

fn hop_table_section(o: &mut String, hops: &[Value]) {
    o.push_str("<section id=\"hops\">\n<h2>Hops</h2>\n");
    if hops.is_empty() {
        o.push_str("<p class=\"empty\">No hops.</p>\n</section>\n");
        return;
    }
    o.push_str("<div class=\"table-block\" data-table=\"hops\"><div class=\"table-wrap\"><table id=\"hop-table\" class=\"data\">\n<thead><tr>");
    for (label, kind) in [
        ("#", "num"),
        ("time (UTC)", "text"),
        ("from", "text"),
        ("to", "text"),
        ("account", "text"),
        ("auth", "text"),
        ("logon type", "text"),
        ("score", "num"),
        ("ATT&CK", "text"),
        ("evidence", "text"),
    ] {
        let _ = write!(o, "<th data-type=\"{kind}\" scope=\"col\">{}</th>", esc(label));
    }
    o.push_str("</tr></thead>\n<tbody>\n");
    for (i, h) in hops.iter().enumerate() {
        let place = |end: &str| {
            let host = str_of(h, &format!("{end}_host"));
            match text(&h[format!("{end}_country")]) {
                Some(c) => format!("{host} ({c})"),
                None => host.to_string(),
            }
        };
        let techniques: Vec<String> =
            h["techniques"].as_array().into_iter().flatten().filter_map(text).collect();
        let evidence: Vec<String> =
            h["evidence"].as_array().into_iter().flatten().map(evidence_text).collect();
        // a lead-in ([`hopscope_engine::AlertHop::is_lead_in`]) is listed, not counted: say so
        let lead_in =
            h["features"].as_array().into_iter().flatten().any(|f| f["name"] == "lead-in");
        let score = h["score"].as_f64().map(|x| x.to_string()).unwrap_or_default();
        let score = if lead_in { format!("{score} (lead-in, not counted)") } else { score };
        let class = if lead_in {
            " class=\"lead-in\" title=\"a routine-looking login that reached the source of a suspicious hop\""
        } else {
            ""
        };
        let _ = write!(o, "<tr data-hop=\"{i}\"{class} tabindex=\"0\"><td>{}</td>", i + 1);
        let _ = write!(
            o,
            "<td data-sort=\"{}\">{}</td>",
            esc(str_of(h, "time")),
            esc(&when_short(str_of(h, "time")))
        );
        for cell in [
            place("src"),
            place("dst"),
            plain(&h["user"]),
            plain(&h["auth"]),
            plain(&h["logon_type"]),
            score,
            techniques.join(" "),
        ] {
            let _ = write!(o, "<td>{}</td>", esc(&cell));
        }
        let _ = writeln!(o, "<td class=\"evidence\">{}</td></tr>", esc(&evidence.join("\n")));
    }
    o.push_str("</tbody></table></div></div>\n</section>\n");
}

/// Rows of the tampering table on the page; the rest are in the embedded document.
const MAX_BLIND_ROWS: usize = 200;

/// "What the logs cannot show" (docs/coverage.md), rendered here so it reads without script.
fn blind_spots_section(o: &mut String, doc: &Value) {
    let b = &doc["blind_spots"];
    let list = |k: &str| b[k].as_array().cloned().unwrap_or_default();
    let (on_path, tampering, silent) =
        (list("on_path"), list("tampering"), list("hosts_without_logs"));
    o.push_str("<section id=\"blind-spots\">\n<h2>What the logs cannot show</h2>\n");
    if on_path.is_empty() && tampering.is_empty() && silent.is_empty() {
        o.push_str("<p class=\"empty\">No gaps, no tampering, every host of the inventory has logs.</p>\n</section>\n");
        return;
    }
    if !on_path.is_empty() {
        o.push_str("<ul id=\"blind-on-path\">\n");
        for n in &on_path {
            let _ = writeln!(o, "<li>{}</li>", esc(&plain(n)));
        }
        o.push_str("</ul>\n");
    }
    if !tampering.is_empty() {
        o.push_str(
            "<div class=\"table-wrap\"><table id=\"tampering-table\" class=\"data\">\n<thead><tr>",
        );
        for label in ["time (UTC)", "host", "what", "evidence"] {
            let _ = write!(o, "<th scope=\"col\">{}</th>", esc(label));
        }
        o.push_str("</tr></thead>\n<tbody>\n");
        for t in tampering.iter().take(MAX_BLIND_ROWS) {
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&when(str_of(t, "time"))),
                esc(str_of(t, "host")),
                esc(str_of(t, "text")),
                esc(&evidence_text(&t["evidence"]))
            );
        }
        o.push_str("</tbody></table></div>\n");
        if tampering.len() > MAX_BLIND_ROWS {
            let _ = writeln!(
                o,
                "<p>… and {} more in the embedded document (report.json).</p>",
                tampering.len() - MAX_BLIND_ROWS
            );
        }
    }
    if !silent.is_empty() {
        let names: Vec<String> = silent.iter().map(plain).collect();
        let _ = writeln!(
            o,
            "<p id=\"hosts-without-logs\">Hosts of the inventory with no logs in the case ({}): {}.</p>",
            silent.len(),
            esc(&names.join(", "))
        );
    }
    o.push_str("</section>\n");
}

fn js_section(o: &mut String, id: &str, title: &str, container: &str) {
    let _ = writeln!(
        o,
        "<section id=\"{id}\">\n<h2>{}</h2>\n<div id=\"{container}\"></div>\n\
         <noscript><p class=\"empty\">This part needs JavaScript; its data is in report.json and in the \
         source of this page (#report-data).</p></noscript>\n</section>",
        esc(title)
    );
}

/// The document as JSON that cannot end its `<script>` element: every `<`, `>` and `&` is
/// written as a `\u` escape (valid JSON, same value once parsed).
fn script_json(v: &Value) -> String {
    let raw = serde_json::to_string(v).unwrap_or_else(|_| "null".into());
    let mut out = String::with_capacity(raw.len() + 64);
    for c in raw.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// HTML-escapes text for element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or("")
}

/// A non-empty string value.
fn text(v: &Value) -> Option<String> {
    v.as_str().filter(|s| !s.is_empty()).map(str::to_string)
}

/// Strings as they are, numbers and booleans printed, null as empty.
fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        v => v.to_string(),
    }
}

/// Words of `s` in lines of at most about `width` characters (a longer word is clipped).
fn wrap(s: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in s.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&clip(word, width));
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn epoch(t: &str) -> Option<i64> {
    t.parse::<jiff::Timestamp>().ok().map(|t| t.as_second())
}

/// `2019-09-05` of an RFC 3339 time (the text itself when it does not parse).
fn day(t: &str) -> &str {
    t.get(..10).filter(|_| epoch(t).is_some()).unwrap_or(t)
}

/// `12:04:05`, or `12:04` when the seconds are zero.
fn clock(t: &str) -> String {
    match t.parse::<jiff::Timestamp>() {
        Ok(ts) => {
            let s = ts.strftime("%H:%M:%S").to_string();
            s.strip_suffix(":00").map(str::to_string).unwrap_or(s)
        }
        Err(_) => String::new(),
    }
}

/// `2019-09-05 12:04:05`
fn when_short(t: &str) -> String {
    match t.parse::<jiff::Timestamp>() {
        Ok(ts) => ts.strftime("%Y-%m-%d %H:%M:%S").to_string(),
        Err(_) => t.to_string(),
    }
}

/// `2019-09-05 12:04:05 UTC`
fn when(t: &str) -> String {
    match t.parse::<jiff::Timestamp>() {
        Ok(_) => format!("{} UTC", when_short(t)),
        Err(_) => t.to_string(),
    }
}

/// `50 min`, `3 h 6 min`, `21 days`.
fn duration(secs: i64) -> String {
    let secs = secs.max(0);
    if secs < 60 {
        format!("{secs} s")
    } else if secs < 3600 {
        format!("{} min", secs / 60)
    } else if secs < 2 * 86_400 {
        let (h, m) = (secs / 3600, secs % 3600 / 60);
        if m == 0 {
            format!("{h} h")
        } else {
            format!("{h} h {m} min")
        }
    } else {
        format!("{} days", (secs as f64 / 86_400.0).round())
    }
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Value {
        let text = match name {
            "small" => include_str!("../tests/fixtures/small.json"),
            "small-redacted" => include_str!("../tests/fixtures/small-redacted.json"),
            "quiet" => include_str!("../tests/fixtures/quiet.json"),
            _ => unreachable!(),
        };
        serde_json::from_str(text).unwrap()
    }

    /// The embedded document, parsed back.
    fn embedded(html: &str, id: &str) -> Value {
        let open = format!("<script type=\"application/json\" id=\"{id}\">");
        let start = html.find(&open).unwrap() + open.len();
        let end = start + html[start..].find("</script>").unwrap();
        serde_json::from_str(&html[start..end]).unwrap()
    }

    #[test]
    fn the_page_is_self_contained_and_holds_every_hop() {
        let doc = fixture("small");
        let html = render_html(&doc);
        assert_eq!(html, render_html(&doc), "deterministic");
        assert_eq!(embedded(&html, "report-data"), doc, "the document round-trips");
        // the trace's path (from the internet) and the alert's hops, once each
        let hops = story_hops(&doc);
        let route: Vec<(&str, &str)> =
            hops.iter().map(|h| (str_of(h, "src_host"), str_of(h, "dst_host"))).collect();
        assert_eq!(
            route,
            [
                ("internet", "sg-ops-03"),
                ("sg-ops-03", "th-app-02"),
                ("th-app-02", "us-web-01"),
                ("us-web-01", "jp-crm-01")
            ]
        );
        assert_eq!(embedded(&html, "report-hops"), Value::Array(hops.clone()));
        let body = &html[..html.find("<script").unwrap()];
        assert_eq!(body.matches("data-hop-index=").count(), hops.len());
        assert_eq!(html.matches("<tr data-hop=").count(), hops.len());
        // features of the alert and evidence of both merged into one hop
        assert!(hops[1]["features"].as_array().is_some_and(|f| !f.is_empty()));
        assert!(hops.iter().all(|h| !h["evidence"].as_array().unwrap().is_empty()));
        for lane in ["Internet", "Singapore", "Thailand", "United States", "Japan"] {
            assert!(html.contains(&format!(">{lane}</text>")), "{lane}");
        }
        assert!(html.contains("<h1 id=\"story\">Singapore → Thailand → United States → Japan</h1>"));
        assert!(html.contains("entry: sg-ops-03"));
        assert!(html.contains("last patched 2018-03-14"));
        // nothing from the network
        for needle in ["http://", "https://", "//cdn", "@import", "src=\"", "<link"] {
            let hits: Vec<&str> = html
                .match_indices(needle)
                .map(|(i, _)| &html[i.saturating_sub(40)..(i + 60).min(html.len())])
                .collect();
            let allowed = hits.iter().all(|h| h.contains("http://www.w3.org/2000/svg"));
            assert!(allowed, "{needle}: {hits:?}");
        }
    }

    #[test]
    fn lanes_follow_the_path_and_the_internet_is_on_top() {
        let html = render_html(&fixture("small"));
        let svg = &html[html.find("<svg id=\"hop-path\"").unwrap()..html.find("</svg>").unwrap()];
        let pos = |s: &str| svg.find(&format!(">{s}</text>")).unwrap_or_else(|| panic!("{s}"));
        assert!(pos("Internet") < pos("Singapore"));
        assert!(pos("Singapore") < pos("Thailand"));
        assert!(pos("Thailand") < pos("United States"));
        assert!(pos("United States") < pos("Japan"));
        // the time between hops, on the axis
        assert!(svg.contains(">+14 h 3 min</text>"), "{svg}");
    }

    #[test]
    fn quiet_case_says_so_and_keeps_activity_and_audit() {
        let doc = fixture("quiet");
        let html = render_html(&doc);
        assert!(html.contains("<h1>No alert in this case</h1>"));
        assert!(html.contains("No alert in this case: there is no hop path to draw."));
        assert!(!html.contains("<svg id=\"hop-path\""));
        assert!(html.contains("id=\"timeline\"") && html.contains("id=\"audit-table\""));
        assert_eq!(embedded(&html, "report-data")["audit"], doc["audit"]);
        assert_eq!(embedded(&html, "report-hops"), Value::Array(vec![]));
    }

    #[test]
    fn redacted_document_names_no_client() {
        let html = render_html(&fixture("small-redacted"));
        for name in ["Kaito", "Defence", "Siam", "Forgotten"] {
            assert!(!html.contains(name), "{name} leaked");
        }
        assert!(html.contains("Disclosure view"));
        assert!(html.contains("(pseudonymised)"));
        // and the plain one does name them (in the embedded document the tables are drawn from)
        assert!(render_html(&fixture("small")).contains("Kaito Logistics K.K."));
    }

    #[test]
    fn hostile_strings_are_escaped_everywhere() {
        let evil = "<img src=x onerror=alert(1)>";
        let mut text = include_str!("../tests/fixtures/small.json").replace("th-app-02", evil);
        text = text.replace("svc_backup", "</script><script>alert(2)</script>");
        let doc: Value = serde_json::from_str(&text).unwrap();
        let html = render_html(&doc);
        assert!(!html.contains("<img"), "raw markup from the document");
        assert!(!html.contains("<script>alert"));
        assert_eq!(html.matches("<script").count(), 3, "only the page's own scripts");
        assert_eq!(html.matches("</script>").count(), 3);
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert_eq!(embedded(&html, "report-data"), doc);
    }

    #[test]
    fn blind_spots_are_rendered_escaped() {
        let mut doc = fixture("small");
        doc["blind_spots"] = serde_json::json!({
            "on_path": ["<b>us-jump-01</b>'s logs stop on 2020-04-20"],
            "tampering": [{"time": "2020-04-20T03:12:00Z", "host": "<img src=x>", "kind": "security-log-cleared",
                "user": null, "text": "<img src=x>'s Security log was cleared", "evidence": {"file": "a&b.json", "line": 3}}],
            "hosts_without_logs": ["<script>x</script>"]
        });
        let html = render_html(&doc);
        let section = &html[html.find("<section id=\"blind-spots\">").unwrap()..];
        let section = &section[..section.find("</section>").unwrap()];
        assert!(
            !section.contains("<img") && !section.contains("<b>") && !section.contains("<script>")
        );
        assert!(section.contains("&lt;img src=x&gt;&#39;s Security log was cleared"), "{section}");
        assert!(section.contains("a&amp;b.json:3"), "{section}");
        assert!(section.contains("(1): &lt;script&gt;x&lt;/script&gt;"), "{section}");
        // a document without the section (written before it) says there is nothing to show
        let old = fixture("small");
        assert!(render_html(&old).contains("No gaps, no tampering"));
    }

    /// The script builds every element itself and writes text only.
    #[test]
    fn the_script_never_parses_markup() {
        for banned in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
            "new Function",
            "fetch(",
            "XMLHttpRequest",
        ] {
            assert!(!JS.contains(banned), "{banned} in assets/report.js");
        }
        assert!(!CSS.contains("url("), "the stylesheet loads nothing");
    }

    #[test]
    fn junk_documents_render_without_panicking() {
        for doc in [
            Value::Null,
            serde_json::json!({}),
            serde_json::json!({"alert": {"hops": [1, "x", {"time": 5}]}, "trace": {"path": {"a": 1}}, "summary": {"countries": 7}}),
            serde_json::json!({"alert": {"hops": [{"time": "bad", "src_host": null, "dst_host": "b", "evidence": "z"}]}}),
        ] {
            let html = render_html(&doc);
            assert!(html.ends_with("</html>\n"));
        }
    }

    #[test]
    fn helpers() {
        assert_eq!(
            esc("<img src=x onerror=\"a\">&'"),
            "&lt;img src=x onerror=&quot;a&quot;&gt;&amp;&#39;"
        );
        assert_eq!(
            script_json(&serde_json::json!({"a": "</script><!--"})),
            r#"{"a":"\u003c/script\u003e\u003c!--"}"#
        );
        assert_eq!(duration(50 * 60), "50 min");
        assert_eq!(duration(3 * 3600 + 6 * 60), "3 h 6 min");
        assert_eq!(duration(82 * 86_400 + 3000), "82 days");
        assert_eq!(thousands(102121), "102,121");
        assert_eq!(clock("2019-09-05T12:04:00Z"), "12:04");
        assert_eq!(day("garbage"), "garbage");
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(
            wrap("its first suspicious login came from the internet", 30),
            ["its first suspicious login", "came from the internet"]
        );
        assert_eq!(wrap("x", 3), ["x"]);
        assert!(wrap("", 3).is_empty());
    }

    #[test]
    fn lead_in_hops_are_drawn_apart_and_say_they_are_not_counted() {
        let hop = |features: Value| {
            serde_json::json!({"time": "2019-09-05T12:04:05Z", "src_host": "a", "dst_host": "b", "score": 0.0,
                "features": features, "techniques": [], "evidence": []})
        };
        let mut o = String::new();
        hop_table_section(
            &mut o,
            &[
                hop(serde_json::json!([{"name": "lead-in", "bits": 0.0}])),
                hop(serde_json::json!([{"name": "new-edge", "bits": 3.0}])),
            ],
        );
        let rows: Vec<&str> = o.lines().filter(|l| l.starts_with("<tr data-hop")).collect();
        assert_eq!(rows.len(), 2, "{o}");
        assert!(
            rows[0].contains("class=\"lead-in\"") && rows[0].contains("lead-in, not counted"),
            "{}",
            rows[0]
        );
        assert!(!rows[1].contains("lead-in"), "{}", rows[1]);
    }
}
