//! The pages as HTML: rendered on the server from the page objects ([`crate::views`]), with
//! one stylesheet and one script served by the application (no inline script or style: the
//! Content-Security-Policy is `default-src 'self'`).
//!
//! Every text that comes from the case goes through [`t`]: the characters a terminal or viewer
//! acts on are written visibly (`hopscope_report::escape`, the rule every printer follows),
//! then HTML-escaped (`hopscope_report::html::esc`). Every link goes through [`Ctx::href`].

use std::fmt::Write as _;

use hopscope_report::escape::terminal;
use hopscope_report::html::esc;
use hopscope_report::view::{
    short_rfc3339, AlertHopView, AlertView, EvidenceRef, FindingView, LoginView,
};

use crate::views::{
    AccountPage, AlertPage, AlertSummary, AlertsPage, CaseView, DayCount, EvidencePage, HostPage,
    Window, PAGE_ROWS,
};

/// Text from the case, safe in HTML element content and quoted attributes.
pub fn t(s: &str) -> String {
    esc(&terminal(s))
}

/// What every page's links carry: the redaction switch.
pub struct Ctx {
    /// The page is redacted by the switch (`?redact=1`), not by `serve --redact`.
    pub switch_on: bool,
    /// `serve --redact`: every page is redacted and the switch is not offered.
    pub always: bool,
    /// The case's redaction key could be had: the switch can be offered.
    pub available: bool,
}

/// `s` percent-encoded for a URL's query (everything but the unreserved characters).
pub fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

impl Ctx {
    /// A link to `path` with `params`, and the switch when it is on; HTML-escaped.
    pub fn href(&self, path: &str, params: &[(&str, &str)]) -> String {
        let mut u = path.to_string();
        let mut sep = '?';
        for (k, v) in params {
            let _ = write!(u, "{sep}{k}={}", enc(v));
            sep = '&';
        }
        if self.switch_on {
            let _ = write!(u, "{sep}redact=1");
        }
        esc(&u)
    }

    fn host(&self, name: &str) -> String {
        format!("<a href=\"{}\">{}</a>", self.href("/host", &[("name", name)]), t(name))
    }

    fn account(&self, name: &str) -> String {
        format!("<a href=\"{}\">{}</a>", self.href("/account", &[("name", name)]), t(name))
    }

    fn opt_host(&self, name: &Option<String>) -> String {
        name.as_deref().map_or("?".into(), |n| self.host(n))
    }

    fn opt_account(&self, name: &Option<String>) -> String {
        name.as_deref().map_or("?".into(), |n| self.account(n))
    }

    fn alert(&self, id: &str) -> String {
        format!("<a href=\"{}\">{}</a>", self.href("/alert", &[("id", id)]), t(id))
    }

    fn evidence(&self, e: &EvidenceRef) -> String {
        let (file, key, n) = match e {
            EvidenceRef::Line { file, line } => (file, "line", line),
            EvidenceRef::Record { file, record } => (file, "record", record),
        };
        let n = n.to_string();
        format!(
            "<a class=\"ev\" href=\"{}\">{}</a>",
            self.href("/evidence", &[("file", file), (key, &n)]),
            t(&e.to_string())
        )
    }
}

/// The frame of every page: `path_and_query` is this page's own, for its JSON link.
fn page(ctx: &Ctx, case: &CaseView, title: &str, api: &str, body: &str) -> String {
    let mut o = String::with_capacity(body.len() + 2048);
    let _ = write!(
        o,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · {} · hopscope</title>\
         <link rel=\"stylesheet\" href=\"/assets/app.css\">\
         <script src=\"/assets/app.js\" defer></script></head><body>\
         <header><a class=\"brand\" href=\"{}\">hopscope</a> <span class=\"case\">{}</span>\
         <nav><a href=\"{}\">Alerts</a></nav>",
        t(title),
        t(&case.name),
        ctx.href("/alerts", &[]),
        t(&case.name),
        ctx.href("/alerts", &[]),
    );
    if ctx.always {
        o.push_str("<span class=\"redacted\">redacted: client names as pseudonyms</span>");
    } else if ctx.available {
        // the switch: the same page with or without `redact=1`
        let (label, target) = if ctx.switch_on {
            ("redacted — show names", strip_redact(api))
        } else {
            ("redact client names", with_redact(api))
        };
        let target = target.strip_prefix("/api").unwrap_or(&target).to_string();
        let _ = write!(o, "<a class=\"switch\" href=\"{}\">{label}</a>", esc(&target));
    }
    let _ = writeln!(
        o,
        "</header><main>{body}</main><footer>{} events, {} logins, {} hosts, {} accounts, \
         {} → {} · <a href=\"{}\">this page as JSON</a></footer></body></html>",
        case.events,
        case.logins,
        case.hosts,
        case.accounts,
        t(&case.first_time.as_deref().map(short_rfc3339).unwrap_or_default()),
        t(&case.last_time.as_deref().map(short_rfc3339).unwrap_or_default()),
        esc(api),
    );
    o
}

fn with_redact(u: &str) -> String {
    if u.contains('?') {
        format!("{u}&redact=1")
    } else {
        format!("{u}?redact=1")
    }
}

fn strip_redact(u: &str) -> String {
    let (path, query) = u.split_once('?').unwrap_or((u, ""));
    let kept: Vec<&str> = query.split('&').filter(|p| !p.is_empty() && *p != "redact=1").collect();
    if kept.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", kept.join("&"))
    }
}

fn when(s: &str) -> String {
    t(&short_rfc3339(s))
}

/// An error page: `status` and what went wrong.
pub fn error_page(message: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>hopscope</title>\
         <link rel=\"stylesheet\" href=\"/assets/app.css\"></head><body><main><h1>Not here</h1>\
         <p>{}</p><p><a href=\"/alerts\">Alerts</a></p></main></body></html>\n",
        t(message)
    )
}

fn alert_rows(ctx: &Ctx, o: &mut String, alerts: &[AlertSummary]) {
    o.push_str(
        "<table class=\"alerts filterable\"><thead><tr><th>alert</th><th>score</th>\
         <th>raised</th><th>entry</th><th>path</th><th>countries</th><th>account</th>\
         <th>hops</th></tr></thead><tbody>",
    );
    for a in alerts {
        let path: Vec<String> = a.hosts.iter().map(|h| ctx.host(h)).collect();
        let _ = write!(
            o,
            "<tr><td>{}</td><td class=\"num\">{:.1}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
            ctx.alert(&a.id),
            a.score,
            when(&a.raised_at),
            ctx.host(&a.entry_host),
            path.join(" → "),
            t(&a.countries.join(" → ")),
            ctx.opt_account(&a.causal_account),
            a.hops
        );
    }
    o.push_str("</tbody></table>");
}

pub fn alerts(ctx: &Ctx, p: &AlertsPage, api: &str) -> String {
    let mut o = String::new();
    let s = &p.settings;
    let _ = write!(
        o,
        "<h1>Alerts</h1><p class=\"budget\">Budget: {} alerts a day, best first \
         ({} dropped by the budget); minimum score {} bits; window {}; warmup {}{}.</p>",
        s.budget,
        p.dropped_by_budget,
        s.min_score,
        t(&s.window),
        t(&s.warmup),
        p.warmup_end.as_deref().map(|w| format!(" (until {})", when(w))).unwrap_or_default()
    );
    let f = &p.filter;
    let _ = write!(
        o,
        "<form method=\"get\" action=\"/alerts\" class=\"filter\">\
         <label>text <input name=\"q\" value=\"{}\" placeholder=\"host, country, account, id\"></label>\
         <label>day <input name=\"day\" value=\"{}\" placeholder=\"2019-09-05\"></label>\
         <label>min score <input name=\"min_score\" value=\"{}\" size=\"5\"></label>",
        t(f.q.as_deref().unwrap_or("")),
        t(f.day.as_deref().unwrap_or("")),
        f.min_score.map(|m| m.to_string()).unwrap_or_default()
    );
    if ctx.switch_on {
        o.push_str("<input type=\"hidden\" name=\"redact\" value=\"1\">");
    }
    let _ = write!(
        o,
        "<button>filter</button></form><p>{} of {} alerts ({} suspicious hops; {} raised).</p>",
        p.matching,
        p.stats.raised.max(p.matching as u64),
        p.stats.suspicious_hops,
        p.stats.raised
    );
    alert_rows(ctx, &mut o, &p.alerts);
    if !p.days.is_empty() {
        o.push_str("<h2>By day</h2><p class=\"days\">");
        for d in &p.days {
            let _ = write!(
                o,
                "<a href=\"{}\">{} ({})</a> ",
                ctx.href("/alerts", &[("day", &d.day)]),
                t(&d.day),
                d.logins_in
            );
        }
        o.push_str("</p>");
    }
    page(ctx, &p.case, "Alerts", api, &o)
}

/// The hop path across countries over time: a lane per country (in the order the path meets
/// them), a column per hop, an arrow per hop from its source's lane to its destination's.
fn path_svg(ctx: &Ctx, hops: &[AlertHopView]) -> String {
    let mut lanes: Vec<String> = Vec::new();
    let lane = |c: &Option<String>, lanes: &mut Vec<String>| {
        let c = c.clone().unwrap_or_else(|| "unknown".into());
        match lanes.iter().position(|l| *l == c) {
            Some(i) => i,
            None => {
                lanes.push(c);
                lanes.len() - 1
            }
        }
    };
    let rows: Vec<(usize, usize)> = hops
        .iter()
        .map(|h| (lane(&h.src_country, &mut lanes), lane(&h.dst_country, &mut lanes)))
        .collect();
    let (left, col, row, top) = (130, 170, 64, 30);
    let width = left + col * (hops.len() + 1) + 20;
    let height = top + row * lanes.len() + 40;
    let mut o = String::new();
    let _ = write!(
        o,
        "<svg class=\"path\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" \
         role=\"img\" aria-label=\"hop path across countries over time\">"
    );
    for (i, l) in lanes.iter().enumerate() {
        let y = top + row * i + row / 2;
        let _ = write!(
            o,
            "<line class=\"lane\" x1=\"{left}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\"/>\
             <text class=\"country\" x=\"8\" y=\"{}\">{}</text>",
            width - 10,
            y + 4,
            t(l)
        );
    }
    for (i, (h, (a, b))) in hops.iter().zip(&rows).enumerate() {
        let x1 = left + col * i + 10;
        let x2 = x1 + col - 20;
        let y1 = top + row * a + row / 2;
        let y2 = top + row * b + row / 2;
        let _ = write!(
            o,
            "<a href=\"#hop-{n}\"><line class=\"hop\" x1=\"{x1}\" y1=\"{y1}\" x2=\"{x2}\" y2=\"{y2}\"/>\
             <circle class=\"src\" cx=\"{x1}\" cy=\"{y1}\" r=\"5\"/>\
             <circle class=\"dst\" cx=\"{x2}\" cy=\"{y2}\" r=\"6\"/>\
             <text class=\"host\" x=\"{x2}\" y=\"{}\" text-anchor=\"middle\">{}</text>\
             <text class=\"when\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text></a>",
            y2 - 10,
            t(h.dst_host.as_deref().unwrap_or("?")),
            (x1 + x2) / 2,
            height - 12,
            t(h.time.get(..10).unwrap_or(&h.time)),
            n = i + 1,
        );
        if i == 0 {
            let _ = write!(
                o,
                "<text class=\"host\" x=\"{x1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                y1 - 10,
                t(h.src_host.as_deref().unwrap_or("?"))
            );
        }
    }
    let _ = ctx;
    o.push_str("</svg>");
    o
}

pub fn alert(ctx: &Ctx, p: &AlertPage, api: &str) -> String {
    let a: &AlertView = &p.alert;
    let mut o = String::new();
    let _ = write!(
        o,
        "<h1>Alert {}</h1><p class=\"lead\">score {:.1} bits · raised {} · {} → {} · entry {} \
         ({}) · causal account {}</p>",
        t(&a.id),
        a.score,
        when(&a.raised_at),
        when(&a.first_time),
        when(&a.last_time),
        ctx.host(&a.entry_host),
        t(&a.chain_origin),
        ctx.opt_account(&a.causal_account),
    );
    if !a.reasons.is_empty() {
        o.push_str("<ul class=\"reasons\">");
        for r in &a.reasons {
            let _ = write!(o, "<li>{}</li>", t(r));
        }
        o.push_str("</ul>");
    }
    o.push_str(&path_svg(ctx, &a.hops));
    if a.hops_omitted > 0 {
        let _ = write!(o, "<p>{} more hops not listed (the alert's limit).</p>", a.hops_omitted);
    }
    o.push_str("<h2>Hops</h2><ol class=\"hops\">");
    for (i, h) in a.hops.iter().enumerate() {
        let _ = write!(
            o,
            "<li id=\"hop-{}\"><p><b>{}</b> {} → {} as {} ({}, {}) · {} → {} · \
             <b>{:.1} bits</b></p>",
            i + 1,
            when(&h.time),
            ctx.opt_host(&h.src_host),
            ctx.opt_host(&h.dst_host),
            ctx.opt_account(&h.user),
            t(h.auth.as_deref().unwrap_or("?")),
            t(&h.logon_type),
            t(h.src_country.as_deref().unwrap_or("?")),
            t(h.dst_country.as_deref().unwrap_or("?")),
            h.score
        );
        if !h.features.is_empty() {
            o.push_str("<ul class=\"features\">");
            for f in &h.features {
                let _ =
                    write!(o, "<li>{} <span class=\"bits\">{:.1}</span></li>", t(&f.name), f.bits);
            }
            o.push_str("</ul>");
        }
        if !h.techniques.is_empty() {
            let _ = write!(o, "<p class=\"attack\">ATT&amp;CK {}</p>", t(&h.techniques.join(", ")));
        }
        o.push_str("<p class=\"evidence\">evidence ");
        let ev: Vec<String> = h.evidence.iter().map(|e| ctx.evidence(e)).collect();
        o.push_str(&ev.join(", "));
        o.push_str("</p>");
        for n in &h.log_notes {
            let _ = write!(o, "<p class=\"note\">{}</p>", t(n));
        }
        o.push_str("</li>");
    }
    o.push_str("</ol>");
    if !a.threads.is_empty() {
        o.push_str(
            "<h2>Threads</h2><table><thead><tr><th>#</th><th>entry</th><th>origin</th>\
                    <th>hops</th><th>other entry candidates</th></tr></thead><tbody>",
        );
        for (i, th) in a.threads.iter().enumerate() {
            let hops: Vec<String> = th
                .hops
                .iter()
                .map(|&n| format!("<a href=\"#hop-{}\">{}</a>", n + 1, n + 1))
                .collect();
            let others: Vec<String> = th.other_entries.iter().map(|h| ctx.host(h)).collect();
            let _ = write!(
                o,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                i + 1,
                ctx.host(&th.entry_host),
                t(&th.chain_origin),
                hops.join(" "),
                others.join(", ")
            );
        }
        o.push_str("</tbody></table>");
    }
    o.push_str("<h2>Entry</h2><p>");
    let _ = write!(o, "entry host {}", ctx.host(&a.entry_host));
    if let Some(f) = &a.first_seen_on {
        let _ = write!(o, " · first seen on {}", t(f));
    }
    if !a.other_entries.is_empty() {
        let others: Vec<String> = a.other_entries.iter().map(|h| ctx.host(h)).collect();
        let _ = write!(o, " · other candidates: {}", others.join(", "));
    }
    o.push_str("</p>");
    if let Some(arr) = &a.arrived_by {
        let _ = write!(o, "<p>arrived by {}</p>", login_line(ctx, &arr.login));
    }
    if !p.begun_on_the_entry_of.is_empty() {
        let ids: Vec<String> = p.begun_on_the_entry_of.iter().map(|i| ctx.alert(i)).collect();
        let _ = write!(o, "<p>begun on the entry of {}</p>", ids.join(", "));
    }
    if let Some(last) = a.hops.last() {
        let dst = last.dst_host.as_deref().unwrap_or("?");
        // a minute after the last hop: the hop itself and the alert as raised by it count
        // (a hop waits out the clock skew before detection takes it)
        let at = crate::views::parse_when(&last.time)
            .map(|t| {
                hopscope_model::Time(t.0.saturating_add(60 * hopscope_engine::SECOND)).to_rfc3339()
            })
            .unwrap_or_else(|| last.time.clone());
        let redacted = Ctx { switch_on: true, always: ctx.always, available: ctx.available };
        let _ = write!(
            o,
            "<h2>Investigate</h2><ul class=\"investigate\"><li><a href=\"{}\">Trace back</a> \
             from {} at {}</li><li><a href=\"{}\">Scope forward</a> to the end of the data",
            ctx.href("/trace", &[("host", dst), ("at", &at)]),
            t(dst),
            when(&at),
            ctx.href("/scope", &[("alert", &a.id)]),
        );
        if ctx.available && !ctx.always && !ctx.switch_on {
            let _ = write!(
                o,
                " (<a href=\"{}\">redacted</a>)",
                redacted.href("/scope", &[("alert", &a.id)])
            );
        }
        o.push_str("</li></ul>");
    }
    page(ctx, &p.case, &format!("Alert {}", a.id), api, &o)
}

fn login_line(ctx: &Ctx, l: &LoginView) -> String {
    format!(
        "{} {} → {} as {} ({}, {}) {}",
        when(&l.time),
        ctx.host(&l.src_host),
        ctx.host(&l.dst_host),
        ctx.opt_account(&l.user),
        t(l.auth.as_deref().unwrap_or("?")),
        t(&l.logon_type),
        ctx.evidence(&l.evidence)
    )
}

fn logins_table(ctx: &Ctx, o: &mut String, logins: &[LoginView]) {
    o.push_str(
        "<table class=\"logins filterable\"><thead><tr><th>time</th><th>from</th><th>to</th>\
         <th>account</th><th>auth</th><th>kind</th><th>evidence</th></tr></thead><tbody>",
    );
    for l in logins {
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            when(&l.time),
            ctx.host(&l.src_host),
            ctx.host(&l.dst_host),
            ctx.opt_account(&l.user),
            t(l.auth.as_deref().unwrap_or("?")),
            t(&l.logon_type),
            ctx.evidence(&l.evidence)
        );
    }
    o.push_str("</tbody></table>");
}

/// Logins per day as bars, each a link narrowing the list to that day.
fn day_bars(ctx: &Ctx, o: &mut String, path: &str, key: (&str, &str), days: &[DayCount]) {
    if days.is_empty() {
        return;
    }
    let max = days.iter().map(|d| d.logins_in + d.logins_out).max().unwrap_or(1).max(1);
    o.push_str("<div class=\"days\">");
    for d in days {
        let next = crate::views::parse_when(&d.day)
            .map(|t| hopscope_model::Time(t.0 + hopscope_engine::DAY).to_rfc3339())
            .unwrap_or_default();
        let pct = |n: u64| (n * 100).div_ceil(max);
        let _ = write!(
            o,
            "<a class=\"day\" title=\"{} in {} out {}\" href=\"{}\">\
             <span class=\"in h{}\"></span><span class=\"out h{}\"></span></a>",
            t(&d.day),
            d.logins_in,
            d.logins_out,
            ctx.href(path, &[key, ("from", &d.day), ("to", next.get(..10).unwrap_or(""))]),
            pct(d.logins_in).div_ceil(5).min(20) * 5,
            pct(d.logins_out).div_ceil(5).min(20) * 5,
        );
    }
    let _ = write!(
        o,
        "</div><p class=\"axis\">{} … {} ({} days with logins; a bar narrows the list to its day)</p>",
        t(&days[0].day),
        t(&days[days.len() - 1].day),
        days.len()
    );
}

fn window_nav(ctx: &Ctx, o: &mut String, path: &str, key: (&str, &str), w: &Window, n: usize) {
    let shown_to = (w.offset + PAGE_ROWS).min(n);
    let _ = write!(
        o,
        "<p class=\"window\">{} logins{}{}; showing {}–{}",
        n,
        w.from.as_deref().map(|f| format!(" from {}", t(f))).unwrap_or_default(),
        w.to.as_deref().map(|f| format!(" to {}", t(f))).unwrap_or_default(),
        (w.offset + 1).min(n),
        shown_to
    );
    let from = w.from.clone().unwrap_or_default();
    let to = w.to.clone().unwrap_or_default();
    if shown_to < n {
        let off = shown_to.to_string();
        let _ = write!(
            o,
            " · <a href=\"{}\">next {}</a>",
            ctx.href(path, &[key, ("from", &from), ("to", &to), ("offset", &off)]),
            PAGE_ROWS
        );
    }
    if w.from.is_some() || w.to.is_some() || w.offset > 0 {
        let _ = write!(o, " · <a href=\"{}\">all</a>", ctx.href(path, &[key]));
    }
    o.push_str("</p>");
}

fn findings(ctx: &Ctx, o: &mut String, f: &[FindingView]) {
    if f.is_empty() {
        o.push_str("<p>No audit finding.</p>");
        return;
    }
    o.push_str("<ul class=\"findings\">");
    for x in f {
        let _ = write!(
            o,
            "<li><b class=\"sev-{}\">{}</b> {} — {}",
            t(&x.severity),
            t(&x.severity),
            t(&x.kind),
            t(&x.detail)
        );
        for s in [&x.first, &x.last].into_iter().flatten() {
            let _ = write!(o, " · {} {}", when(&s.time), ctx.evidence(&s.evidence));
        }
        o.push_str("</li>");
    }
    o.push_str("</ul>");
}

pub fn host(ctx: &Ctx, p: &HostPage, api: &str) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<h1>Host {}</h1><p class=\"lead\">{} · {} · {} · {} logins in, {} out</p>",
        t(&p.host),
        t(&p.kind),
        t(p.site.as_deref().unwrap_or("no site")),
        t(p.country.as_deref().unwrap_or("no country")),
        p.logins_in,
        p.logins_out
    );
    if let Some(at) = &p.last_login_in {
        let _ = write!(
            o,
            "<p><a href=\"{}\">Trace back</a> from here at its last login in ({})</p>",
            ctx.href("/trace", &[("host", &p.host), ("at", at)]),
            when(at)
        );
    }
    o.push_str("<h2>Inventory</h2>");
    match &p.inventory {
        Some(i) => {
            let _ = write!(
                o,
                "<dl class=\"facts\"><dt>addresses</dt><dd>{}</dd><dt>site</dt><dd>{}</dd>\
                 <dt>country</dt><dd>{}</dd><dt>role</dt><dd>{}</dd><dt>owner</dt><dd>{}</dd>\
                 <dt>lifecycle</dt><dd>{}</dd><dt>last patched</dt><dd>{}</dd>\
                 <dt>internet-facing</dt><dd>{}</dd><dt>criticality</dt><dd>{}</dd></dl>",
                t(&i.ips.join(", ")),
                t(&i.site),
                t(&i.country),
                t(&i.role),
                t(&i.owner),
                t(&i.lifecycle),
                t(i.last_patched.as_deref().unwrap_or("unknown")),
                if i.internet_facing { "yes" } else { "no" },
                t(&i.criticality)
            );
        }
        None => o.push_str("<p>Not in the inventory.</p>"),
    }
    if !p.data.is_empty() {
        o.push_str(
            "<h2>Data it holds</h2><table><thead><tr><th>client</th><th>class</th>\
                    <th>records</th><th>restricted</th></tr></thead><tbody>",
        );
        for d in &p.data {
            let _ = write!(
                o,
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                t(&d.client),
                t(&d.data_class),
                d.records,
                if d.restricted { "restricted" } else { "" }
            );
        }
        o.push_str("</tbody></table>");
    }
    o.push_str("<h2>Alerts it is in</h2>");
    if p.alerts.is_empty() {
        o.push_str("<p>None.</p>");
    } else {
        alert_rows(ctx, &mut o, &p.alerts);
    }
    o.push_str("<h2>Audit</h2>");
    findings(ctx, &mut o, &p.audit);
    o.push_str("<h2>Logins over time</h2>");
    let key = ("name", p.host.as_str());
    day_bars(ctx, &mut o, "/host", key, &p.days);
    window_nav(ctx, &mut o, "/host", key, &p.window, p.matching);
    logins_table(ctx, &mut o, &p.logins);
    let _ = write!(
        o,
        "<h2>Edges, by first sight</h2><table class=\"filterable\"><thead><tr>\
                       <th>from</th><th>to</th><th>first</th><th>last</th><th>logins</th>\
                       <th>first evidence</th></tr></thead><tbody>"
    );
    for e in &p.edges {
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            ctx.host(&e.src_host),
            ctx.host(&e.dst_host),
            when(&e.first.time),
            when(&e.last_time),
            e.count,
            ctx.evidence(&e.first.evidence)
        );
    }
    o.push_str("</tbody></table>");
    page(ctx, &p.case, &format!("Host {}", p.host), api, &o)
}

pub fn account(ctx: &Ctx, p: &AccountPage, api: &str) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<h1>Account {}</h1><p class=\"lead\">{} logins</p>",
        t(&p.account),
        p.logins_total
    );
    o.push_str(
        "<h2>Where it logged in</h2><table class=\"filterable\"><thead><tr><th>host</th>\
                <th>logins</th><th>first</th><th>last</th><th>from</th></tr></thead><tbody>",
    );
    for h in &p.hosts {
        let from: Vec<String> = h.from.iter().map(|f| ctx.host(f)).collect();
        let _ = write!(
            o,
            "<tr><td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ctx.host(&h.host),
            h.logins,
            when(&h.first_time),
            when(&h.last_time),
            from.join(", ")
        );
    }
    o.push_str("</tbody></table><h2>Credential switches</h2>");
    if p.switches.is_empty() {
        o.push_str("<p>None logged.</p>");
    } else {
        o.push_str("<ul class=\"switches\">");
        for s in &p.switches {
            let _ = write!(
                o,
                "<li>{} on the source, then {}</li>",
                ctx.opt_account(&s.src_user),
                login_line(ctx, &s.login)
            );
        }
        o.push_str("</ul>");
    }
    o.push_str("<h2>Logins over time</h2>");
    let key = ("name", p.account.as_str());
    day_bars(ctx, &mut o, "/account", key, &p.days);
    window_nav(ctx, &mut o, "/account", key, &p.window, p.matching);
    logins_table(ctx, &mut o, &p.logins);
    page(ctx, &p.case, &format!("Account {}", p.account), api, &o)
}

pub fn evidence(ctx: &Ctx, p: &EvidencePage, api: &str) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<h1>Evidence {}</h1><p class=\"status status-{}\"><b>{}</b>: {}</p>\
         <p class=\"file\">read from {}{}</p>",
        t(&p.evidence.to_string()),
        t(&p.status),
        t(&p.status),
        t(&p.note),
        t(&p.path),
        p.sha256.as_deref().map(|h| format!(" · sha256 {}", t(h))).unwrap_or_default()
    );
    if !p.lines.is_empty() {
        o.push_str("<table class=\"lines\"><tbody>");
        for l in &p.lines {
            let _ = write!(
                o,
                "<tr{}><td class=\"num\">{}</td><td><code>{}</code></td></tr>",
                if l.cited { " class=\"cited\"" } else { "" },
                l.line,
                t(&l.text)
            );
        }
        o.push_str("</tbody></table>");
    }
    let _ = ctx;
    page(ctx, &p.case, &format!("Evidence {}", p.evidence), api, &o)
}

fn trace_hop_rows(ctx: &Ctx, o: &mut String, hops: &[hopscope_report::view::TraceHopView]) {
    o.push_str(
        "<table class=\"trace\"><thead><tr><th>time</th><th>from</th><th>to</th><th>account</th>\
         <th>bits</th><th>reasons</th><th>evidence</th></tr></thead><tbody>",
    );
    for h in hops {
        if let Some(s) = &h.after_switch {
            let _ = write!(
                o,
                "<tr class=\"switch\"><td colspan=\"6\">then {}</td><td>{}</td></tr>",
                t(&s.text),
                ctx.evidence(&s.evidence)
            );
        }
        let l = &h.hop;
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{:.1}</td>\
             <td>{}</td><td>{}</td></tr>",
            when(&l.time),
            ctx.host(&l.src_host),
            ctx.host(&l.dst_host),
            ctx.opt_account(&l.user),
            h.score,
            t(&h.reasons.join(", ")),
            ctx.evidence(&l.evidence)
        );
    }
    o.push_str("</tbody></table>");
}

pub fn trace(ctx: &Ctx, p: &crate::views::TracePage, api: &str) -> String {
    let tr = &p.trace;
    let mut o = String::new();
    let _ = write!(
        o,
        "<h1>Trace back from {} at {}</h1><p class=\"lead\">over {} logins up to then</p>",
        ctx.host(&tr.host),
        when(&tr.at),
        tr.logins
    );
    match &tr.entry_point {
        None => o.push_str("<p>No suspicious login reached this host before then.</p>"),
        Some(e) => {
            let _ =
                write!(o, "<p>Entry point <b>{}</b>: {}", ctx.host(&e.host), t(&e.why.join("; ")));
            if !e.other_entries.is_empty() {
                let others: Vec<String> = e.other_entries.iter().map(|h| ctx.host(h)).collect();
                let _ = write!(o, " · other candidates: {}", others.join(", "));
            }
            o.push_str("</p>");
            if let Some(id) = &tr.alert {
                let _ = write!(o, "<p>along alert {}</p>", ctx.alert(id));
            }
            if let Some(f) = &tr.first_malicious_time {
                let _ = write!(o, "<p>first malicious hop {}</p>", when(f));
            }
            trace_hop_rows(ctx, &mut o, &tr.path);
        }
    }
    if !tr.alternatives.is_empty() {
        o.push_str("<h2>Alternatives</h2>");
        for alt in &tr.alternatives {
            let _ = write!(
                o,
                "<p>entry {} (score {:.1}{})</p>",
                ctx.host(&alt.entry_point.host),
                alt.score,
                alt.alert
                    .as_deref()
                    .map(|a| format!(", alert {}", ctx.alert(a)))
                    .unwrap_or_default()
            );
            trace_hop_rows(ctx, &mut o, &alt.path);
        }
    }
    if !tr.log_notes.is_empty() {
        o.push_str("<h2>What the logs cannot show</h2><ul>");
        for n in &tr.log_notes {
            let _ = write!(o, "<li>{}</li>", t(n));
        }
        o.push_str("</ul>");
    }
    page(ctx, &p.case, &format!("Trace {}", tr.host), api, &o)
}

/// Rows of the scope page's host and account tables; the JSON holds them all.
const SCOPE_ROWS: usize = 500;

fn more_rows(o: &mut String, n: usize) {
    if n > SCOPE_ROWS {
        let _ = write!(
            o,
            "<p class=\"more\">{} more, in this page's JSON (below).</p>",
            n - SCOPE_ROWS
        );
    }
}

pub fn scope(ctx: &Ctx, p: &crate::views::ScopePage, api: &str) -> String {
    let s = &p.scope;
    let mut o = String::new();
    let _ = write!(
        o,
        "<h1>Scope of {}</h1><p class=\"lead\">{} · contained at {} · accounts exposed for {} \
         days after last use{}</p><p>{} hosts ({} observed), {} accounts, {} client \
         organisations ({} restricted), {} records.</p>",
        ctx.alert(&p.alert),
        t(&s.seed),
        when(&s.contained_at),
        s.exposure_window_days,
        if s.redacted { " · clients as pseudonyms" } else { "" },
        s.host_count,
        s.observed_host_count,
        s.account_count,
        s.client_count,
        s.restricted_client_count,
        s.records
    );
    o.push_str("<h2>Hosts</h2><table class=\"filterable\"><thead><tr><th>host</th><th>tier</th>\
                <th>compromised</th><th>exposed until</th><th>country</th><th>via</th></tr></thead><tbody>");
    for h in s.hosts.iter().take(SCOPE_ROWS) {
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ctx.host(&h.host),
            t(&h.tier),
            when(&h.compromised_at),
            when(&h.exposed_until),
            t(h.country.as_deref().unwrap_or("")),
            h.via.as_ref().map(|v| ctx.evidence(&v.evidence)).unwrap_or_else(|| t(&h.via_reason))
        );
    }
    o.push_str("</tbody></table>");
    more_rows(&mut o, s.hosts.len());
    o.push_str(
        "<h2>Accounts</h2><table class=\"filterable\"><thead><tr>\
                <th>account</th><th>on</th><th>exposed</th><th>until</th><th>evidence</th></tr>\
                </thead><tbody>",
    );
    for a in s.accounts.iter().take(SCOPE_ROWS) {
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ctx.account(&a.account),
            ctx.host(&a.exposed_on),
            when(&a.exposed_at),
            when(&a.exposed_until),
            ctx.evidence(&a.evidence)
        );
    }
    o.push_str("</tbody></table>");
    more_rows(&mut o, s.accounts.len());
    o.push_str(
        "<h2>Client organisations</h2><table class=\"filterable\"><thead>\
                <tr><th>client</th><th>restricted</th><th>tier</th><th>hosts</th><th>data</th>\
                <th>records</th><th>earliest exposure</th></tr></thead><tbody>",
    );
    for c in &s.clients {
        let hosts: Vec<String> = c.hosts.iter().map(|h| ctx.host(h)).collect();
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td>\
             <td>{}</td></tr>",
            t(&c.client),
            if c.restricted { "restricted" } else { "" },
            t(&c.tier),
            hosts.join(", "),
            t(&c.data_classes.join(", ")),
            c.records,
            when(&c.earliest_exposure)
        );
    }
    o.push_str("</tbody></table>");
    page(ctx, &p.case, &format!("Scope {}", p.alert), api, &o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_visibly_then_for_html() {
        assert_eq!(t("<b>&\"'"), "&lt;b&gt;&amp;&quot;&#39;");
        assert_eq!(t("\u{202e}admin\x1b[2J"), "\\u202eadmin\\x1b[2J");
        assert_eq!(t("東京 CORP\\alice"), "東京 CORP\\alice");
    }

    #[test]
    fn links_are_percent_encoded_and_keep_the_switch() {
        let off = Ctx { switch_on: false, always: false, available: true };
        let on = Ctx { switch_on: true, ..off };
        assert_eq!(off.href("/host", &[("name", "a b/\"<&")]), "/host?name=a%20b%2F%22%3C%26");
        assert_eq!(on.href("/alerts", &[]), "/alerts?redact=1");
        assert_eq!(on.href("/host", &[("name", "x")]), "/host?name=x&amp;redact=1");
        assert_eq!(enc("\u{202e}"), "%E2%80%AE");
        assert_eq!(strip_redact("/host?name=x&redact=1"), "/host?name=x");
        assert_eq!(with_redact("/alerts"), "/alerts?redact=1");
    }
}
