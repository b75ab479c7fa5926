//! Zeek 6 TSV logs from one sensor per site, watching connections into the site's servers:
//! `zeek/<site>/conn.log` for every remote login, `zeek/<site>/ssh.log` for SSH ones.
//! Standard headers (`#separator \x09`, `#fields`, `#types`, `#open`, `#close`).

use crate::login::{Login, Method, Src};
use crate::timefmt::{civil_from_days, epoch_micros, DAY, US};
use crate::writers::{num, Ctx, Kind, Rec};

/// Which Zeek log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Log {
    Conn,
    Ssh,
}

const CONN_FIELDS: &str = "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents";
const CONN_TYPES: &str = "time\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]";
const SSH_FIELDS: &str = "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tversion\tauth_success\tauth_attempts\tdirection\tclient\tserver\tcipher_alg\tmac_alg\tcompression_alg\tkex_alg\thost_key_alg\thost_key";
const SSH_TYPES: &str = "time\tstring\taddr\tport\taddr\tport\tcount\tbool\tcount\tenum\tstring\tstring\tstring\tstring\tstring\tstring\tstring\tstring";

fn stamp(out: &mut Vec<u8>, us: i64) {
    let secs = us.div_euclid(US);
    let (y, m, d) = civil_from_days(secs.div_euclid(DAY));
    let s = secs.rem_euclid(DAY);
    let text = format!("{y:04}-{m:02}-{d:02}-{:02}-{:02}-{:02}", s / 3600, s / 60 % 60, s % 60);
    out.extend_from_slice(text.as_bytes());
}

/// The header, written before the first record.
pub fn header(log: Log, first: i64, out: &mut Vec<u8>) {
    let (path, fields, types) = match log {
        Log::Conn => ("conn", CONN_FIELDS, CONN_TYPES),
        Log::Ssh => ("ssh", SSH_FIELDS, SSH_TYPES),
    };
    out.extend_from_slice(
        b"#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\t",
    );
    out.extend_from_slice(path.as_bytes());
    out.extend_from_slice(b"\n#open\t");
    stamp(out, first);
    out.extend_from_slice(b"\n#fields\t");
    out.extend_from_slice(fields.as_bytes());
    out.extend_from_slice(b"\n#types\t");
    out.extend_from_slice(types.as_bytes());
    out.push(b'\n');
}

/// The trailer, written after the last record.
pub fn trailer(last: i64, out: &mut Vec<u8>) {
    out.extend_from_slice(b"#close\t");
    stamp(out, last);
    out.push(b'\n');
}

const B62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn uid(ctx: &Ctx<'_>, l: &Login, out: &mut Vec<u8>) {
    let mut k = ctx.derive(l, 5);
    out.push(b'C');
    for i in 0..17 {
        if i == 10 {
            k = crate::rng::mix(k);
        }
        out.push(B62[(k % 62) as usize]);
        k /= 62;
    }
}

fn resp_port(m: Method) -> u16 {
    match m {
        Method::SshPassword | Method::SshPublickey => 22,
        Method::Rdp => 3389,
        _ => 445,
    }
}

/// Render one sensor log's records.
pub fn render(ctx: &Ctx<'_>, _log: Log, recs: &[Rec], logins: &[Login], out: &mut Vec<u8>) {
    let mut ipbuf = String::new();
    for r in recs {
        let l = &logins[r.login as usize];
        epoch_micros(out, r.time);
        out.push(b'\t');
        uid(ctx, l, out);
        out.push(b'\t');
        out.extend_from_slice(ctx.src_ip(l, &mut ipbuf).unwrap_or("-").as_bytes());
        out.push(b'\t');
        num(out, l.src_port);
        out.push(b'\t');
        out.extend_from_slice(ctx.ip[l.dst as usize].as_bytes());
        out.push(b'\t');
        num(out, resp_port(l.method));
        let external = matches!(l.src, Src::External(_));
        let k = ctx.derive(l, 6);
        match r.kind {
            Kind::ZeekConn => {
                let service: &[u8] = match l.method {
                    Method::SshPassword | Method::SshPublickey => b"ssh",
                    Method::Rdp => b"rdp",
                    _ => b"smb,gssapi",
                };
                out.extend_from_slice(b"\ttcp\t");
                out.extend_from_slice(service);
                out.push(b'\t');
                let dur = if l.ok {
                    l.duration.max(1) as i64 * US + (k % 1000) as i64 * 1000
                } else {
                    2 * US + (k % 900_000) as i64
                };
                epoch_micros(out, dur);
                let ob = 1500 + k % 200_000;
                let rb = 3000 + (k >> 20) % 2_000_000;
                out.push(b'\t');
                num(out, ob);
                out.push(b'\t');
                num(out, rb);
                out.extend_from_slice(if l.ok { b"\tSF\t" } else { b"\tRSTO\t" });
                out.extend_from_slice(if external { b"F\tT\t0\t" } else { b"T\tT\t0\t" });
                out.extend_from_slice(if l.ok { b"ShADadFf" } else { b"ShADadR" });
                let op = 10 + ob / 900;
                let rp = 10 + rb / 1200;
                out.push(b'\t');
                num(out, op);
                out.push(b'\t');
                num(out, ob + op * 52);
                out.push(b'\t');
                num(out, rp);
                out.push(b'\t');
                num(out, rb + rp * 52);
                out.extend_from_slice(b"\t-\n");
            }
            Kind::ZeekSsh => {
                out.extend_from_slice(b"\t2\t");
                out.extend_from_slice(if l.ok { b"T" } else { b"F" });
                out.extend_from_slice(b"\t1\t");
                out.extend_from_slice(if external { b"INBOUND" } else { b"-" });
                out.extend_from_slice(b"\tSSH-2.0-OpenSSH_7.4\tSSH-2.0-OpenSSH_7.4\tchacha20-poly1305@openssh.com\tumac-64-etm@openssh.com\tnone\tcurve25519-sha256\tecdsa-sha2-nistp256\t");
                let hk = crate::rng::mix(l.dst as u64 ^ ctx.w.seed);
                for i in 0..16 {
                    if i > 0 {
                        out.push(b':');
                    }
                    let b = (hk >> ((i % 8) * 8)) as u8 ^ (i as u8).wrapping_mul(31);
                    out.push(b"0123456789abcdef"[(b >> 4) as usize]);
                    out.push(b"0123456789abcdef"[(b & 15) as usize]);
                }
                out.push(b'\n');
            }
            _ => unreachable!("not a Zeek record"),
        }
    }
}
