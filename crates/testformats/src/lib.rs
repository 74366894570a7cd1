//! Formats whose decoders do what a hostile file makes a codec do, to test
//! the service's converter children through the real process boundary:
//! `x-test-abort` aborts, `x-test-segv` faults, `x-test-stack` overflows its
//! stack, `x-test-alloc` allocates until it is refused, `x-test-spin` spins
//! without a checkpoint, `x-test-slow` reports progress for ten seconds
//! and then decodes a 1x1 image, and `x-test-snoop` tries to read and write
//! the files its input names (lines `read PATH` and `write PATH`; `$TMPDIR`
//! is expanded) and fails with what happened to each. Each converts to any
//! image format.
//!
//! Never linked into a release: `fileconv-server` takes this crate only
//! with its `test-formats` feature, which `make test` turns on.

use fileconv_core::{Category, Context, Decoder, FormatInfo, Input, Result, Value, ValueKind};

macro_rules! hostile_format {
    ($id:literal, $name:literal, $decode:expr) => {
        inventory::submit! {
            FormatInfo { id: $id, aliases: &[], name: $name, mime: "application/x-fileconv-test", category: Category::Image, container: None, sniff: None }
        }
        inventory::submit! { Decoder { format: $id, name: $id, output: ValueKind::Raster, cost: 1, options: &[], decode: $decode } }
    };
}

hostile_format!("x-test-abort", "Test: a decoder that aborts", |_, _| std::process::abort());
hostile_format!("x-test-segv", "Test: a decoder that faults", |_, _| {
    // SAFETY: not safe at all: a write to an unmapped page is the fault
    // under test (raise(SIGSEGV) would not do: Rust's handler returns).
    unsafe { std::ptr::write_volatile(16 as *mut u8, 1) };
    unreachable!("the write faults")
});
hostile_format!("x-test-stack", "Test: a decoder that overflows its stack", |input, _| Ok(Value::Raster(deeper(input.bytes.len() as u64))));
hostile_format!("x-test-alloc", "Test: a decoder that allocates without bound", |_, _| {
    let mut held: Vec<Vec<u8>> = Vec::new();
    loop {
        // Touched, so that the memory is really taken.
        held.push(vec![1u8; 64 << 20]);
        std::hint::black_box(&held);
    }
});
hostile_format!("x-test-spin", "Test: a decoder that spins without a checkpoint", |_, _| {
    let mut x = 0u64;
    loop {
        x = std::hint::black_box(x.wrapping_add(1));
    }
});
hostile_format!("x-test-slow", "Test: a decoder that takes ten seconds", slow);
hostile_format!("x-test-snoop", "Test: a decoder that reads and writes files it should not", snoop);

#[allow(unconditional_recursion)]
fn deeper(n: u64) -> fileconv_core::Raster {
    // No tail call: every level keeps its frame.
    let mut frame = [0u8; 4096];
    frame[(n % 4096) as usize] = n as u8;
    std::hint::black_box(&mut frame);
    let raster = deeper(n + 1);
    std::hint::black_box(frame[0]);
    raster
}

fn slow(_: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    for step in 0..100 {
        ctx.checkpoint()?;
        ctx.progress(step as f32 / 100.0);
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let pixel = fileconv_core::image::RgbaImage::from_pixel(1, 1, fileconv_core::image::Rgba([255, 0, 0, 255]));
    Ok(Value::Raster(fileconv_core::Raster::still(pixel.into())))
}

fn snoop(input: Input<'_>, _: &Context<'_>) -> Result<Value> {
    let script = String::from_utf8_lossy(input.bytes);
    let temp = std::env::var("TMPDIR").unwrap_or_default();
    let mut said = Vec::new();
    for line in script.lines() {
        let Some((verb, path)) = line.split_once(' ') else { continue };
        let path = path.replace("$TMPDIR", &temp);
        let result = match verb {
            "read" => std::fs::read(&path).map(drop),
            "write" => std::fs::write(&path, b"planted"),
            _ => continue,
        };
        said.push(match result {
            Ok(()) => format!("{verb} {path}: ok"),
            Err(e) => format!("{verb} {path}: {:?}", e.kind()),
        });
    }
    Err(fileconv_core::Error::InvalidInput { format: "x-test-snoop".to_string(), reason: said.join("; ") })
}
