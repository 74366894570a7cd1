//! PNG image data built on every core: the rows are cut into segments that
//! are filtered and deflated independently, and the pieces joined into the
//! one zlib stream the IDAT chunks carry.
//!
//! Why the joins are valid deflate:
//! - each segment has its own compressor, so no back-reference reaches into
//!   an earlier segment;
//! - every segment but the last ends with an empty stored block (a "sync
//!   flush"), so it ends on a byte boundary and the next segment's first
//!   block header follows it directly; only the last segment's last block is
//!   marked final;
//! - the zlib header goes before the first segment and the Adler-32 of the
//!   whole stream, combined from the segments' own, after the last.
//!
//! Filtering a row needs the row above, which every worker reads from the
//! whole raster, so a segment's first row is filtered exactly as it would be
//! in one pass. Each row gets the filter whose output has the smallest sum of
//! absolute values (the png crate's `Adaptive`, libpng's heuristic).
//!
//! Level 1 is a Huffman-only coder with zero runs and a fixed code tuned for
//! filtered image data (fdeflate's design and code lengths, the png crate's
//! default fast path); levels 0 and 2-9 are zlib's levels through flate2.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use fileconv_core::{Context, Error, Result};

/// Raw bytes per segment: small enough that both cores stay busy to the end
/// and a segment's output is little memory, large enough that the flush
/// between segments (5 bytes) and the per-segment start cost nothing.
const SEGMENT_BYTES: usize = 512 * 1024;

/// The pixels to write: whole rows, top to bottom, packed as the PNG's
/// colour type and bit depth say; 16-bit samples in native byte order.
/// Either a whole picture, or a ring of rows that a decoder on another
/// thread is still writing ([`Rows::arriving`]).
pub struct Rows<'a> {
    pixels: *const u8,
    /// Rows in the picture.
    count: usize,
    /// Rows the buffer holds: row `i` is at `i % held`.
    held: usize,
    pub row_bytes: usize,
    /// Bytes per complete pixel (the filters' left neighbour distance).
    pub pixel_bytes: usize,
    /// Samples are 16-bit: written big-endian, as PNG stores them.
    pub sixteen: bool,
    /// Where the rows are still arriving: what says which are written.
    gate: Option<&'a RowGate>,
    _pixels: std::marker::PhantomData<&'a [u8]>,
}

// SAFETY: the rows are only read (through shared slices), and where they
// are still being written, only once the gate says they are and until it
// is told they are done with.
unsafe impl Send for Rows<'_> {}
// SAFETY: as for Send.
unsafe impl Sync for Rows<'_> {}

impl<'a> Rows<'a> {
    /// A whole picture of `pixels.len() / row_bytes` rows.
    pub fn whole(pixels: &'a [u8], row_bytes: usize, pixel_bytes: usize, sixteen: bool) -> Self {
        let count = pixels.len().checked_div(row_bytes).unwrap_or(0);
        Rows { pixels: pixels.as_ptr(), count, held: count.max(1), row_bytes, pixel_bytes, sixteen, gate: None, _pixels: std::marker::PhantomData }
    }

    /// `count` rows of 8-bit samples arriving in a ring of `held` rows at
    /// `ring`, written by another thread as `gate` says.
    ///
    /// # Safety
    /// `ring` must be valid for reads of `held * row_bytes` bytes for `'a`;
    /// the writer must write row `i` only at `i % held`, only when
    /// [`RowGate::room`] allows, and say so with [`RowGate::written`].
    pub unsafe fn arriving(ring: *const u8, count: usize, held: usize, row_bytes: usize, pixel_bytes: usize, gate: &'a RowGate) -> Self {
        Rows { pixels: ring, count, held: held.max(1), row_bytes, pixel_bytes, sixteen: false, gate: Some(gate), _pixels: std::marker::PhantomData }
    }
}

/// Rows passed from a decoder writing them to the workers compressing
/// them: how many are written, and how many the workers are done with (a
/// row above a segment is read with it, so a row is done with when the
/// segment below its own is written out).
pub struct RowGate {
    state: std::sync::Mutex<GateState>,
    changed: std::sync::Condvar,
    held: usize,
}

#[derive(Default)]
struct GateState {
    written: usize,
    done_with: usize,
    stopped: bool,
}

impl RowGate {
    /// A gate for a ring of `held` rows.
    pub fn new(held: usize) -> Self {
        RowGate { state: Default::default(), changed: Default::default(), held: held.max(1) }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Writer: rows `..rows` are written.
    pub fn written(&self, rows: usize) {
        self.state().written = rows;
        self.changed.notify_all();
    }

    /// Writer: how many rows from row `from` may be written now, up to
    /// `wanted`, waiting until at least one may; 0 once stopped.
    pub fn room(&self, from: usize, wanted: usize) -> usize {
        let mut state = self.state();
        loop {
            if state.stopped {
                return 0;
            }
            let free = (state.done_with + self.held).saturating_sub(from).min(wanted);
            if free > 0 || wanted == 0 {
                return free;
            }
            state = self.changed.wait(state).unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }

    /// Either side: no more rows will be written or read.
    pub fn stop(&self) {
        self.state().stopped = true;
        self.changed.notify_all();
    }

    /// Reader: waits until rows `..end` are written; false once stopped.
    fn wait_written(&self, end: usize) -> bool {
        let mut state = self.state();
        while state.written < end && !state.stopped {
            state = self.changed.wait(state).unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        state.written >= end
    }

    /// Reader: rows `..rows` will not be read again.
    fn done_with(&self, rows: usize) {
        let mut state = self.state();
        if rows > state.done_with {
            state.done_with = rows;
            drop(state);
            self.changed.notify_all();
        }
    }
}

/// Filters and compresses `rows` at `level` (0-9, 1 the fast coder) and
/// hands the zlib stream to `chunk` in pieces, in order, each one IDAT's
/// worth.
///
/// # Errors
/// What `chunk` fails with; [`Error::Cancelled`] when the job is cancelled;
/// [`Error::Internal`] if a compressor fails (a bug).
pub fn write(rows: &Rows<'_>, level: u8, ctx: &Context<'_>, chunk: &mut dyn FnMut(&[u8]) -> Result<()>) -> Result<()> {
    let written = write_segments(rows, level, ctx, chunk);
    if let (Err(_), Some(gate)) = (&written, rows.gate) {
        gate.stop();
    }
    written
}

fn write_segments(rows: &Rows<'_>, level: u8, ctx: &Context<'_>, chunk: &mut dyn FnMut(&[u8]) -> Result<()>) -> Result<()> {
    let row_count = rows.count;
    let rows_per_segment = rows_per_segment(rows.row_bytes);
    let segments = row_count.div_ceil(rows_per_segment).max(1);
    let span = |index: usize| index * rows_per_segment..((index + 1) * rows_per_segment).min(row_count);
    let workers = crate::worker_cores().min(segments);

    let mut joined = Joined { adler: 1 };
    if workers <= 1 {
        for index in 0..segments {
            ctx.checkpoint()?;
            let segment = compress_segment(rows, span(index), level, index + 1 == segments)?;
            joined.write(segment, index == 0, index + 1 == segments, chunk)?;
            rows.done_with(span(index).end - 1);
        }
        return Ok(());
    }

    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (done_tx, done_rx) = mpsc::channel::<(usize, Result<Segment>)>();
        for worker in 0..workers {
            let (next, stop, done_tx) = (&next, &stop, done_tx.clone());
            scope.spawn(move || {
                if rows.gate.is_some() {
                    crate::yield_to_the_producer();
                }
                loop {
                    // While rows are arriving, the first worker keeps up with
                    // the writer and the others join it only when segments wait
                    // for them, so that the writer (the slowest single step)
                    // keeps its core whenever it could use it.
                    if let (Some(gate), true) = (rows.gate, worker > 0) {
                        let ahead = (next.load(Ordering::Relaxed) + BACKLOG_SEGMENTS).min(segments);
                        if ahead > 0 && !gate.wait_written(span(ahead - 1).end) {
                            return;
                        }
                    }
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= segments || stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let segment = compress_segment(rows, span(index), level, index + 1 == segments);
                    if done_tx.send((index, segment)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);

        let result = (|| -> Result<()> {
            let mut waiting = BTreeMap::new();
            let mut expected = 0;
            for (index, segment) in &done_rx {
                waiting.insert(index, segment?);
                while let Some(segment) = waiting.remove(&expected) {
                    ctx.checkpoint()?;
                    joined.write(segment, expected == 0, expected + 1 == segments, chunk)?;
                    rows.done_with(span(expected).end - 1);
                    expected += 1;
                    ctx.progress(expected as f32 / segments as f32);
                }
            }
            if expected == segments {
                Ok(())
            } else {
                Err(Error::Internal(format!("PNG segment workers stopped after {expected} of {segments} segments")))
            }
        })();
        if result.is_err() {
            stop.store(true, Ordering::Relaxed);
            // Workers waiting for rows wake up and leave.
            if let Some(gate) = rows.gate {
                gate.stop();
            }
        }
        result
    })
}

/// Segments written and not yet taken that bring a second worker in while
/// rows are arriving.
const BACKLOG_SEGMENTS: usize = 4;

/// Rows of `row_bytes` each in one segment (the last may have fewer).
pub fn rows_per_segment(row_bytes: usize) -> usize {
    (SEGMENT_BYTES / row_bytes.max(1)).max(1)
}

/// One segment's deflate blocks and the Adler-32 of its raw (filtered) bytes.
struct Segment {
    deflated: Vec<u8>,
    adler: u32,
    raw_len: usize,
}

/// The stream so far: its running Adler-32.
struct Joined {
    adler: u32,
}

impl Joined {
    fn write(&mut self, mut segment: Segment, first: bool, last: bool, chunk: &mut dyn FnMut(&[u8]) -> Result<()>) -> Result<()> {
        self.adler = adler32_combine(self.adler, segment.adler, segment.raw_len);
        if first {
            // CMF: deflate, 32 KB window; FLG: fastest level, check bits.
            segment.deflated.splice(0..0, [0x78, 0x01]);
        }
        if last {
            segment.deflated.extend_from_slice(&self.adler.to_be_bytes());
        }
        chunk(&segment.deflated)
    }
}

/// Adler-32 of `A ++ B` from the checksums of `A` and of `B` (`b_len` bytes), as zlib's `adler32_combine`.
fn adler32_combine(a: u32, b: u32, b_len: usize) -> u32 {
    const BASE: u64 = 65521;
    let rem = (b_len as u64) % BASE;
    let (a1, a2) = (u64::from(a & 0xffff), u64::from(a >> 16));
    let (b1, b2) = (u64::from(b & 0xffff), u64::from(b >> 16));
    let sum1 = (a1 + b1 + BASE - 1) % BASE;
    let sum2 = (rem * a1 % BASE + a2 + b2 + BASE - rem) % BASE;
    ((sum2 << 16) | sum1) as u32
}

/// [`compress_segment_with`] compiled for AVX2 and BMI2 where the processor
/// has them (wider filter and sum loops, shifts without flags in the bit
/// writer), else for the baseline the program is built for.
fn compress_segment(rows: &Rows<'_>, span: std::ops::Range<usize>, level: u8, last: bool) -> Result<Segment> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("bmi2") {
        #[target_feature(enable = "avx2,bmi1,bmi2,lzcnt,popcnt")]
        fn avx2(rows: &Rows<'_>, span: std::ops::Range<usize>, level: u8, last: bool) -> Result<Segment> {
            compress_segment_with(rows, span, level, last)
        }
        // SAFETY: the features were detected just above.
        return unsafe { avx2(rows, span, level, last) };
    }
    compress_segment_with(rows, span, level, last)
}

#[inline(always)]
fn compress_segment_with(rows: &Rows<'_>, span: std::ops::Range<usize>, level: u8, last: bool) -> Result<Segment> {
    if let Some(gate) = rows.gate {
        if !gate.wait_written(span.end) {
            return Err(Error::Internal("the rows to compress stopped arriving".to_string()));
        }
    }
    let width = rows.row_bytes;
    let raw_len = span.len() * (width + 1);
    let mut filtered = Filtered::new(width, rows.pixel_bytes, rows.sixteen);
    if span.start > 0 {
        filtered.set_previous(rows.row(span.start - 1));
    }
    let mut adler = simd_adler32::Adler32::new();
    let mut coder = Coder::new(level, raw_len)?;
    for index in span {
        let line = filtered.next(rows.row(index), level > 0);
        adler.write(line);
        coder.write(line)?;
    }
    Ok(Segment { deflated: coder.finish(last)?, adler: adler.finish(), raw_len })
}

impl Rows<'_> {
    /// Row `index`, which must be below `count` and, where rows are
    /// arriving, written and not yet done with.
    fn row(&self, index: usize) -> &[u8] {
        assert!(index < self.count, "row {index} of {}", self.count);
        // SAFETY: the row lies inside the buffer (`index % held < held`),
        // and no one writes it while it is read: a whole picture is
        // borrowed shared, and an arriving row is read only between its
        // `written` and the `done_with` of the segment below it.
        unsafe { std::slice::from_raw_parts(self.pixels.add((index % self.held) * self.row_bytes), self.row_bytes) }
    }

    fn done_with(&self, rows: usize) {
        if let Some(gate) = self.gate {
            gate.done_with(rows);
        }
    }
}

/// Rows in, filtered rows (filter byte first) out.
struct Filtered {
    pixel_bytes: usize,
    sixteen: bool,
    previous: Vec<u8>,
    current: Vec<u8>,
    /// The filtered row, its filter byte first.
    filtered: Vec<u8>,
}

impl Filtered {
    fn new(width: usize, pixel_bytes: usize, sixteen: bool) -> Self {
        Filtered {
            pixel_bytes: pixel_bytes.max(1),
            sixteen,
            previous: vec![0; width],
            current: vec![0; width],
            filtered: vec![0; width + 1],
        }
    }

    fn set_previous(&mut self, row: &[u8]) {
        self.load(row);
        std::mem::swap(&mut self.previous, &mut self.current);
    }

    #[inline(always)]
    fn load(&mut self, row: &[u8]) {
        if self.sixteen {
            for (to, from) in self.current.chunks_exact_mut(2).zip(row.chunks_exact(2)) {
                to.copy_from_slice(&u16::from_ne_bytes([from[0], from[1]]).to_be_bytes());
            }
        } else {
            self.current.copy_from_slice(row);
        }
    }

    /// The row filtered: adaptively, or with no filter when `adaptive` is false (level 0).
    #[inline(always)]
    fn next(&mut self, row: &[u8], adaptive: bool) -> &[u8] {
        self.load(row);
        let (current, previous) = (&self.current, &self.previous);
        if !adaptive {
            self.filtered[0] = 0;
            self.filtered[1..].copy_from_slice(current);
        } else {
            let costs = costs(self.pixel_bytes, previous, current);
            // The first of the cheapest, in this order (libpng's).
            let mut best = 0;
            for (i, &cost) in costs.iter().enumerate() {
                if cost < costs[best] {
                    best = i;
                }
            }
            let filter = [Filter::Up, Filter::Sub, Filter::Average, Filter::Paeth][best];
            self.filtered[0] = filter as u8;
            filter.apply(self.pixel_bytes, previous, current, &mut self.filtered[1..]);
        }
        // This row is the next one's "above".
        std::mem::swap(&mut self.previous, &mut self.current);
        &self.filtered
    }
}

/// What each filter (Up, Sub, Average, Paeth) would cost the row `current`
/// under `previous`: the sum of its output bytes read as signed, small when
/// the filter predicts well. One pass computes all four, storing none.
#[inline(always)]
fn costs(bpp: usize, previous: &[u8], current: &[u8]) -> [u64; 4] {
    #[inline(always)]
    fn residuals(x: u8, a: u8, b: u8, c: u8) -> [u16; 4] {
        [x.wrapping_sub(b), x.wrapping_sub(a), x.wrapping_sub(average(a, b)), x.wrapping_sub(paeth(a, b, c))].map(|r| u16::from((r as i8).unsigned_abs()))
    }
    let n = current.len();
    let bpp = bpp.min(n);
    let mut sums = [0u64; 4];
    // The first pixel has no left neighbours: they count as zero.
    for (&x, &b) in current[..bpp].iter().zip(previous) {
        for (sum, r) in sums.iter_mut().zip(residuals(x, 0, b, 0)) {
            *sum += u64::from(r);
        }
    }
    let (x, a, b, c) = (&current[bpp..], &current[..n - bpp], &previous[bpp..n], &previous[..n - bpp]);
    // 64 residuals of at most 128 each fit a u16: narrow sums vectorise.
    const LANES: usize = 64;
    let whole = x.len() / LANES * LANES;
    fn lanes(row: &[u8]) -> std::slice::ChunksExact<'_, u8> {
        row.chunks_exact(LANES)
    }
    for (((x, a), b), c) in lanes(x).zip(lanes(a)).zip(lanes(b)).zip(lanes(c)) {
        let mut partial = [0u16; 4];
        for i in 0..LANES {
            for (p, r) in partial.iter_mut().zip(residuals(x[i], a[i], b[i], c[i])) {
                *p += r;
            }
        }
        for (sum, p) in sums.iter_mut().zip(partial) {
            *sum += u64::from(p);
        }
    }
    for i in whole..x.len() {
        for (sum, r) in sums.iter_mut().zip(residuals(x[i], a[i], b[i], c[i])) {
            *sum += u64::from(r);
        }
    }
    sums
}

#[derive(Clone, Copy)]
#[repr(u8)]
enum Filter {
    Sub = 1,
    Up = 2,
    Average = 3,
    Paeth = 4,
}

impl Filter {
    /// Writes `current` filtered against `previous` (the row above) into `out`.
    #[inline(always)]
    fn apply(self, bpp: usize, previous: &[u8], current: &[u8], out: &mut [u8]) {
        let n = current.len();
        let bpp = bpp.min(n);
        match self {
            Filter::Sub => {
                out[..bpp].copy_from_slice(&current[..bpp]);
                for ((o, &c), &a) in out[bpp..].iter_mut().zip(&current[bpp..]).zip(&current[..n - bpp]) {
                    *o = c.wrapping_sub(a);
                }
            }
            Filter::Up => {
                for ((o, &c), &b) in out.iter_mut().zip(current).zip(previous) {
                    *o = c.wrapping_sub(b);
                }
            }
            Filter::Average => {
                for i in 0..bpp {
                    out[i] = current[i].wrapping_sub(previous[i] >> 1);
                }
                for (((o, &c), &a), &b) in out[bpp..].iter_mut().zip(&current[bpp..]).zip(&current[..n - bpp]).zip(&previous[bpp..]) {
                    *o = c.wrapping_sub(average(a, b));
                }
            }
            Filter::Paeth => {
                for i in 0..bpp {
                    out[i] = current[i].wrapping_sub(previous[i]);
                }
                let above_left = &previous[..n - bpp];
                for ((((o, &x), &a), &b), &c) in
                    out[bpp..].iter_mut().zip(&current[bpp..]).zip(&current[..n - bpp]).zip(&previous[bpp..]).zip(above_left)
                {
                    *o = x.wrapping_sub(paeth(a, b, c));
                }
            }
        }
    }
}

/// The Average predictor, `(a + b) / 2` without overflow.
#[inline(always)]
pub(crate) fn average(a: u8, b: u8) -> u8 {
    (a & b) + ((a ^ b) >> 1)
}

/// The Paeth predictor in unsigned bytes only (Luca Versari's form, as FPNGE
/// and the png crate write it), which vectorises.
#[inline(always)]
pub(crate) fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let pa = b.max(c) - b.min(c);
    let pb = a.max(c) - a.min(c);
    let pc = if (a < c) == (c < b) { pa.max(pb) - pa.min(pb) } else { 255 };
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

/// A segment's deflate coder.
enum Coder {
    Fast(FastCoder),
    Zlib { compress: flate2::Compress, out: Vec<u8> },
}

impl Coder {
    fn new(level: u8, raw_len: usize) -> Result<Self> {
        Ok(if level == 1 {
            Coder::Fast(FastCoder::new(raw_len / 3))
        } else {
            Coder::Zlib { compress: flate2::Compress::new(flate2::Compression::new(level.into()), false), out: Vec::with_capacity(raw_len / 2 + 64) }
        })
    }

    #[inline(always)]
    fn write(&mut self, data: &[u8]) -> Result<()> {
        match self {
            Coder::Fast(coder) => coder.write(data),
            Coder::Zlib { compress, out } => deflate(compress, out, data, flate2::FlushCompress::None)?,
        }
        Ok(())
    }

    /// The segment's bytes: ended by an empty stored block, or by the final block when `last`.
    fn finish(self, last: bool) -> Result<Vec<u8>> {
        match self {
            Coder::Fast(coder) => Ok(coder.finish(last)),
            Coder::Zlib { mut compress, mut out } => {
                let flush = if last { flate2::FlushCompress::Finish } else { flate2::FlushCompress::Sync };
                deflate(&mut compress, &mut out, &[], flush)?;
                Ok(out)
            }
        }
    }
}

/// Feeds `data` to `compress` until it has taken all of it (and, for a
/// flush, written everything out).
fn deflate(compress: &mut flate2::Compress, out: &mut Vec<u8>, mut data: &[u8], flush: flate2::FlushCompress) -> Result<()> {
    loop {
        if out.capacity() - out.len() < 4096 {
            out.reserve(out.capacity().max(64 * 1024));
        }
        let before = compress.total_in();
        let status = compress.compress_vec(data, out, flush).map_err(|e| Error::Internal(format!("deflate: {e}")))?;
        data = &data[(compress.total_in() - before) as usize..];
        let room_left = out.capacity() > out.len();
        match status {
            flate2::Status::StreamEnd => return Ok(()),
            _ if data.is_empty() && room_left && matches!(flush, flate2::FlushCompress::None | flate2::FlushCompress::Sync) => return Ok(()),
            _ => {}
        }
    }
}

/// Code lengths of the fixed literal/length code fdeflate 0.3 uses for
/// filtered image data (MIT OR Apache-2.0), symbols 0-285: literals are short
/// near 0 and 255, where filtered bytes gather.
const CODE_LENGTHS: [u8; 286] = [
    2, 3, 4, 5, 5, 6, 6, 7, 7, 7, 8, 8, 8, 8, 8, 9, 9, 9, 9, 9, 9, 9, 10, 10, 10, 10, 10, 10, 10, 10, 10, 11, 11, 11, 11,
    11, 11, 11, 11, 11, 11, 11, 11, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,
    12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,
    12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,
    12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,
    12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,
    12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,
    12, 12, 12, 12, 12, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 10, 11, 10, 10, 10, 10, 10, 10, 10, 10, 10, 9, 9, 9, 9,
    9, 8, 9, 8, 8, 8, 8, 8, 7, 7, 7, 6, 6, 6, 5, 4, 3, 12, 12, 12, 9, 9, 11, 10, 11, 11, 10, 11, 11, 11, 11, 11, 11, 12,
    11, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 9,
];

/// The dynamic block header that declares [`CODE_LENGTHS`] and a distance
/// code whose code 0 (one bit) is distance 1: fdeflate 0.3's, without its
/// zlib header, 413 bits long (the last byte's low 5 bits). Bit 0 is BFINAL.
const BLOCK_HEADER: [u8; 52] = [
    237, 192, 3, 160, 36, 89, 150, 198, 241, 255, 119, 238, 141, 200, 204, 167, 114, 75, 99, 174, 109, 219, 182, 109, 219,
    182, 109, 219, 182, 109, 105, 140, 158, 150, 74, 175, 158, 50, 51, 34, 238, 249, 118, 183, 106, 122, 166, 135, 59, 107,
    213, 15,
];
const BLOCK_HEADER_LAST_BITS: u8 = 5;

/// Canonical Huffman codes for [`CODE_LENGTHS`], bit-reversed for writing
/// least significant bit first, as deflate packs them.
const CODES: [u16; 286] = {
    let mut codes = [0u16; 286];
    let mut code = 0u32;
    let mut len = 1;
    while len <= 15 {
        let mut symbol = 0;
        while symbol < 286 {
            if CODE_LENGTHS[symbol] == len {
                codes[symbol] = (code as u16).reverse_bits() >> (16 - len);
                code += 1;
            }
            symbol += 1;
        }
        code <<= 1;
        len += 1;
    }
    codes
};

/// Deflate length symbols 257-284: the first length each stands for and its extra bits.
const LENGTH_BASE: [u16; 28] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227];
const LENGTH_EXTRA: [u8; 28] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5];

/// fdeflate's coder: each byte a literal under [`CODES`], and runs of zeros
/// as a literal zero and a match at distance 1.
struct FastCoder {
    out: Vec<u8>,
    /// Bits not yet written out, and how many.
    bits: u64,
    nbits: u8,
}

/// Deflate's bit order: codes packed from the least significant bit up,
/// whole words at a time into room reserved beforehand, so that a word
/// written is a store and an add: no capacity check whose growth path would
/// keep the bit buffer out of registers.
struct Words<'a> {
    spare: &'a mut [std::mem::MaybeUninit<u8>],
    /// Bytes of `spare` written.
    at: usize,
    bits: u64,
    nbits: u8,
}

impl Words<'_> {
    #[inline(always)]
    fn put(&mut self, bits: u64, nbits: u8) {
        debug_assert!(nbits <= 64 && self.nbits < 64);
        self.bits |= bits << self.nbits;
        self.nbits += nbits;
        if self.nbits >= 64 {
            for (to, byte) in self.spare[self.at..self.at + 8].iter_mut().zip(self.bits.to_le_bytes()) {
                to.write(byte);
            }
            self.at += 8;
            self.nbits -= 64;
            self.bits = bits.checked_shr(u32::from(nbits - self.nbits)).unwrap_or(0);
        }
    }

    #[inline(always)]
    fn literal(&mut self, byte: u8) {
        self.put(u64::from(CODES[usize::from(byte)]), CODE_LENGTHS[usize::from(byte)]);
    }

    /// Four literals at once (at most 48 bits).
    #[inline(always)]
    fn literals(&mut self, four: &[u8]) {
        let (mut bits, mut n) = (0u64, 0u8);
        for &b in four {
            bits |= u64::from(CODES[usize::from(b)]) << n;
            n += CODE_LENGTHS[usize::from(b)];
        }
        self.put(bits, n);
    }

    /// `run` zeros: a literal zero, then matches of the zero before at distance 1.
    #[inline(always)]
    fn zeros(&mut self, mut run: usize) {
        self.literal(0);
        run -= 1;
        while run >= 258 {
            // Length 258 and the one-bit distance code 0.
            self.put(u64::from(CODES[285]), CODE_LENGTHS[285] + 1);
            run -= 258;
        }
        if run > 4 {
            let symbol = LENGTH_BASE.partition_point(|&base| usize::from(base) <= run) - 1;
            let extra = (run - usize::from(LENGTH_BASE[symbol])) as u64;
            self.put(u64::from(CODES[257 + symbol]), CODE_LENGTHS[257 + symbol]);
            self.put(extra, LENGTH_EXTRA[symbol] + 1);
        } else {
            for _ in 0..run {
                self.literal(0);
            }
        }
    }
}

impl FastCoder {
    fn new(capacity: usize) -> Self {
        let mut out = Vec::with_capacity(capacity + BLOCK_HEADER.len() + 8);
        // Not final: `finish` marks the last segment's block.
        out.push(BLOCK_HEADER[0] & !1);
        out.extend_from_slice(&BLOCK_HEADER[1..BLOCK_HEADER.len() - 1]);
        let mut coder = FastCoder { out, bits: 0, nbits: 0 };
        coder.words(0, |w| w.put(u64::from(BLOCK_HEADER[BLOCK_HEADER.len() - 1]), BLOCK_HEADER_LAST_BITS));
        coder
    }

    /// Runs `code` with room for coding `bytes_in` bytes: at most 12 bits
    /// each (the longest code; a run of zeros takes less per byte), after
    /// the 63 bits pending at most, and the block's end.
    #[inline(always)]
    fn words<R>(&mut self, bytes_in: usize, code: impl FnOnce(&mut Words<'_>) -> R) -> R {
        self.out.reserve(bytes_in + bytes_in / 2 + 32);
        let mut w = Words { spare: self.out.spare_capacity_mut(), at: 0, bits: self.bits, nbits: self.nbits };
        let result = code(&mut w);
        let (written, bits, nbits) = (w.at, w.bits, w.nbits);
        // SAFETY: `Words::put` initialised the first `written` bytes of the spare capacity.
        unsafe { self.out.set_len(self.out.len() + written) };
        (self.bits, self.nbits) = (bits, nbits);
        result
    }

    #[inline(always)]
    fn write(&mut self, data: &[u8]) {
        // Inlined into the caller, so that it is built for the caller's processor features.
        self.words(data.len(), #[inline(always)] |w| {
            let mut run = 0;
            let mut chunks = data.chunks_exact(8);
            for chunk in &mut chunks {
                let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
                if word == 0 {
                    run += 8;
                    continue;
                }
                // Zero bytes at the word's start continue the run; at its end they start the next.
                let leading = (word.trailing_zeros() / 8) as usize;
                let trailing = (word.leading_zeros() / 8) as usize;
                if run + leading > 0 {
                    w.zeros(run + leading);
                }
                run = trailing;
                if leading == 0 && trailing == 0 {
                    w.literals(&chunk[..4]);
                    w.literals(&chunk[4..]);
                } else {
                    for &b in &chunk[leading..8 - trailing] {
                        w.literal(b);
                    }
                }
            }
            if run > 0 {
                w.zeros(run);
            }
            for &b in chunks.remainder() {
                w.literal(b);
            }
        });
    }

    fn finish(mut self, last: bool) -> Vec<u8> {
        self.words(0, |w| {
            w.put(u64::from(CODES[256]), CODE_LENGTHS[256]);
            if !last {
                // An empty stored block: header bits 000, then byte-aligned LEN 0, NLEN 0xffff.
                w.put(0, 3);
            }
        });
        if last {
            self.out[0] |= 1;
        }
        let bytes = usize::from(self.nbits.div_ceil(8));
        self.out.extend_from_slice(&self.bits.to_le_bytes()[..bytes]);
        if !last {
            self.out.extend_from_slice(&[0, 0, 0xff, 0xff]);
        }
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fileconv_core::{Control, Limits, MemoryBudget, Notes, Options};
    use std::io::Read;

    fn inflate(stream: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::ZlibDecoder::new(stream).read_to_end(&mut out).expect("a valid zlib stream");
        out
    }

    fn stream(rows: &Rows<'_>, level: u8) -> Vec<u8> {
        let (options, limits, control, budget, notes) = (Options::default(), Limits::default(), Control::default(), MemoryBudget::default(), Notes::default());
        let ctx = Context::new(&options, &limits, &control, &budget, &notes);
        let mut out = Vec::new();
        write(rows, level, &ctx, &mut |piece| {
            out.extend_from_slice(piece);
            Ok(())
        })
        .expect("writes");
        out
    }

    /// Undoes the filters, as a decoder does.
    fn unfilter(data: &[u8], width: usize, bpp: usize) -> Vec<u8> {
        let mut out: Vec<u8> = Vec::new();
        let mut previous = vec![0u8; width];
        for line in data.chunks(width + 1) {
            let mut row = line[1..].to_vec();
            for i in 0..width {
                let a = if i >= bpp { row[i - bpp] } else { 0 };
                let b = previous[i];
                let c = if i >= bpp { previous[i - bpp] } else { 0 };
                let predicted = match line[0] {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => ((u16::from(a) + u16::from(b)) / 2) as u8,
                    4 => {
                        let p = i16::from(a) + i16::from(b) - i16::from(c);
                        let (pa, pb, pc) = ((p - i16::from(a)).abs(), (p - i16::from(b)).abs(), (p - i16::from(c)).abs());
                        if pa <= pb && pa <= pc {
                            a
                        } else if pb <= pc {
                            b
                        } else {
                            c
                        }
                    }
                    other => panic!("filter {other}"),
                };
                row[i] = row[i].wrapping_add(predicted);
            }
            out.extend_from_slice(&row);
            previous = row;
        }
        out
    }

    fn noise(len: usize, seed: u64) -> Vec<u8> {
        let mut state = seed;
        (0..len)
            .map(|i| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                // Smooth ramps, zero stretches and noise: every filter and the zero runs get used.
                match (i / 997) % 3 {
                    0 => (i % 251) as u8,
                    1 => 0,
                    _ => (state >> 56) as u8,
                }
            })
            .collect()
    }

    #[test]
    fn segments_join_into_one_valid_stream_at_every_level() {
        for (width, bpp, height) in [(300 * 3, 3, 1400), (7, 1, 3), (1, 1, 1), (640 * 4, 4, 900), (5000 * 8, 8, 40)] {
            let pixels = noise(width * height, width as u64);
            let rows = Rows::whole(&pixels, width, bpp, false);
            for level in [0, 1, 2, 6] {
                let data = inflate(&stream(&rows, level));
                assert_eq!(data.len(), height * (width + 1), "{width}x{height} level {level}");
                assert_eq!(unfilter(&data, width, bpp), pixels, "{width}x{height} level {level}");
            }
        }
    }

    #[test]
    fn sixteen_bit_samples_are_written_big_endian() {
        let samples: Vec<u16> = (0..64 * 3 * 20).map(|i| (i * 97 % 65536) as u16).collect();
        let pixels: Vec<u8> = samples.iter().flat_map(|s| s.to_ne_bytes()).collect();
        let rows = Rows::whole(&pixels, 64 * 6, 6, true);
        let data = unfilter(&inflate(&stream(&rows, 1)), 64 * 6, 6);
        let expected: Vec<u8> = samples.iter().flat_map(|s| s.to_be_bytes()).collect();
        assert_eq!(data, expected);
    }

    #[test]
    fn long_zero_runs_and_every_run_length_decode() {
        for run in [1, 2, 3, 4, 5, 9, 10, 258, 259, 260, 261, 516, 1000, 4099] {
            let mut pixels = vec![7u8; 16];
            pixels.extend(std::iter::repeat_n(0, run));
            pixels.extend([1, 2, 3]);
            let rows = Rows::whole(&pixels, pixels.len(), 1, false);
            let mut coder = FastCoder::new(0);
            coder.write(&pixels);
            let mut manual = vec![0x78, 0x01];
            manual.extend(coder.finish(true));
            manual.extend(simd_adler32::adler32(&pixels.as_slice()).to_be_bytes());
            assert_eq!(inflate(&manual), pixels, "run {run}");
            assert_eq!(unfilter(&inflate(&stream(&rows, 1)), pixels.len(), 1), pixels, "run {run}");
        }
    }

    #[test]
    fn the_processor_specific_build_writes_the_baseline_bytes() {
        let (width, height) = (300 * 3, 200);
        let pixels = noise(width * height, 11);
        let rows = Rows::whole(&pixels, width, 3, false);
        for (level, span) in [(1, 0..height), (1, 57..height), (6, 1..90)] {
            let dispatched = compress_segment(&rows, span.clone(), level, true).expect("compresses");
            let baseline = compress_segment_with(&rows, span.clone(), level, true).expect("compresses");
            assert_eq!(dispatched.deflated, baseline.deflated, "level {level}, rows {span:?}");
            assert_eq!(dispatched.adler, baseline.adler);
        }
    }

    #[test]
    fn the_one_pass_costs_are_each_filters_output_summed() {
        for (width, bpp) in [(300 * 3, 3), (7, 1), (1, 1), (2, 4), (640 * 4 + 5, 4), (131 * 8, 8)] {
            // Random bytes, and a smooth row under a noisy one.
            let random = |seed: u64| noise(3000 + width, seed)[2 * 997..2 * 997 + width].to_vec();
            let (previous, current) = (random(5), random(width as u64));
            let ramp: Vec<u8> = (0..width).map(|i| (i * 7 % 256) as u8).collect();
            for (previous, current) in [(&previous, &current), (&ramp, &current), (&current, &ramp)] {
                check(bpp, previous, current);
            }
        }
        fn check(bpp: usize, previous: &[u8], current: &[u8]) {
            let width = current.len();
            let mut out = vec![0; width];
            for (i, filter) in [Filter::Up, Filter::Sub, Filter::Average, Filter::Paeth].into_iter().enumerate() {
                filter.apply(bpp, previous, current, &mut out);
                let sum: u64 = out.iter().map(|&b| u64::from((b as i8).unsigned_abs())).sum();
                assert_eq!(costs(bpp, previous, current)[i], sum, "filter {} of a {width}-byte row", filter as u8);
            }
        }
    }

    #[test]
    fn adler32_combines_as_one_pass() {
        let data = noise(200_000, 3);
        for cut in [0, 1, 65_521, 100_000, 200_000] {
            let (a, b) = data.split_at(cut);
            let combined = adler32_combine(simd_adler32::adler32(&a), simd_adler32::adler32(&b), b.len());
            assert_eq!(combined, simd_adler32::adler32(&data.as_slice()), "cut at {cut}");
        }
    }
}
