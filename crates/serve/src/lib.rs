//! `hopscope serve`: a read-only web application over a case, from an alert down to the log
//! line (docs/serve.md; its JSON API: docs/api.md).
//!
//! Architecture invariants:
//! - read-only: every route answers GET (and HEAD) only, any other method gets 405; nothing a
//!   request does writes to the case or anywhere else;
//! - one object per page ([`views`]): the HTML page and its JSON (`/api/…`) are rendered from
//!   the same object, which embeds the commands' `--json` views unchanged;
//! - redaction happens on that object, before any rendering: a redacted page's object passes
//!   whole through the case's `Redactor` (the one `--redact` uses on every command), so no
//!   renderer can show a name the redaction missed;
//! - every text from the case reaches HTML through [`html::t`] (visible escapes for control
//!   and bidi characters, then HTML escaping); no inline script or style (CSP
//!   `default-src 'self'`), the assets are compiled into the binary;
//! - the evidence page opens only files the case's manifest names.

pub mod evidence;
pub mod html;
pub mod index;
pub mod views;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::de::DeserializeOwned;
use serde::Serialize;

pub use index::Explorer;

use evidence::{HashCache, Position};
use views::{AccountPage, AlertFilter, AlertPage, AlertsPage, HostPage, Window};

const APP_CSS: &str = include_str!("../assets/app.css");
const APP_JS: &str = include_str!("../assets/app.js");

/// The Content-Security-Policy of every answer: nothing but this origin, no inline script or
/// style, no framing, no form posting elsewhere.
pub const CSP: &str = "default-src 'self'; base-uri 'none'; form-action 'self'; \
                       frame-ancestors 'none'; object-src 'none'";

/// What `hopscope serve` was asked for.
pub struct Options {
    pub listen: SocketAddr,
    /// Required (given or generated) unless `listen` is a loopback address.
    pub token: Option<String>,
    /// Every page and answer redacted.
    pub redact: bool,
    /// The page whose URL is printed (default: the best alert's).
    pub start: Option<String>,
}

/// The application's shared state.
pub struct App {
    pub explorer: Explorer,
    pub options: Options,
    hashes: HashCache,
    /// The port the server is bound to (the Host check needs it).
    port: u16,
}

/// A random token: 128 bits as hex.
pub fn generate_token() -> String {
    use rand::RngCore;
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Check `options` (a non-loopback address needs a token), bind, call `ready` with the URL
/// to open (the token in it when there is one), and serve until interrupted.
pub fn serve(explorer: Explorer, options: Options, ready: impl FnOnce(&str)) -> Result<()> {
    if !options.listen.ip().is_loopback() && options.token.is_none() {
        bail!("listening on {} (not a loopback address) needs a token", options.listen);
    }
    if options.token.as_ref().is_some_and(|t| t.len() < 16) {
        bail!("a token must have at least 16 characters");
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_io()
        .build()
        .context("starting the server's runtime")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(options.listen)
            .await
            .with_context(|| format!("listening on {}", options.listen))?;
        let local = listener.local_addr()?;
        let host = match local.ip() {
            ip if ip.is_unspecified() => "127.0.0.1".to_string(),
            std::net::IpAddr::V6(ip) => format!("[{ip}]"),
            ip => ip.to_string(),
        };
        let first = options.start.clone().unwrap_or_else(|| first_alert(&explorer));
        let mut url = format!("http://{host}:{}{first}", local.port());
        if let Some(t) = &options.token {
            url.push_str(if first.contains('?') { "&" } else { "?" });
            url.push_str("token=");
            url.push_str(t);
        }
        let app =
            Arc::new(App { explorer, options, hashes: HashCache::default(), port: local.port() });
        ready(&url);
        axum::serve(listener, router(app))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .context("serving")
    })
}

fn first_alert(x: &Explorer) -> String {
    match x.detection.alerts.iter().max_by(|a, b| a.score.total_cmp(&b.score)) {
        Some(a) => format!("/alert?id={}", html::enc(&a.id)),
        None => "/alerts".into(),
    }
}

/// Every route, behind the security checks.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(root))
        .route("/alerts", get(alerts_page))
        .route("/alert", get(alert_page))
        .route("/host", get(host_page))
        .route("/account", get(account_page))
        .route("/evidence", get(evidence_page))
        .route("/trace", get(trace_page))
        .route("/scope", get(scope_page))
        .route("/api/trace", get(trace_api))
        .route("/api/scope", get(scope_api))
        .route("/api/case", get(api_case))
        .route("/api/alerts", get(alerts_api))
        .route("/api/alert", get(alert_api))
        .route("/api/host", get(host_api))
        .route("/api/account", get(account_api))
        .route("/api/evidence", get(evidence_api))
        .route("/assets/app.css", get(css))
        .route("/assets/app.js", get(js))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(app.clone(), guard))
        .with_state(app)
}

type Params = Query<HashMap<String, String>>;

/// The checks before any route: method, Host (DNS rebinding), token; and the headers every
/// answer carries.
async fn guard(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let resp = match check(&app, &req) {
        Err(refused) => refused,
        Ok(cookie) => {
            let mut resp = next.run(req).await;
            if let Some(c) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
                resp.headers_mut().insert(header::SET_COOKIE, c);
            }
            resp
        }
    };
    secure_headers(resp)
}

fn secure_headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

fn refuse(status: StatusCode, message: &str) -> Response {
    let mut r = (status, message.to_string()).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    r
}

/// Whether `host` (a Host header) names this server on the loopback: `localhost`, a
/// 127.0.0.0/8 address or `[::1]`, with the port it listens on.
pub fn loopback_host(host: &str, port: u16) -> bool {
    let (name, p) = match host.rsplit_once(':') {
        Some((n, p)) if !n.is_empty() && (!n.contains(':') || n.ends_with(']')) => (n, Some(p)),
        _ => (host, None),
    };
    let port_ok = match p {
        Some(p) => p.parse::<u16>().ok() == Some(port),
        None => port == 80,
    };
    let name = name.to_ascii_lowercase();
    let name_ok = name == "localhost"
        || name == "[::1]"
        || name.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback());
    port_ok && name_ok
}

/// `Ok` with the cookie to set (a token given in the URL is kept in a cookie, so the links
/// of the page work without it), or the refusal.
fn check(app: &App, req: &Request) -> Result<Option<String>, Response> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut r = refuse(StatusCode::METHOD_NOT_ALLOWED, "read-only: GET and HEAD only\n");
        r.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return Err(r);
    }
    let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    // on the loopback, a page of another site whose name was rebound to 127.0.0.1 reaches the
    // server with its own name as the Host: refused. Elsewhere the token guards every request
    // (a rebound name's page has neither the token nor its cookie).
    if app.options.listen.ip().is_loopback() && !loopback_host(host, app.port) {
        return Err(refuse(StatusCode::FORBIDDEN, "this server answers to localhost only\n"));
    }
    let Some(token) = &app.options.token else { return Ok(None) };
    let from_query = query_token(req);
    let from_cookie = req
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().strip_prefix("hopscope_token="))
        .map(str::to_string)
        .next();
    let from_bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let given = [&from_query, &from_cookie, &from_bearer];
    if !given.iter().any(|g| g.as_deref().is_some_and(|g| same(g, token))) {
        return Err(refuse(
            StatusCode::UNAUTHORIZED,
            "a token is needed: open the URL serve printed\n",
        ));
    }
    Ok(from_query
        .filter(|q| same(q, token))
        .map(|t| format!("hopscope_token={t}; HttpOnly; SameSite=Strict; Path=/")))
}

/// Equal, in a time that does not depend on where they first differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn query_token(req: &Request) -> Option<String> {
    req.uri().query()?.split('&').find_map(|p| p.strip_prefix("token=")).map(str::to_string)
}

async fn root() -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, "/alerts")]).into_response()
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Html(html::error_page("There is no such page."))).into_response()
}

async fn css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], APP_CSS).into_response()
}

async fn js() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], APP_JS).into_response()
}

use axum::response::Html;

/// A page's object, or why there is none (a 404's message).
type Made<T> = std::result::Result<T, String>;

/// Build a page's object with `make`, redact it when asked, and answer it as HTML (`render`)
/// or JSON (`api`). The work runs off the server's threads.
async fn answer<T, F, R>(
    app: Arc<App>,
    q: HashMap<String, String>,
    uri: axum::http::Uri,
    api: bool,
    make: F,
    render: R,
) -> Response
where
    T: Serialize + DeserializeOwned + Send + 'static,
    F: FnOnce(&App, &HashMap<String, String>) -> Made<T> + Send + 'static,
    R: FnOnce(&html::Ctx, &T, &str) -> String + Send + 'static,
{
    let work = tokio::task::spawn_blocking(move || {
        let switch_on = q.get("redact").is_some_and(|v| v == "1");
        let redact = app.options.redact || switch_on;
        let obj = match make(&app, &q) {
            Ok(o) => o,
            // the message echoes the name asked for: redacted like the page would be
            Err(m) => {
                let m = match (&app.explorer.redactor, redact) {
                    (Some(r), true) => r.text(&m).unwrap_or(m),
                    _ => m,
                };
                return not_here(api, &m);
            }
        };
        let obj = if redact {
            let Some(r) = &app.explorer.redactor else {
                return refuse(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the case's redaction key could not be read: no redacted page\n",
                );
            };
            match r.apply(&obj) {
                Ok(o) => o,
                Err(e) => {
                    return refuse(StatusCode::INTERNAL_SERVER_ERROR, &format!("redaction: {e}\n"))
                }
            }
        } else {
            obj
        };
        let pq = uri.path_and_query().map_or(uri.path().to_string(), |p| p.as_str().to_string());
        let pq = strip_token(&pq);
        if api {
            match serde_json::to_string_pretty(&obj) {
                Ok(s) => {
                    let s = hopscope_report::escape::terminal_text(&s).into_owned();
                    ([(header::CONTENT_TYPE, "application/json")], s + "\n").into_response()
                }
                Err(e) => refuse(StatusCode::INTERNAL_SERVER_ERROR, &format!("json: {e}\n")),
            }
        } else {
            let ctx = html::Ctx {
                switch_on: switch_on && !app.options.redact,
                always: app.options.redact,
                available: app.explorer.redactor.is_some(),
            };
            Html(render(&ctx, &obj, &format!("/api{pq}"))).into_response()
        }
    });
    match work.await {
        Ok(r) => r,
        Err(_) => refuse(StatusCode::INTERNAL_SERVER_ERROR, "the page failed\n"),
    }
}

/// A path and query without its `token=` parameter (the JSON link must not carry it).
fn strip_token(pq: &str) -> String {
    let (path, query) = pq.split_once('?').unwrap_or((pq, ""));
    let kept: Vec<&str> =
        query.split('&').filter(|p| !p.is_empty() && !p.starts_with("token=")).collect();
    if kept.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", kept.join("&"))
    }
}

fn not_here(api: bool, message: &str) -> Response {
    if api {
        let body = serde_json::json!({ "error": message }).to_string();
        (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "application/json")], body + "\n")
            .into_response()
    } else {
        (StatusCode::NOT_FOUND, Html(html::error_page(message))).into_response()
    }
}

fn window(q: &HashMap<String, String>) -> Window {
    let nonempty = |k: &str| q.get(k).filter(|v| !v.trim().is_empty()).cloned();
    Window {
        from: nonempty("from"),
        to: nonempty("to"),
        offset: q.get("offset").and_then(|o| o.parse().ok()).unwrap_or(0),
    }
}

fn make_alerts(app: &App, q: &HashMap<String, String>) -> Made<AlertsPage> {
    let nonempty = |k: &str| q.get(k).filter(|v| !v.trim().is_empty()).cloned();
    let filter = AlertFilter {
        q: nonempty("q"),
        day: nonempty("day"),
        min_score: nonempty("min_score")
            .and_then(|m| m.parse::<f64>().ok())
            .filter(|m| m.is_finite()),
    };
    Ok(AlertsPage::new(&app.explorer, filter))
}

fn make_alert(app: &App, q: &HashMap<String, String>) -> Made<AlertPage> {
    let id = q.get("id").map_or("", |s| s.as_str());
    match app.explorer.alert(id) {
        Some(i) => Ok(AlertPage::new(&app.explorer, i)),
        None => Err(format!("no alert {id:?} in this case")),
    }
}

fn make_host(app: &App, q: &HashMap<String, String>) -> Made<HostPage> {
    let name = q.get("name").map_or("", |s| s.as_str());
    match app.explorer.host(name) {
        Some(h) => Ok(HostPage::new(&app.explorer, h, window(q))),
        None => Err(format!("no host {name:?} in this case")),
    }
}

fn make_account(app: &App, q: &HashMap<String, String>) -> Made<AccountPage> {
    let name = q.get("name").map_or("", |s| s.as_str());
    match app.explorer.account(name) {
        Some(a) => Ok(AccountPage::new(&app.explorer, a, window(q))),
        None => Err(format!("no account {name:?} in this case")),
    }
}

fn make_evidence(app: &App, q: &HashMap<String, String>) -> Made<views::EvidencePage> {
    let file = q.get("file").map_or("", |s| s.as_str());
    let num = |k: &str| q.get(k).and_then(|v| v.parse::<u64>().ok());
    let pos = match (num("line"), num("record")) {
        (Some(l), _) => Position::Line(l),
        (None, Some(r)) => Position::Record(r),
        _ => return Err("evidence needs a line or a record".into()),
    };
    evidence::read(&app.explorer, &app.hashes, file, pos)
        .ok_or_else(|| format!("{file:?} is not a file of this case's manifest"))
}

fn make_trace(app: &App, q: &HashMap<String, String>) -> Made<views::TracePage> {
    let name = q.get("host").map_or("", |s| s.as_str());
    let Some(host) = app.explorer.host(name) else {
        return Err(format!("no host {name:?} in this case"));
    };
    let at = q.get("at").map_or("", |s| s.as_str());
    let Some(at) = views::parse_when(at) else {
        return Err(format!("a trace needs a time: at={at:?} is not one (2019-09-05T12:00:00Z)"));
    };
    Ok(views::TracePage::new(&app.explorer, host, at))
}

fn make_scope(app: &App, q: &HashMap<String, String>) -> Made<views::ScopePage> {
    let id = q.get("alert").map_or("", |s| s.as_str());
    let Some(i) = app.explorer.alert(id) else {
        return Err(format!("no alert {id:?} in this case"));
    };
    let contained = match q.get("contained_at").filter(|v| !v.trim().is_empty()) {
        Some(v) => match views::parse_when(v) {
            Some(t) => Some(t),
            None => return Err(format!("contained_at={v:?} is not a time")),
        },
        None => None,
    };
    let redact = app.options.redact || q.get("redact").is_some_and(|v| v == "1");
    views::ScopePage::new(&app.explorer, i, contained, redact)
}

async fn trace_page(
    State(app): State<Arc<App>>,
    Query(q): Params,
    uri: axum::http::Uri,
) -> Response {
    answer(app, q, uri, false, make_trace, html::trace).await
}
async fn trace_api(
    State(app): State<Arc<App>>,
    Query(q): Params,
    uri: axum::http::Uri,
) -> Response {
    answer(app, q, uri, true, make_trace, html::trace).await
}
async fn scope_page(
    State(app): State<Arc<App>>,
    Query(q): Params,
    uri: axum::http::Uri,
) -> Response {
    answer(app, q, uri, false, make_scope, html::scope).await
}
async fn scope_api(
    State(app): State<Arc<App>>,
    Query(q): Params,
    uri: axum::http::Uri,
) -> Response {
    answer(app, q, uri, true, make_scope, html::scope).await
}

async fn alerts_page(
    State(app): State<Arc<App>>,
    Query(q): Params,
    uri: axum::http::Uri,
) -> Response {
    answer(app, q, uri, false, make_alerts, html::alerts).await
}
async fn alerts_api(
    State(app): State<Arc<App>>,
    Query(q): Params,
    uri: axum::http::Uri,
) -> Response {
    answer(app, q, uri, true, make_alerts, html::alerts).await
}
async fn alert_page(
    State(app): State<Arc<App>>,
    Query(q): Params,
    uri: axum::http::Uri,
) -> Response {
    answer(app, q, uri, false, make_alert, html::alert).await
}
async fn alert_api(
    State(app): State<Arc<App>>,
    Query(q): Params,
    uri: axum::http::Uri,
) -> Response {
    answer(app, q, uri, true, make_alert, html::alert).await
}
async fn host_page(
    State(app): State<Arc<App>>,
    Query(q): Params,
    uri: axum::http::Uri,
) -> Response {
    answer(app, q, uri, false, make_host, html::host).await
}
async fn host_api(State(app): State<Arc<App>>, Query(q): Params, uri: axum::http::Uri) -> Response {
    answer(app, q, uri, true, make_host, html::host).await
}
async fn account_page(
    State(app): State<Arc<App>>,
    Query(q): Params,
    uri: axum::http::Uri,
) -> Response {
    answer(app, q, uri, false, make_account, html::account).await
}
async fn account_api(
    State(app): State<Arc<App>>,
    Query(q): Params,
    uri: axum::http::Uri,
) -> Response {
    answer(app, q, uri, true, make_account, html::account).await
}
async fn evidence_page(
    State(app): State<Arc<App>>,
    Query(q): Params,
    uri: axum::http::Uri,
) -> Response {
    answer(app, q, uri, false, make_evidence, html::evidence).await
}
async fn evidence_api(
    State(app): State<Arc<App>>,
    Query(q): Params,
    uri: axum::http::Uri,
) -> Response {
    answer(app, q, uri, true, make_evidence, html::evidence).await
}
async fn api_case(State(app): State<Arc<App>>, Query(q): Params, uri: axum::http::Uri) -> Response {
    answer(
        app,
        q,
        uri,
        true,
        |app, _| Ok(views::CaseView::new(&app.explorer)),
        |_, _, _| String::new(),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_with_the_port_only() {
        for ok in
            ["127.0.0.1:8023", "localhost:8023", "LocalHost:8023", "[::1]:8023", "127.9.9.9:8023"]
        {
            assert!(loopback_host(ok, 8023), "{ok}");
        }
        for bad in [
            "evil.example:8023",
            "127.0.0.1:8024",
            "127.0.0.1",
            "localhost.evil.example:8023",
            "10.0.0.1:8023",
            "[::2]:8023",
            "",
            ":8023",
            "127.0.0.1:8023:8023",
        ] {
            assert!(!loopback_host(bad, 8023), "{bad}");
        }
        assert!(loopback_host("localhost", 80));
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same("0123456789abcdef", "0123456789abcdef"));
        assert!(!same("0123456789abcdef", "0123456789abcdeF"));
        assert!(!same("0123456789abcdef", "0123456789abcde"));
        assert_eq!(generate_token().len(), 32);
        assert_ne!(generate_token(), generate_token());
    }

    #[test]
    fn the_json_link_never_carries_the_token() {
        assert_eq!(strip_token("/alerts?token=abc&q=x"), "/alerts?q=x");
        assert_eq!(strip_token("/alerts?token=abc"), "/alerts");
        assert_eq!(strip_token("/host?name=a&token=b&redact=1"), "/host?name=a&redact=1");
    }
}
