//! Arrow schemas of the case files and conversion of event columns to and from them.

use std::sync::Arc;

use arrow_array::{
    Array, ArrayRef, RecordBatch, TimestampMicrosecondArray, UInt16Array, UInt32Array, UInt64Array,
    UInt8Array,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use hopscope_model::EventTable;

/// The events schema: ids into the dictionaries (0 = none), small enums as codes.
pub fn events_schema() -> SchemaRef {
    let id = |n: &str| Field::new(n, DataType::UInt32, false);
    Arc::new(Schema::new(vec![
        Field::new("time", DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())), false),
        id("src_host"),
        id("src_ip"),
        id("dst_host"),
        id("dst_ip"),
        id("user"),
        id("src_user"),
        id("auth"),
        Field::new("logon_type", DataType::UInt8, false),
        Field::new("outcome", DataType::UInt8, false),
        Field::new("orientation", DataType::UInt8, false),
        Field::new("format", DataType::UInt8, false),
        Field::new("event_id", DataType::UInt16, false),
        Field::new("flags", DataType::UInt16, false),
        Field::new("source", DataType::UInt32, false),
        Field::new("position", DataType::UInt64, false),
    ]))
}

/// The events as one record batch; the column vectors become the Arrow buffers (no copy).
pub fn into_batch(t: EventTable) -> RecordBatch {
    let cols: Vec<ArrayRef> = vec![
        Arc::new(TimestampMicrosecondArray::from(t.time).with_timezone("UTC")),
        Arc::new(UInt32Array::from(t.src_host)),
        Arc::new(UInt32Array::from(t.src_ip)),
        Arc::new(UInt32Array::from(t.dst_host)),
        Arc::new(UInt32Array::from(t.dst_ip)),
        Arc::new(UInt32Array::from(t.user)),
        Arc::new(UInt32Array::from(t.src_user)),
        Arc::new(UInt32Array::from(t.auth)),
        Arc::new(UInt8Array::from(t.logon_type)),
        Arc::new(UInt8Array::from(t.outcome)),
        Arc::new(UInt8Array::from(t.orientation)),
        Arc::new(UInt8Array::from(t.format)),
        Arc::new(UInt16Array::from(t.event_id)),
        Arc::new(UInt16Array::from(t.flags)),
        Arc::new(UInt32Array::from(t.source)),
        Arc::new(UInt64Array::from(t.position)),
    ];
    RecordBatch::try_new(events_schema(), cols).expect("columns match the schema by construction")
}

fn col<'a, T: Array + 'static>(b: &'a RecordBatch, name: &str) -> Result<&'a T, String> {
    b.column_by_name(name)
        .ok_or_else(|| format!("column {name} missing"))?
        .as_any()
        .downcast_ref::<T>()
        .ok_or_else(|| format!("column {name} has the wrong type"))
}

/// Append a record batch of the events schema to `t`.
pub fn append_batch(t: &mut EventTable, b: &RecordBatch) -> Result<(), String> {
    t.time.extend_from_slice(col::<TimestampMicrosecondArray>(b, "time")?.values());
    t.src_host.extend_from_slice(col::<UInt32Array>(b, "src_host")?.values());
    t.src_ip.extend_from_slice(col::<UInt32Array>(b, "src_ip")?.values());
    t.dst_host.extend_from_slice(col::<UInt32Array>(b, "dst_host")?.values());
    t.dst_ip.extend_from_slice(col::<UInt32Array>(b, "dst_ip")?.values());
    t.user.extend_from_slice(col::<UInt32Array>(b, "user")?.values());
    t.src_user.extend_from_slice(col::<UInt32Array>(b, "src_user")?.values());
    t.auth.extend_from_slice(col::<UInt32Array>(b, "auth")?.values());
    t.logon_type.extend_from_slice(col::<UInt8Array>(b, "logon_type")?.values());
    t.outcome.extend_from_slice(col::<UInt8Array>(b, "outcome")?.values());
    t.orientation.extend_from_slice(col::<UInt8Array>(b, "orientation")?.values());
    t.format.extend_from_slice(col::<UInt8Array>(b, "format")?.values());
    t.event_id.extend_from_slice(col::<UInt16Array>(b, "event_id")?.values());
    t.flags.extend_from_slice(col::<UInt16Array>(b, "flags")?.values());
    t.source.extend_from_slice(col::<UInt32Array>(b, "source")?.values());
    t.position.extend_from_slice(col::<UInt64Array>(b, "position")?.values());
    Ok(())
}
