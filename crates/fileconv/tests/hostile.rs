//! Hostile inputs through the engine, under the free plan's limits: each
//! is refused with a limit or input error, quickly, instead of exhausting
//! the stack, the memory or the time. (The service-level suite,
//! `crates/server/tests/hostile.rs`, sends the same files through the API
//! to the real binary under an address-space limit.)

use std::time::{Duration, Instant};

use fileconv::hostile;
use fileconv::{ErrorKind, Limits};

/// The service's free plan: 25 MB files, 1 GiB of memory, 15 s.
fn free_plan() -> fileconv::Engine {
    fileconv::default_engine().with_limits(Limits {
        max_input_bytes: 25 << 20,
        max_pixels: 100_000_000,
        max_memory_bytes: 1 << 30,
        max_output_bytes: 100 << 20,
        max_wall_time: Some(Duration::from_secs(15)),
        ..Limits::default()
    })
}

/// Converts and expects a refusal of one of `kinds` within `within`.
fn refused(label: &str, bytes: &[u8], from: &str, to: &str, kinds: &[ErrorKind], within: Duration) -> String {
    let started = Instant::now();
    let result = free_plan().convert(bytes, from, to);
    let took = started.elapsed();
    let error = match result {
        Ok(out) => panic!("{label}: converted ({} bytes) instead of being refused", out.len()),
        Err(e) => e,
    };
    assert!(kinds.contains(&error.kind()), "{label}: {:?} {error}", error.kind());
    assert!(took < within, "{label}: refused only after {took:?}");
    println!("{label}: refused in {:.1} ms: {error}", took.as_secs_f64() * 1e3);
    error.to_string()
}

const LIMIT: &[ErrorKind] = &[ErrorKind::LimitExceeded];

#[test]
fn deep_svgs_are_refused_before_the_stack_runs_out() {
    let within = Duration::from_secs(3);
    let message = refused("5,000 nested <g>", &hostile::svg_nested("g", 5000), "svg", "png", LIMIT, within);
    assert!(message.contains("depth"), "{message}");
    refused("20,000 nested <svg>", &hostile::svg_nested("svg", 20_000), "svg", "png", LIMIT, within);
    refused("3,000 chained masks", &hostile::svg_mask_chain(3000), "svg", "png", LIMIT, within);
    // The limit is far above real drawings: 200 levels render.
    let png = free_plan().convert(&hostile::svg_nested("g", 200), "svg", "png").unwrap();
    assert!(png.starts_with(b"\x89PNG"));
}

#[test]
fn svg_filters_are_priced_before_rendering() {
    let within = Duration::from_secs(3);
    let message = refused("2,000 chained feOffset over 4000x4000", &hostile::svg_filter_chain(2000, 4000), "svg", "png", LIMIT, within);
    assert!(message.contains("SVG"), "{message}");
    refused("5,000-pixel blur over a 100x region", &hostile::svg_huge_blur(), "svg", "png", LIMIT, within);
    // A drop shadow on a normal drawing is cheap and renders.
    let shadow = b"<svg xmlns='http://www.w3.org/2000/svg' width='400' height='300'><filter id='s'><feDropShadow dx='4' dy='4' stdDeviation='3'/></filter><rect x='20' y='20' width='200' height='100' fill='teal' filter='url(#s)'/></svg>";
    assert!(free_plan().convert(shadow, "svg", "png").is_ok());
}

#[test]
fn animation_bombs_are_refused_from_their_block_structure() {
    let gif = hostile::gif_frames(3000, 3000, 400);
    assert!(gif.len() < 10_000, "{} bytes", gif.len());
    let message = refused("3000x3000 x 400-frame GIF", &gif, "gif", "webp", LIMIT, Duration::from_secs(2));
    assert!(message.contains("memory"), "{message}");
    // Two at once each stay within their own budget.
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| refused("GIF bomb, concurrently", &gif, "gif", "png", LIMIT, Duration::from_secs(2)));
        }
    });
}

#[test]
fn tables_that_would_make_huge_documents_are_refused() {
    let message = refused("3 million one-letter CSV rows to PDF", &hostile::csv_rows(3_000_000), "csv", "pdf", LIMIT, Duration::from_secs(20));
    assert!(["pages", "cells", "rows"].iter().any(|w| message.contains(w)), "{message}");
    // A modest table still converts.
    let pdf = free_plan().convert(&hostile::csv_rows(2000), "csv", "pdf").unwrap();
    assert!(pdf.starts_with(b"%PDF"));
}

#[test]
fn conversions_run_on_a_large_stack_whatever_thread_calls() {
    // A caller's thread with a small stack (as an async runtime's blocking
    // pool gives) still converts a deep but legitimate SVG.
    let svg = hostile::svg_nested("g", 250);
    let handle = std::thread::Builder::new().stack_size(256 << 10).spawn(move || free_plan().convert(&svg, "svg", "png").map(|b| b.len())).unwrap();
    assert!(handle.join().unwrap().unwrap() > 0);
}

/// The hostile files are fuzz regression inputs too: the committed copies
/// are exactly what the makers produce. `FILECONV_WRITE_REGRESSIONS=1`
/// writes them anew (after a maker changes).
#[test]
fn regression_inputs_are_the_hostile_files() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions");
    // Step-encoded seeds: nesting, use fan-out, masks, filters of each kind.
    let seeds: [&[u8]; 4] = [
        &[200, 0, 0, 0, 1, 0, 2, 2, 0, 2, 1, 2, 2, 8, 1],
        &[255, 7, 0, 7, 1, 7, 2, 7, 3, 7, 4, 7, 5, 8, 0, 8, 3, 8, 5],
        &[64, 4, 0, 3, 1, 1, 0, 5, 0, 9, 9, 1, 0, 3, 0, 6, 40, 9, 30, 1, 0, 8, 2],
        &[10, 0, 0, 2, 0, 2, 0, 2, 0, 1, 0, 0, 0, 2, 1, 2, 1, 2, 1, 1, 0, 2, 2, 2, 2],
    ];
    let mut files: Vec<(String, Vec<u8>)> = vec![
        ("decode_svg/hostile-nested-g-5000.svg".into(), hostile::svg_nested("g", 5000)),
        ("decode_svg/hostile-nested-svg-20000.svg".into(), hostile::svg_nested("svg", 20_000)),
        ("decode_svg/hostile-mask-chain-3000.svg".into(), hostile::svg_mask_chain(3000)),
        ("decode_svg/hostile-feoffset-chain-2000.svg".into(), hostile::svg_filter_chain(2000, 4000)),
        ("decode_svg/hostile-huge-blur.svg".into(), hostile::svg_huge_blur()),
        ("decode_any/hostile-gif-3000x3000x400.gif".into(), hostile::gif_frames(3000, 3000, 400)),
    ];
    files.extend(seeds.iter().enumerate().map(|(i, seed)| (format!("decode_svg/steps-{i}"), seed.to_vec())));
    let write = std::env::var_os("FILECONV_WRITE_REGRESSIONS").is_some();
    for (name, bytes) in files {
        let path = root.join(&name);
        if write {
            std::fs::write(&path, &bytes).unwrap();
        }
        let committed = std::fs::read(&path).unwrap_or_else(|e| panic!("{name}: {e} (FILECONV_WRITE_REGRESSIONS=1 writes it)"));
        assert!(committed == bytes, "{name} differs from its maker (FILECONV_WRITE_REGRESSIONS=1 writes it anew)");
    }
}
