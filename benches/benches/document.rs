//! Criterion bench of the document path the issue sets a target for:
//! Markdown to HTML of a 200 KB document (`benches/make-inputs.sh`; without
//! it the Markdown fixture repeated to about the same size).

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn markdown() -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::read(root.join("bench-data/doc.md")).unwrap_or_else(|_| {
        let sample = std::fs::read(root.join("testdata/document/sample.md")).unwrap();
        sample.repeat(200_000 / sample.len() + 1)
    })
}

fn document_paths(c: &mut Criterion) {
    let engine = fileconv::engine();
    let md = markdown();
    let mut group = c.benchmark_group("document");
    group.throughput(Throughput::Bytes(md.len() as u64));
    group.bench_function("md_to_html", |b| b.iter(|| engine.convert(&md, "md", "html").unwrap()));
    group.bench_function("md_to_txt", |b| b.iter(|| engine.convert(&md, "md", "txt").unwrap()));
    group.finish();
}

criterion_group!(benches, document_paths);
criterion_main!(benches);
