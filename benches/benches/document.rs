//! Criterion bench of the document paths the issue sets targets for, on a
//! 200 KB document (`benches/make-inputs.sh`; without it the Markdown
//! fixture repeated to about the same size): Markdown to HTML and to PDF,
//! and DOCX (written from it) to Markdown.

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
    let docx = engine.convert(&md, "md", "docx").unwrap();
    group.bench_function("docx_to_md", |b| b.iter(|| engine.convert(&docx, "docx", "md").unwrap()));
    group.sample_size(20);
    group.bench_function("md_to_pdf", |b| b.iter(|| engine.convert(&md, "md", "pdf").unwrap()));
    group.finish();
}

criterion_group!(benches, document_paths);
criterion_main!(benches);
