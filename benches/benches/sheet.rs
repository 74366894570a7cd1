//! Criterion benches of the spreadsheet paths the issue sets targets for.
//! Inputs come from `benches/make-inputs.sh` (200,000 rows x 10 columns as
//! CSV and XLSX); without them 20,000 synthetic rows are used so
//! `cargo test --benches` still runs.

use std::fmt::Write as _;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn input(name: &str) -> Option<Vec<u8>> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench-data").join(name)).ok()
}

/// `rows` rows of ten columns: ids, text, numbers, dates, booleans, quoted text.
fn synthetic_csv(rows: usize) -> Vec<u8> {
    let mut csv = String::from("id,name,city,amount,count,ratio,date,active,note,code\n");
    for i in 0..rows {
        let _ = writeln!(
            csv,
            "{},Name {},CITY{},{}.25,{},0.{},2024-{:02}-{:02},{},\"note, \"\"quoted\"\" {}\",C{:05}",
            i + 1,
            i % 97,
            i % 13,
            i * 7 % 100_000,
            i % 5000,
            i % 999_983,
            i % 12 + 1,
            i % 28 + 1,
            if i % 2 == 0 { "TRUE" } else { "FALSE" },
            i % 97,
            i % 99_999
        );
    }
    csv.into_bytes()
}

fn sheet_paths(c: &mut Criterion) {
    let engine = fileconv::engine();
    let csv = input("table.csv").unwrap_or_else(|| synthetic_csv(20_000));
    let xlsx = input("table.xlsx").unwrap_or_else(|| engine.convert(&csv, "csv", "xlsx").unwrap());
    let mut group = c.benchmark_group("sheet");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(csv.len() as u64));
    group.bench_function("xlsx_to_csv", |b| b.iter(|| engine.convert(&xlsx, "xlsx", "csv").unwrap()));
    group.bench_function("csv_to_xlsx", |b| b.iter(|| engine.convert(&csv, "csv", "xlsx").unwrap()));
    group.bench_function("csv_to_json", |b| b.iter(|| engine.convert(&csv, "csv", "json").unwrap()));
    group.finish();
}

criterion_group!(benches, sheet_paths);
criterion_main!(benches);
