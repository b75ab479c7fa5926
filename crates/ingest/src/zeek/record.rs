//! The Zeek fields hopscope uses, whatever the log's encoding: both [`super::tsv`] and
//! [`super::json`] fill a [`Record`], and [`super::mapping`] reads only that, so a TSV row
//! and its JSON twin cannot mean different things.

use std::borrow::Cow;

/// A Zeek field hopscope reads (or uses to recognise a log type). Every other field is
/// skipped unread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Field {
    /// `_path` (json-streaming-logs) or `@stream`: the log type of a combined stream.
    Stream,
    Ts,
    OrigH,
    RespH,
    RespP,
    Proto,
    Service,
    ConnState,
    History,
    OrigBytes,
    RespBytes,
    AuthSuccess,
    AuthAttempts,
    /// ssh: only to recognise the log from its fields.
    KexAlg,
    Cookie,
    Result,
    SecurityProtocol,
    Username,
    Hostname,
    Domainname,
    ServerNbComputerName,
    Success,
    /// ntlm before Zeek 2.6: `status` (`SUCCESS` or an error name).
    Status,
    RequestType,
    Client,
    /// smb_mapping `path` (`\\host\SHARE`).
    SharePath,
    ShareType,
    Endpoint,
    Operation,
}

/// How many [`Field`]s there are.
pub(crate) const FIELDS: usize = Field::Operation as usize + 1;

impl Field {
    /// The field a Zeek column or JSON key names. Accepts both JSON dialects: Zeek's
    /// `id.orig_h` and the `id_orig_h` that pipelines which forbid dots in keys write.
    pub(crate) fn of(name: &str) -> Option<Field> {
        Some(match name {
            "_path" | "@stream" => Field::Stream,
            "ts" => Field::Ts,
            "id.orig_h" | "id_orig_h" => Field::OrigH,
            "id.resp_h" | "id_resp_h" => Field::RespH,
            "id.resp_p" | "id_resp_p" => Field::RespP,
            "proto" => Field::Proto,
            "service" => Field::Service,
            "conn_state" => Field::ConnState,
            "history" => Field::History,
            "orig_bytes" => Field::OrigBytes,
            "resp_bytes" => Field::RespBytes,
            "auth_success" => Field::AuthSuccess,
            "auth_attempts" => Field::AuthAttempts,
            "kex_alg" => Field::KexAlg,
            "cookie" => Field::Cookie,
            "result" => Field::Result,
            "security_protocol" => Field::SecurityProtocol,
            "username" => Field::Username,
            "hostname" => Field::Hostname,
            "domainname" => Field::Domainname,
            "server_nb_computer_name" => Field::ServerNbComputerName,
            "success" => Field::Success,
            "status" => Field::Status,
            "request_type" => Field::RequestType,
            "client" => Field::Client,
            "path" => Field::SharePath,
            "share_type" => Field::ShareType,
            "endpoint" => Field::Endpoint,
            "operation" => Field::Operation,
            _ => return None,
        })
    }

    /// The Zeek name, for messages.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Field::Stream => "_path",
            Field::Ts => "ts",
            Field::OrigH => "id.orig_h",
            Field::RespH => "id.resp_h",
            Field::RespP => "id.resp_p",
            Field::Proto => "proto",
            Field::Service => "service",
            Field::ConnState => "conn_state",
            Field::History => "history",
            Field::OrigBytes => "orig_bytes",
            Field::RespBytes => "resp_bytes",
            Field::AuthSuccess => "auth_success",
            Field::AuthAttempts => "auth_attempts",
            Field::KexAlg => "kex_alg",
            Field::Cookie => "cookie",
            Field::Result => "result",
            Field::SecurityProtocol => "security_protocol",
            Field::Username => "username",
            Field::Hostname => "hostname",
            Field::Domainname => "domainname",
            Field::ServerNbComputerName => "server_nb_computer_name",
            Field::Success => "success",
            Field::Status => "status",
            Field::RequestType => "request_type",
            Field::Client => "client",
            Field::SharePath => "path",
            Field::ShareType => "share_type",
            Field::Endpoint => "endpoint",
            Field::Operation => "operation",
        }
    }
}

/// The used fields of one Zeek record, decoded: TSV escapes undone, JSON strings unescaped,
/// JSON `true`/`false` as Zeek's `T`/`F`, numbers as their text. Unset (`-`, `null`) and
/// empty (`(empty)`, `""`) values are absent.
#[derive(Debug)]
pub(crate) struct Record<'a> {
    vals: [Option<Cow<'a, str>>; FIELDS],
}

impl Default for Record<'_> {
    fn default() -> Self {
        Record { vals: std::array::from_fn(|_| None) }
    }
}

impl<'a> Record<'a> {
    pub(crate) fn set(&mut self, f: Field, v: Cow<'a, str>) {
        if !v.is_empty() {
            self.vals[f as usize] = Some(v);
        }
    }
    pub(crate) fn get(&self, f: Field) -> Option<&str> {
        self.vals[f as usize].as_deref()
    }
    pub(crate) fn has(&self, f: Field) -> bool {
        self.vals[f as usize].is_some()
    }
}
