//! `hopscope serve` end to end: the binary serves a case on a loopback port and these tests
//! talk HTTP to it: the walk from the alert list down to the log line, the JSON API against
//! `detect --json`, hostile names on every page, a redacted crawl of every page and answer,
//! the security checks (method, Host, token) and evidence that changed or is gone.

mod support;

use std::collections::{BTreeSet, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use support::ok;
use support::story::{events, make_case, HOSTS};
use unicode_normalization::UnicodeNormalization;

/// A running `hopscope serve`, stopped when dropped.
struct Server {
    child: Child,
    port: u16,
    /// The URL it printed.
    url: String,
}

impl Server {
    fn start(cwd: &Path, extra: &[&str]) -> Server {
        Server::spawn(cwd, &[&["serve", "--case", "c", "--warmup", "2d"][..], extra].concat())
    }

    /// Run `hopscope ARGS` and wait for the URL it prints on a line of its own.
    fn spawn(cwd: &Path, args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hopscope"))
            .args(args)
            .current_dir(cwd)
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let url = loop {
            let mut line = String::new();
            assert!(out.read_line(&mut line).unwrap() > 0, "{args:?} printed no URL");
            if line.starts_with("http://") {
                break line.trim().to_string();
            }
        };
        let rest = &url["http://".len()..];
        let hostport = rest.split('/').next().unwrap();
        let port = hostport.rsplit(':').next().unwrap().parse().unwrap();
        Server { child, port, url }
    }

    /// GET `path` as a browser on this machine would.
    fn get(&self, path: &str) -> Answer {
        self.request("GET", path, &format!("127.0.0.1:{}", self.port), &[])
    }

    fn request(&self, method: &str, path: &str, host: &str, headers: &[(&str, &str)]) -> Answer {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(60))).unwrap();
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("Content-Length: 0\r\n\r\n");
        s.write_all(req.as_bytes()).unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).unwrap();
        Answer::parse(&raw)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn parse(raw: &[u8]) -> Answer {
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("an HTTP answer");
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut lines = head.lines();
        let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let mut body = raw[split + 4..].to_vec();
        if headers.iter().any(|(k, v)| k == "transfer-encoding" && v.contains("chunked")) {
            body = dechunk(&body);
        }
        Answer { status, headers, body: String::from_utf8(body).expect("UTF-8 answer") }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = b.windows(2).position(|w| w == b"\r\n") else { return out };
        let n = usize::from_str_radix(std::str::from_utf8(&b[..eol]).unwrap().trim(), 16).unwrap();
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + n]);
        b = &b[eol + 2 + n + 2..];
    }
}

/// The links of a page (`href="…"`), HTML entities undone; only this server's own.
fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("href=\"") {
        rest = &rest[i + 6..];
        let end = rest.find('"').unwrap();
        let href = rest[..end].replace("&amp;", "&").replace("&quot;", "\"").replace("&#39;", "'");
        if href.starts_with('/') {
            out.push(href);
        }
        rest = &rest[end..];
    }
    out
}

/// Every page reachable from `/alerts` (at most `limit`), with its JSON twin: (path, answer).
fn crawl(s: &Server, limit: usize) -> Vec<(String, Answer)> {
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from(["/alerts".to_string()]);
    let mut out = Vec::new();
    while let Some(path) = queue.pop_front() {
        if out.len() >= limit || !seen.insert(path.clone()) {
            continue;
        }
        let a = s.get(&path);
        assert!(
            a.status == 200 || (a.status == 404 && path.starts_with("/evidence")),
            "{path}: {}\n{}",
            a.status,
            a.body
        );
        if a.header("content-type").is_some_and(|c| c.starts_with("text/html")) {
            for l in links(&a.body) {
                if !seen.contains(&l) {
                    queue.push_back(l);
                }
            }
        }
        out.push((path, a));
    }
    out
}

/// The best alert of `detect --json` on the story case (warmup 2d).
fn detect_json(p: &Path, extra: &[&str]) -> serde_json::Value {
    let args = [&["detect", "--case", "c", "--warmup", "2d", "--json"][..], extra].concat();
    serde_json::from_str(&ok(&args, p)).unwrap()
}

#[test]
fn from_the_alert_list_down_to_the_log_line() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    make_case(p);
    let s = Server::start(p, &["--listen", "127.0.0.1:0"]);
    // the URL printed opens the best alert
    assert!(s.url.contains("/alert?id=A-"), "{}", s.url);

    let list = s.get("/alerts");
    assert_eq!(list.status, 200);
    assert!(list.header("content-type").unwrap().starts_with("text/html"));
    let det = detect_json(p, &[]);
    let id = det["alerts"][0]["id"].as_str().unwrap();
    assert!(list.body.contains(&format!("/alert?id={id}")), "{}", list.body);
    assert!(list.body.contains("Budget: 5 alerts a day"), "{}", list.body);

    // the API's alert is detect --json's, field for field
    let api = s.get(&format!("/api/alert?id={id}")).json();
    assert_eq!(api["alert"], det["alerts"][0]);
    let listed = s.get("/api/alerts?q=th-app").json();
    assert!(listed["alerts"].as_array().unwrap().iter().any(|a| a["id"] == id));
    assert_eq!(s.get("/api/alerts?q=no-such-host").json()["matching"], 0);

    // the alert page: the path across countries, the Thai hop, its evidence link
    let page = s.get(&format!("/alert?id={id}"));
    assert_eq!(page.status, 200);
    for want in ["<svg class=\"path\"", "Thailand", "th-app-02", "T1078"] {
        assert!(page.body.contains(want), "{want} missing:\n{}", page.body);
    }
    let hop = det["alerts"][0]["hops"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["dst_host"] == "th-app-02")
        .expect("a hop into th-app-02");
    let ev = &hop["evidence"][0];
    let (file, line) = (ev["file"].as_str().unwrap(), ev["line"].as_u64().unwrap());
    let href = format!("/evidence?file={file}&line={line}");
    assert!(page.body.contains(&href.replace('&', "&amp;")), "{href} not linked");
    let e = s.get(&href);
    assert_eq!(e.status, 200);
    let j = s.get(&format!("/api{href}")).json();
    assert_eq!(j["status"], "verified", "{j}");
    let cited: Vec<&serde_json::Value> =
        j["lines"].as_array().unwrap().iter().filter(|l| l["cited"] == true).collect();
    assert_eq!(cited.len(), 1);
    assert_eq!(cited[0]["line"], line);
    let text = cited[0]["text"].as_str().unwrap();
    // the very line of the file
    let original = std::fs::read_to_string(p.join(file)).unwrap();
    assert_eq!(text, original.lines().nth(line as usize - 1).unwrap());
    assert!(text.contains("th-app-02") && text.contains("sg-ops-03"), "{text}");
    assert!(e.body.contains("class=\"cited\""));

    // trace back and scope forward in place: the commands' JSON, linked from the alert
    let last = det["alerts"][0]["hops"].as_array().unwrap().last().unwrap().clone();
    let dst = last["dst_host"].as_str().unwrap();
    let start = format!("/trace?host={dst}&amp;at=");
    let link = &page.body[page.body.find(&start).expect("a trace link")..];
    let at = link[start.len()..link.find('"').unwrap()].replace("%3A", ":");
    assert!(at.as_str() > last["time"].as_str().unwrap(), "{at}: the trace takes the last hop");
    let trace_href = format!("/trace?host={dst}&at={}", at.replace(':', "%3A"));
    let cli_trace: serde_json::Value = serde_json::from_str(&ok(
        &["trace", "--case", "c", "--host", dst, "--at", &at, "--warmup", "2d", "--json"],
        p,
    ))
    .unwrap();
    assert_eq!(s.get(&format!("/api{trace_href}")).json()["trace"], cli_trace);
    assert_eq!(cli_trace["entry_point"]["host"], "sg-ops-03");
    assert_eq!(cli_trace["alert"], id);
    assert!(s.get(&trace_href).body.contains("Entry point <b><a href=\"/host?name=sg-ops-03\""));
    let cli_scope: serde_json::Value = serde_json::from_str(&ok(
        &["scope", "--case", "c", "--alert", id, "--warmup", "2d", "--json"],
        p,
    ))
    .unwrap();
    assert_eq!(s.get(&format!("/api/scope?alert={id}")).json()["scope"], cli_scope);
    let scoped = s.get(&format!("/scope?alert={id}"));
    assert!(scoped.body.contains("Defence Communications Agency"), "{}", scoped.body);
    let red = s.get(&format!("/scope?alert={id}&redact=1"));
    assert!(
        !red.body.contains("Defence Communications") && red.body.contains("restricted client #1")
    );
    assert!(page.body.contains(&format!("/scope?alert={id}&amp;redact=1")));

    // a host: inventory facts, data, logins, edges, alerts, audit
    let h = s.get("/api/host?name=sg-ops-03").json();
    assert_eq!(h["inventory"]["lifecycle"], "decommissioning");
    assert!(h["alerts"].as_array().unwrap().iter().any(|a| a["id"] == id));
    assert!(h["audit"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["kind"] == "decommissioning-in-use" || f["host"] == "sg-ops-03"));
    assert!(h["edges"].as_array().unwrap().iter().any(|e| e["dst_host"] == "th-app-02"));
    let th = s.get("/api/host?name=th-app-02").json();
    assert_eq!(th["data"][0]["client"], "Siam Foods Co.");
    assert_eq!(
        th["logins_in"].as_u64().unwrap(),
        th["days"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["logins_in"].as_u64().unwrap())
            .sum::<u64>()
    );
    // narrowed to a day
    let day = s.get("/api/host?name=th-app-02&from=2019-09-05&to=2019-09-06").json();
    assert!(day["matching"].as_u64().unwrap() < th["matching"].as_u64().unwrap());
    assert!(day["logins"]
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l["time"].as_str().unwrap().starts_with("2019-09-05")));
    let hp = s.get("/host?name=th-app-02");
    assert!(hp.body.contains("Siam Foods Co.") && hp.body.contains("application"));
    // trace back from the host's last login in, linked from its page
    let last_in = th["last_login_in"].as_str().unwrap();
    let from_host = format!("/trace?host=th-app-02&at={}", last_in.replace(':', "%3A"));
    assert!(hp.body.contains(&from_host.replace('&', "&amp;")), "{from_host} not linked");
    assert_eq!(s.get(&from_host).status, 200);

    // an account: where it logged in and from where
    let a = s.get("/api/account?name=opsadmin").json();
    let hosts: Vec<&str> =
        a["hosts"].as_array().unwrap().iter().map(|h| h["host"].as_str().unwrap()).collect();
    assert_eq!(hosts, ["sg-ops-03", "th-app-02"]);
    assert_eq!(a["hosts"][0]["from"][0], "internet");

    // not there: 404 with the name escaped
    let n = s.get("/host?name=%3Cb%3Enope");
    assert_eq!(n.status, 404);
    assert!(n.body.contains("&lt;b&gt;nope") && !n.body.contains("<b>nope"));
    assert_eq!(s.get("/api/alert?id=A-none").status, 404);
    assert_eq!(s.get("/nowhere").status, 404);
    // the assets come from the application
    let css = s.get("/assets/app.css");
    assert!(css.status == 200 && css.header("content-type").unwrap().starts_with("text/css"));
    assert_eq!(s.get("/assets/app.js").status, 200);

    // every page: the CSP, no inline script or style, nothing loaded from elsewhere
    for (path, a) in crawl(&s, 80) {
        assert_eq!(a.header("content-security-policy").unwrap(), hopscope_serve_csp(), "{path}");
        assert_eq!(a.header("x-content-type-options"), Some("nosniff"));
        if a.header("content-type").is_some_and(|c| c.starts_with("text/html")) {
            no_inline_code(&path, &a.body);
        }
    }
}

fn hopscope_serve_csp() -> &'static str {
    "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; \
     object-src 'none'"
}

/// No script but the application's one file, no inline style, no handler attribute, no URL
/// of another origin, no element but those the pages are made of: read from the tags
/// themselves (escaped text holds no `<`).
fn no_inline_code(path: &str, html: &str) {
    const ELEMENTS: [&str; 45] = [
        "!doctype", "html", "head", "meta", "title", "link", "script", "body", "header", "nav",
        "main", "footer", "span", "a", "h1", "h2", "p", "b", "ul", "ol", "li", "table", "thead",
        "tbody", "tr", "th", "td", "code", "dl", "dt", "dd", "form", "label", "input", "button",
        "svg", "line", "circle", "text", "br", "div", "section", "strong", "em", "small",
    ];
    let mut scripts = 0;
    for tag in html.split('<').skip(1).map(|t| t.split('>').next().unwrap_or("")) {
        let tag = tag.to_lowercase();
        let name = tag.trim_start_matches('/').split([' ', '\n']).next().unwrap_or("");
        assert!(ELEMENTS.contains(&name), "{path}: element <{tag}>");
        assert!(!tag.contains(" style="), "{path}: <{tag}>");
        assert!(!tag.contains("javascript:"), "{path}: <{tag}>");
        let attrs = tag.split([' ', '\n']).skip(1);
        for a in attrs {
            assert!(!a.starts_with("on"), "{path}: handler in <{tag}>");
        }
        for origin in ["=\"http:", "=\"https:", "=\"//"] {
            assert!(!tag.contains(origin), "{path}: another origin in <{tag}>");
        }
        if name == "script" && !tag.starts_with('/') {
            scripts += 1;
            assert_eq!(tag, "script src=\"/assets/app.js\" defer", "{path}");
        }
    }
    assert!(scripts <= 1, "{path}");
    assert!(!html.to_lowercase().contains("<style"), "{path}");
}

/// A case whose names are hostile: a host named like markup, an account with a right-to-left
/// override and an escape sequence, an evidence file named like an attribute breakout.
fn hostile_case(p: &Path) {
    let host = "<img src=x onerror=alert(1)>";
    let user = "\u{202e}nimda\x1b[2J\"><script>alert(2)</script>";
    let file = "logs/\"><svg onload=alert(3)>.jsonl";
    let js = |s: &str| serde_json::to_string(s).unwrap();
    let mut ev = events();
    ev.push_str(&format!(
        "{{\"time\":\"2019-09-05T12:30:00Z\",\"src_host\":\"th-app-02\",\"dst_host\":{},\"user\":{},\"auth\":\"NTLM\",\"logon_type\":\"network\",\"outcome\":\"success\",\"orientation\":\"logon\",\"format\":\"jsonl\"}}\n",
        js(host),
        js(user)
    ));
    std::fs::create_dir_all(p.join("logs")).unwrap();
    std::fs::write(p.join(file), ev).unwrap();
    std::fs::create_dir_all(p.join("cmdb")).unwrap();
    std::fs::write(p.join("cmdb/hosts.csv"), HOSTS).unwrap();
    std::fs::write(p.join("cmdb/data.csv"), support::story::DATA).unwrap();
    ok(&["ingest", file, "--inventory", "cmdb", "--case", "c"], p);
}

#[test]
fn hostile_names_are_shown_escaped_on_every_page() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    hostile_case(p);
    let s = Server::start(p, &["--listen", "127.0.0.1:0", "--budget", "0"]);
    let pages = crawl(&s, 200);
    let html: Vec<&(String, Answer)> = pages
        .iter()
        .filter(|(_, a)| a.header("content-type").is_some_and(|c| c.starts_with("text/html")))
        .collect();
    // the hostile host, account and file each have pages, and they were reached
    let reached = |want: &str| pages.iter().any(|(path, _)| path.starts_with(want));
    assert!(reached("/host?name=%3Cimg"), "{:?}", pages.iter().map(|p| &p.0).collect::<Vec<_>>());
    assert!(reached("/account?name=%E2%80%AEnimda"));
    assert!(reached("/evidence?file=logs%2F%22%3E%3Csvg"));
    let mut shown = [false; 3];
    for (path, a) in &html {
        no_inline_code(path, &a.body);
        assert!(!a.body.contains("<img"), "{path}");
        assert!(!a.body.contains("<svg onload"), "{path}");
        assert!(!a.body.contains('\u{202e}') && !a.body.contains('\x1b'), "{path}");
        shown[0] |= a.body.contains("&lt;img src=x onerror=alert(1)&gt;");
        shown[1] |= a.body.contains("\\u202enimda\\x1b[2J&quot;&gt;&lt;script&gt;");
        shown[2] |= a.body.contains("logs/&quot;&gt;&lt;svg onload=alert(3)&gt;.jsonl");
    }
    assert_eq!(shown, [true; 3], "each hostile name shown, escaped");
    // the evidence of the hostile line: verified, its text escaped
    let (_, ev) = html
        .iter()
        .find(|(path, a)| path.starts_with("/evidence") && a.body.contains("alert(2)"))
        .expect("the hostile line's evidence page");
    assert!(ev.body.contains("verified"));
}

/// Restricted clients with hostile names: accents (in another form in the logs), a name
/// that is also an account, metacharacters.
const RESTRICTED: [&str; 3] =
    ["Secret Ministry of Defence", "École Supérieure de Guerre", "A*B (UK) [x]|$^.+? <b>&"];

/// The restricted names `text` shows as a name (not inside a longer word).
fn leaks(text: &str) -> Vec<&'static str> {
    support::leaks::leaks(text, &RESTRICTED)
}

fn restricted_case(p: &Path) {
    let js = |s: &str| serde_json::to_string(s).unwrap();
    let shouted: String = "ÉCOLE SUPÉRIEURE DE GUERRE".nfd().collect();
    let mut ev = events().replace("\"opsadmin\"", &js(&shouted));
    ev.push_str(&format!(
        "{{\"time\":\"2019-09-05T12:30:00Z\",\"src_host\":\"th-app-02\",\"dst_host\":\"jp-crm-01\",\"user\":{},\"auth\":\"NTLM\",\"logon_type\":\"network\",\"outcome\":\"success\",\"orientation\":\"logon\",\"format\":\"jsonl\"}}\n",
        js("a*b (uk) [X]|$^.+? <B>&")
    ));
    let dir = p.join("SECRET_MINISTRY_OF_DEFENCE");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("auth.jsonl"), ev).unwrap();
    std::fs::create_dir_all(p.join("cmdb")).unwrap();
    std::fs::write(p.join("cmdb/hosts.csv"), HOSTS).unwrap();
    let mut data = String::from("host,client,data_class,records,restricted\n");
    for (i, c) in RESTRICTED.iter().enumerate() {
        let host = ["jp-crm-01", "th-app-02", "sg-ops-03"][i];
        data.push_str(&format!("{host},\"{c}\",class-{i},{},true\n", 10 + i));
    }
    data.push_str("jp-crm-01,Kaito Logistics K.K.,customer-contracts,12840,false\n");
    std::fs::write(p.join("cmdb/data.csv"), data).unwrap();
    ok(&["ingest", "SECRET_MINISTRY_OF_DEFENCE", "--inventory", "cmdb", "--case", "c"], p);
}

/// Every page and its JSON, crawled from the alert list.
fn crawl_with_api(s: &Server, limit: usize) -> Vec<(String, Answer)> {
    let mut pages = crawl(s, limit);
    let apis: Vec<String> = pages
        .iter()
        .filter(|(path, _)| !path.starts_with("/assets"))
        .map(|(path, _)| format!("/api{path}"))
        .collect();
    for a in apis {
        let answer = s.get(&a);
        pages.push((a, answer));
    }
    pages.push(("/api/case".into(), s.get("/api/case")));
    pages
}

#[test]
fn redacted_pages_and_answers_name_no_restricted_client() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    restricted_case(p);
    // without redaction every name is there (else the check proves nothing)
    let plain = Server::start(p, &["--listen", "127.0.0.1:0", "--budget", "0"]);
    let all: String = crawl_with_api(&plain, 300).iter().map(|(_, a)| a.body.as_str()).collect();
    assert_eq!(leaks(&all).len(), RESTRICTED.len(), "{:?}", leaks(&all));
    // the switch: the same server, `redact=1` on every link
    let mut red_links = 0;
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from(["/alerts?redact=1".to_string()]);
    while let Some(path) = queue.pop_front() {
        if seen.len() >= 300 || !seen.insert(path.clone()) {
            continue;
        }
        let a = plain.get(&path);
        let api = plain.get(&format!("/api{path}"));
        for (what, body) in [(&path, &a.body), (&path, &api.body)] {
            assert!(leaks(body).is_empty(), "{what} names {:?}:\n{body}", leaks(body));
        }
        for l in links(&a.body) {
            // every link of a switched page stays switched, but the switch itself
            if l.starts_with("/assets") || l.starts_with("/api") {
                continue;
            }
            if l.contains("redact=1") {
                red_links += 1;
                queue.push_back(l);
            }
        }
    }
    assert!(red_links > 20 && seen.len() > 10, "{red_links} links over {} pages", seen.len());
    drop(plain);

    // serve --redact: every page and answer
    let s = Server::start(p, &["--listen", "127.0.0.1:0", "--budget", "0", "--redact"]);
    let pages = crawl_with_api(&s, 300);
    assert!(pages.len() > 20, "{} pages", pages.len());
    for (path, a) in &pages {
        assert!(leaks(&a.body).is_empty(), "{path} names {:?}:\n{}", leaks(&a.body), a.body);
        assert!(leaks(path).is_empty(), "{path}");
    }
    // a page not found does not echo a restricted name asked for
    for path in [
        "/host?name=Secret%20Ministry%20of%20Defence",
        "/api/account?name=Ab%20Secret%20Ministry%20of%20Defence",
    ] {
        let a = s.get(path);
        assert_eq!(a.status, 404);
        assert!(leaks(&a.body).is_empty(), "{path}: {}", a.body);
    }
    // a pseudonymised name finds its page, and a restricted client is said to be one
    let jp = s.get("/api/host?name=jp-crm-01").json();
    assert!(jp["data"].as_array().unwrap().iter().any(|d| d["client"] == "a restricted client"));
    assert!(
        pages.iter().any(|(path, a)| path.starts_with("/evidence") && a.body.contains("verified")),
        "the evidence, redacted, is still read"
    );
}

#[test]
fn only_get_only_localhost_and_the_token() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    make_case(p);
    let s = Server::start(p, &["--listen", "127.0.0.1:0"]);
    let here = format!("127.0.0.1:{}", s.port);
    for method in ["POST", "PUT", "DELETE", "PATCH"] {
        for path in ["/alerts", "/api/alerts", "/nowhere"] {
            let a = s.request(method, path, &here, &[]);
            assert_eq!(a.status, 405, "{method} {path}");
            assert_eq!(a.header("allow"), Some("GET, HEAD"));
        }
    }
    assert_eq!(s.request("HEAD", "/alerts", &here, &[]).status, 200);
    // DNS rebinding: another name for 127.0.0.1 is refused; the loopback names are not
    let rebound = format!("evil.example:{}", s.port);
    for host in ["evil.example", &rebound, "127.0.0.1", "localhost:1", ""] {
        assert_eq!(s.request("GET", "/alerts", host, &[]).status, 403, "{host:?}");
    }
    for host in [here.clone(), format!("localhost:{}", s.port), format!("LOCALHOST:{}", s.port)] {
        assert_eq!(s.request("GET", "/alerts", &host, &[]).status, 200, "{host}");
    }
    drop(s);

    // a token: refused without it, taken from the URL (then a cookie) or a bearer header
    let token = "0123456789abcdef-token";
    let s = Server::start(p, &["--listen", "127.0.0.1:0", "--token", token]);
    assert!(s.url.ends_with(&format!("token={token}")), "{}", s.url);
    let here = format!("127.0.0.1:{}", s.port);
    assert_eq!(s.get("/alerts").status, 401);
    assert_eq!(s.get("/api/alerts").status, 401);
    assert_eq!(s.get("/alerts?token=wrong-token-of-same-len").status, 401);
    let first = s.get(&format!("/alerts?token={token}"));
    assert_eq!(first.status, 200);
    let cookie = first.header("set-cookie").unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(!first.body.contains(token), "the page does not repeat the token");
    let pair = cookie.split(';').next().unwrap();
    assert_eq!(s.request("GET", "/alerts", &here, &[("Cookie", pair)]).status, 200);
    let bearer = format!("Bearer {token}");
    assert_eq!(s.request("GET", "/api/alerts", &here, &[("Authorization", &bearer)]).status, 200);
    drop(s);

    // beyond the loopback, a token is generated and printed; a short one is refused
    let s = Server::start(p, &["--listen", "0.0.0.0:0"]);
    let t = s.url.split("token=").nth(1).expect("a generated token in the URL");
    assert_eq!(t.len(), 32);
    assert_eq!(s.get("/alerts").status, 401);
    assert_eq!(s.get(&format!("/alerts?token={t}")).status, 200);
    drop(s);
    let o = support::hopscope(&["serve", "--case", "c", "--token", "short"], p);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("at least 16"));
}

#[test]
fn evidence_changed_gone_or_not_in_the_manifest() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    make_case(p);
    let s = Server::start(p, &["--listen", "127.0.0.1:0"]);
    let verified = s.get("/api/evidence?file=events.jsonl&line=3").json();
    assert_eq!(verified["status"], "verified");
    assert_eq!(verified["lines"].as_array().unwrap().len(), 6, "lines 1-6 around line 3");
    let past = s.get("/api/evidence?file=events.jsonl&line=100000").json();
    assert_eq!(past["status"], "not-found");
    // only files the manifest names
    for file in ["/etc/passwd", "../events.jsonl", "c/manifest.json", "cmdb/hosts.csv"] {
        let a = s.get(&format!("/api/evidence?file={}&line=1", file.replace('/', "%2F")));
        assert_eq!(a.status, 404, "{file}");
        assert!(!a.body.contains("root:"), "{file}");
    }
    // changed since ingest: said, and no line shown
    let original = std::fs::read_to_string(p.join("events.jsonl")).unwrap();
    std::fs::write(p.join("events.jsonl"), original.replace("sg-ops-03", "sg-ops-04")).unwrap();
    let changed = s.get("/api/evidence?file=events.jsonl&line=3").json();
    assert_eq!(changed["status"], "changed", "{changed}");
    assert!(changed["lines"].as_array().unwrap().is_empty());
    let page = s.get("/evidence?file=events.jsonl&line=3");
    assert!(page.body.contains("has changed since it was ingested"));
    // gone
    std::fs::remove_file(p.join("events.jsonl")).unwrap();
    let gone = s.get("/api/evidence?file=events.jsonl&line=3").json();
    assert_eq!(gone["status"], "gone", "{gone}");
    assert!(s.get("/evidence?file=events.jsonl&line=3").body.contains("cannot be read"));
    // restored as it was: verified again
    std::fs::write(p.join("events.jsonl"), &original).unwrap();
    assert_eq!(s.get("/api/evidence?file=events.jsonl&line=3").json()["status"], "verified");
}

#[test]
fn the_demo_serves_its_case_from_the_alert_to_the_thai_log_line() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let s = Server::spawn(p, &["demo", "--out", "demo", "--serve", "--listen", "127.0.0.1:0"]);
    // the URL printed is the story's alert, which the alert list holds
    let path = &s.url[s.url.find("/alert?").unwrap()..];
    let id = path.split("id=").nth(1).unwrap();
    assert!(s.get("/alerts").body.contains(&format!("/alert?id={id}")));
    let alert = s.get(&format!("/api{path}")).json();
    let thai = alert["alert"]["hops"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["dst_host"] == "th-app-02")
        .expect("the hop into Thailand");
    let ev = &thai["evidence"][0];
    let href = format!(
        "/api/evidence?file={}&line={}",
        ev["file"].as_str().unwrap().replace('/', "%2F"),
        ev["line"]
    );
    let e = s.get(&href).json();
    assert_eq!(e["status"], "verified", "{e}");
    let cited = e["lines"].as_array().unwrap().iter().find(|l| l["cited"] == true).unwrap();
    assert!(cited["text"].as_str().unwrap().contains("th-app-02"), "{cited}");
    let page = s.get(path);
    assert!(page.body.contains("Thailand") && page.body.contains("Japan"));
    // its trace back, one click away, finds the Singapore entry along the alert
    let start = page.body.find("/trace?host=").expect("a trace link");
    let link =
        page.body[start..start + page.body[start..].find('"').unwrap()].replace("&amp;", "&");
    let tr = s.get(&format!("/api{link}")).json();
    assert_eq!(tr["trace"]["entry_point"]["host"], "sg-ops-03", "{link}");
    assert_eq!(tr["trace"]["alert"], id);
}
