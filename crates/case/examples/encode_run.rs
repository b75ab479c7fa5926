//! Time Parquet writer settings on one event run: `encode_run RUN.parquet [REPEATS]`.
//! Prints CPU-ish wall time per setting and the encoded size (written to memory).

use std::fs::File;

use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, Encoding};
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterPropertiesBuilder};
use parquet::schema::types::ColumnPath;

fn base() -> WriterPropertiesBuilder {
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_dictionary_enabled(false)
        .set_encoding(Encoding::DELTA_BINARY_PACKED)
        .set_statistics_enabled(EnabledStatistics::Chunk)
        .set_max_row_group_row_count(Some(1 << 20))
}

const IDS: [&str; 4] = ["src_host", "dst_host", "user", "src_user"];
const ALL: [&str; 16] = [
    "time",
    "src_host",
    "src_ip",
    "dst_host",
    "dst_ip",
    "user",
    "src_user",
    "auth",
    "logon_type",
    "outcome",
    "orientation",
    "format",
    "event_id",
    "flags",
    "source",
    "position",
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = &args[1];
    let repeats: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(3);
    let r = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap())
        .unwrap()
        .with_batch_size(1 << 20)
        .build()
        .unwrap();
    let batches: Vec<_> = r.map(|b| b.unwrap()).collect();
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    let schema = batches[0].schema();
    let no_stats = |mut b: WriterPropertiesBuilder| {
        for c in ALL.iter().filter(|c| **c != "time") {
            b = b.set_column_statistics_enabled(ColumnPath::from(*c), EnabledStatistics::None);
        }
        b
    };
    let ids_enc = |mut b: WriterPropertiesBuilder, e: Encoding, c: Compression| {
        for c2 in IDS {
            b = b
                .set_column_encoding(ColumnPath::from(c2), e)
                .set_column_compression(ColumnPath::from(c2), c);
        }
        b
    };
    const SMALL: [&str; 10] = [
        "src_ip",
        "dst_ip",
        "auth",
        "logon_type",
        "outcome",
        "orientation",
        "format",
        "event_id",
        "flags",
        "source",
    ];
    let small_enc = |mut b: WriterPropertiesBuilder, e: Encoding| {
        for c in SMALL {
            b = b.set_column_encoding(ColumnPath::from(c), e);
        }
        b
    };
    let variants: Vec<(&str, WriterProperties)> = vec![
        ("current", base().build()),
        ("stats on time only", no_stats(base()).build()),
        ("+ batch 64k", no_stats(base()).set_write_batch_size(1 << 16).build()),
        (
            "+ batch 64k, 4 MB pages",
            no_stats(base())
                .set_write_batch_size(1 << 16)
                .set_data_page_size_limit(4 << 20)
                .build(),
        ),
        (
            "+ batch 64k, ids BSS",
            ids_enc(no_stats(base()), Encoding::BYTE_STREAM_SPLIT, Compression::SNAPPY)
                .set_write_batch_size(1 << 16)
                .build(),
        ),
        (
            "+ both BSS, batch 64k",
            small_enc(
                ids_enc(no_stats(base()), Encoding::BYTE_STREAM_SPLIT, Compression::SNAPPY),
                Encoding::BYTE_STREAM_SPLIT,
            )
            .set_write_batch_size(1 << 16)
            .build(),
        ),
        (
            "+ both BSS, batch 64k, 4MB",
            small_enc(
                ids_enc(no_stats(base()), Encoding::BYTE_STREAM_SPLIT, Compression::SNAPPY),
                Encoding::BYTE_STREAM_SPLIT,
            )
            .set_write_batch_size(1 << 16)
            .set_data_page_size_limit(4 << 20)
            .build(),
        ),
    ];
    println!("{rows} rows");
    // on-CPU time of this thread (ns), from the scheduler: the machine is shared
    let cpu = || -> u64 {
        std::fs::read_to_string("/proc/thread-self/schedstat")
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let mut best = vec![u64::MAX; variants.len()];
    let mut size = vec![0usize; variants.len()];
    for _ in 0..repeats {
        for (k, (_, props)) in variants.iter().enumerate() {
            let t = cpu();
            let mut out = Vec::with_capacity(64 << 20);
            let mut w =
                ArrowWriter::try_new(&mut out, schema.clone(), Some(props.clone())).unwrap();
            for b in &batches {
                w.write(b).unwrap();
            }
            w.close().unwrap();
            best[k] = best[k].min(cpu() - t);
            size[k] = out.len();
        }
    }
    for (k, (name, _)) in variants.iter().enumerate() {
        println!(
            "{name:40} {:7.1} ms CPU  {:6.1} MB  {:5.1} B/row",
            best[k] as f64 / 1e6,
            size[k] as f64 / 1e6,
            size[k] as f64 / rows as f64
        );
    }
}
