//! `detect --save`: the alerts as two tables saved into the case (`alerts`, `alert_hops`),
//! the rows `detect --json` prints, flattened for SQL ([`crate::sql_views`]).

use std::path::Path;
use std::sync::Arc;

use anyhow::Result;
use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::{
    ArrayRef, Float64Array, RecordBatch, StringArray, TimestampMicrosecondArray, UInt32Array,
    UInt64Array,
};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use hopscope_report::view::{AlertView, DetectionView, EvidenceRef};

/// The names the tables are saved under.
pub const ALERTS: &str = "alerts";
pub const ALERT_HOPS: &str = "alert_hops";

fn utc() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

fn micros(t: &str) -> Option<i64> {
    t.parse::<jiff::Timestamp>().ok().map(|t| t.as_microsecond())
}

fn times<'a>(v: impl Iterator<Item = &'a str>) -> ArrayRef {
    Arc::new(
        TimestampMicrosecondArray::from(v.map(micros).collect::<Vec<_>>()).with_timezone("UTC"),
    )
}

fn texts<'a>(v: impl Iterator<Item = Option<&'a str>>) -> ArrayRef {
    Arc::new(StringArray::from(v.collect::<Vec<_>>()))
}

fn lists(v: impl Iterator<Item = Vec<String>>) -> ArrayRef {
    let mut b = ListBuilder::new(StringBuilder::new());
    for items in v {
        for s in items {
            b.values().append_value(s);
        }
        b.append(true);
    }
    Arc::new(b.finish())
}

fn list_field(name: &str) -> Field {
    Field::new(name, DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))), false)
}

/// One row per alert.
pub fn alerts_batch(alerts: &[AlertView]) -> Result<RecordBatch> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("alert", DataType::Utf8, false),
        Field::new("score", DataType::Float64, false),
        Field::new("raised_at", utc(), true),
        Field::new("first_time", utc(), true),
        Field::new("last_time", utc(), true),
        Field::new("entry_host", DataType::Utf8, false),
        Field::new("first_seen_on", DataType::Utf8, true),
        Field::new("chain_origin", DataType::Utf8, false),
        Field::new("causal_account", DataType::Utf8, true),
        Field::new("hops", DataType::UInt32, false),
        Field::new("hops_omitted", DataType::UInt32, false),
        Field::new("continues", DataType::Utf8, true),
        list_field("other_entries"),
        list_field("reasons"),
    ]));
    let a = alerts;
    let cols: Vec<ArrayRef> = vec![
        texts(a.iter().map(|x| Some(x.id.as_str()))),
        Arc::new(Float64Array::from(a.iter().map(|x| x.score).collect::<Vec<_>>())),
        times(a.iter().map(|x| x.raised_at.as_str())),
        times(a.iter().map(|x| x.first_time.as_str())),
        times(a.iter().map(|x| x.last_time.as_str())),
        texts(a.iter().map(|x| Some(x.entry_host.as_str()))),
        texts(a.iter().map(|x| x.first_seen_on.as_deref())),
        texts(a.iter().map(|x| Some(x.chain_origin.as_str()))),
        texts(a.iter().map(|x| x.causal_account.as_deref())),
        Arc::new(UInt32Array::from(a.iter().map(|x| x.hops.len() as u32).collect::<Vec<_>>())),
        Arc::new(UInt32Array::from(a.iter().map(|x| x.hops_omitted).collect::<Vec<_>>())),
        texts(a.iter().map(|x| x.continues.as_deref())),
        lists(a.iter().map(|x| x.other_entries.clone())),
        lists(a.iter().map(|x| x.reasons.clone())),
    ];
    Ok(RecordBatch::try_new(schema, cols)?)
}

/// One row per hop of every alert, in the alert's order (`hop` from 1).
pub fn alert_hops_batch(alerts: &[AlertView]) -> Result<RecordBatch> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("alert", DataType::Utf8, false),
        Field::new("hop", DataType::UInt32, false),
        Field::new("time", utc(), true),
        Field::new("src_host", DataType::Utf8, true),
        Field::new("dst_host", DataType::Utf8, true),
        Field::new("account", DataType::Utf8, true),
        Field::new("auth", DataType::Utf8, true),
        Field::new("logon_type", DataType::Utf8, false),
        Field::new("src_site", DataType::Utf8, true),
        Field::new("dst_site", DataType::Utf8, true),
        Field::new("src_country", DataType::Utf8, true),
        Field::new("dst_country", DataType::Utf8, true),
        Field::new("score", DataType::Float64, false),
        list_field("features"),
        list_field("techniques"),
        Field::new("evidence_file", DataType::Utf8, true),
        Field::new("line", DataType::UInt64, true),
        Field::new("record", DataType::UInt64, true),
        list_field("evidence"),
    ]));
    let rows: Vec<(&AlertView, usize, &hopscope_report::view::AlertHopView)> = alerts
        .iter()
        .flat_map(|a| a.hops.iter().enumerate().map(move |(i, h)| (a, i, h)))
        .collect();
    let first = |h: &hopscope_report::view::AlertHopView| h.evidence.first().cloned();
    let cols: Vec<ArrayRef> = vec![
        texts(rows.iter().map(|(a, ..)| Some(a.id.as_str()))),
        Arc::new(UInt32Array::from(rows.iter().map(|(_, i, _)| *i as u32 + 1).collect::<Vec<_>>())),
        times(rows.iter().map(|(.., h)| h.time.as_str())),
        texts(rows.iter().map(|(.., h)| h.src_host.as_deref())),
        texts(rows.iter().map(|(.., h)| h.dst_host.as_deref())),
        texts(rows.iter().map(|(.., h)| h.user.as_deref())),
        texts(rows.iter().map(|(.., h)| h.auth.as_deref())),
        texts(rows.iter().map(|(.., h)| Some(h.logon_type.as_str()))),
        texts(rows.iter().map(|(.., h)| h.src_site.as_deref())),
        texts(rows.iter().map(|(.., h)| h.dst_site.as_deref())),
        texts(rows.iter().map(|(.., h)| h.src_country.as_deref())),
        texts(rows.iter().map(|(.., h)| h.dst_country.as_deref())),
        Arc::new(Float64Array::from(rows.iter().map(|(.., h)| h.score).collect::<Vec<_>>())),
        lists(
            rows.iter().map(|(.., h)| {
                h.features.iter().map(|f| format!("{} {}", f.name, f.bits)).collect()
            }),
        ),
        lists(rows.iter().map(|(.., h)| h.techniques.clone())),
        Arc::new(StringArray::from(
            rows.iter().map(|(.., h)| first(h).map(|e| e.file().to_string())).collect::<Vec<_>>(),
        )),
        Arc::new(UInt64Array::from(
            rows.iter()
                .map(|(.., h)| match first(h) {
                    Some(EvidenceRef::Line { line, .. }) => Some(line),
                    _ => None,
                })
                .collect::<Vec<_>>(),
        )),
        Arc::new(UInt64Array::from(
            rows.iter()
                .map(|(.., h)| match first(h) {
                    Some(EvidenceRef::Record { record, .. }) => Some(record),
                    _ => None,
                })
                .collect::<Vec<_>>(),
        )),
        lists(rows.iter().map(|(.., h)| h.evidence.iter().map(|e| e.to_string()).collect())),
    ];
    Ok(RecordBatch::try_new(schema, cols)?)
}

/// Save `view`'s alerts into the case at `dir`, computed over its generation `generation`.
/// Returns the number of alerts and hops saved.
pub fn save(dir: &Path, generation: u32, view: &DetectionView) -> Result<(usize, usize)> {
    let alerts = alerts_batch(&view.alerts)?;
    let hops = alert_hops_batch(&view.alerts)?;
    let counts = (alerts.num_rows(), hops.num_rows());
    let settings = format!("rule {}, {}", view.rule, serde_json::to_string(&view.settings)?);
    hopscope_case::save_tables(
        dir,
        generation,
        &settings,
        vec![(ALERTS.to_string(), alerts), (ALERT_HOPS.to_string(), hops)],
    )?;
    Ok(counts)
}
