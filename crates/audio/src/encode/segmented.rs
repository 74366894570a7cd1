//! MP3 encoding on every core: the stream is cut into segments that are
//! encoded by independent LAME encoders in parallel, and their frames joined
//! into one stream without a gap or a click.
//!
//! How the joins stay seamless:
//! - LAME's bit reservoir is turned off (`reservoir=0`), so no frame borrows
//!   bits from an earlier frame: any run of frames decodes on its own.
//! - Each segment is a whole number of 1152-sample frames. Every encoder has
//!   the same delay (1105 samples), so frame `k` of an encoder fed from input
//!   sample `s` covers the same input span as frame `k + s / 1152` of a single
//!   encoder fed from the start.
//! - A segment's encoder is fed [`PREROLL`] frames of the previous segment
//!   first and [`POSTROLL`] frames of the next one after, and only the frames
//!   covering the segment itself are kept: the kept frames saw the real
//!   signal on both sides (MDCT windows, psychoacoustic look-ahead), as they
//!   would have in one long encode, so the decoder's overlap-add across a
//!   join meets consistent spectra.
//! - The muxer gets the stream parameters and the encoder delay of one
//!   encoder and the final padding from the last segment's last frame, so the
//!   LAME tag describes the joined stream and gapless players trim it exactly.

use std::collections::BTreeMap;
use std::sync::mpsc;

use fileconv_core::{Audio, Context, Error, Result};
use fileconv_ffmpeg::ffmpeg::Packet;
use fileconv_ffmpeg::samples::{f32_samples, Converter, PcmFormat, SampleFifo};

use super::ffmpeg::{drain, Settings};
use super::progress;

/// Samples per MP3 frame (MPEG-1 layer III).
const FRAME: usize = 1152;
/// Frames per segment: about 3.3 s at 44.1 kHz (1.2 MB of stereo samples;
/// 256 frames held 7 MB more at once for no measurable speed).
const SEGMENT: usize = 128;
/// Frames of context fed before and after each segment.
const PREROLL: usize = 4;
const POSTROLL: usize = 4;

/// The codec options every segment's encoder is opened with.
pub const ENCODER_OPTIONS: &[(&str, &str)] = &[("reservoir", "0")];

/// True when the stream is long enough for segments to pay and there is more
/// than one core: short files keep the single encoder and its bit reservoir.
pub fn worth_it(audio: &Audio) -> bool {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores > 1 && audio.total_frames.is_some_and(|n| n >= (4 * SEGMENT * FRAME) as u64)
}

/// A segment to encode: its samples (interleaved `f32`, target rate and
/// channels) with pre- and post-roll, and which frames of the result to keep.
struct Job {
    index: usize,
    samples: Vec<f32>,
    /// Leading frames to drop (the pre-roll).
    skip: usize,
    /// Frames to keep after those; `None` keeps everything (the last segment).
    keep: Option<usize>,
}

/// Encodes `audio` in parallel segments, handing packets to `mux` in order.
///
/// # Errors
/// What the source, the resampler or an encoder fails with; [`Error::Cancelled`].
pub fn encode(audio: Audio, settings: &Settings, ctx: &Context<'_>, mux: &mut dyn FnMut(Packet) -> Result<()>) -> Result<()> {
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).min(8);
    let channels = usize::from(settings.channels);
    let from = PcmFormat::interleaved_f32(audio.spec.channels, audio.spec.sample_rate);
    let mut converter = Converter::new(from, PcmFormat::interleaved_f32(settings.channels, settings.rate), settings.format)?;
    let total = audio.total_frames;
    let mut source = audio.source;

    // A job is handed over only when a worker takes it: memory stays at one
    // segment per worker and the one being gathered.
    let (job_tx, job_rx) = mpsc::sync_channel::<Job>(0);
    let job_rx = std::sync::Mutex::new(job_rx);
    std::thread::scope(|scope| {
        let (done_tx, done_rx) = mpsc::channel::<(usize, Result<Vec<Packet>>)>();
        for _ in 0..workers {
            let (job_rx, done_tx) = (&job_rx, done_tx.clone());
            scope.spawn(move || loop {
                let job = match job_rx.lock().map(|rx| rx.recv()) {
                    Ok(Ok(job)) => job,
                    _ => return,
                };
                let index = job.index;
                if done_tx.send((index, encode_segment(job, settings, ctx))).is_err() {
                    return;
                }
            });
        }
        drop(done_tx);

        let mut writer = InOrder { next: 0, waiting: BTreeMap::new(), pts: None };
        let mut pending: Vec<f32> = Vec::new();
        let mut preroll: Vec<f32> = Vec::new();
        let (mut sent, mut read) = (0usize, 0u64);
        let segment_len = SEGMENT * FRAME * channels;
        let post_len = POSTROLL * FRAME * channels;
        let result = (|| -> Result<()> {
            let mut finished = false;
            while !finished {
                ctx.checkpoint()?;
                let converted = match source.next_chunk()? {
                    Some(chunk) => {
                        read += (chunk.len() / usize::from(from.channels.max(1))) as u64;
                        converter.convert_interleaved(&chunk)?
                    }
                    None => {
                        finished = true;
                        converter.flush()?
                    }
                };
                pending.extend(f32_samples(&converted.0));
                while pending.len() >= segment_len + post_len || (finished && !pending.is_empty()) {
                    let last = finished && pending.len() < segment_len + post_len;
                    let body = if last { pending.len() } else { segment_len };
                    let tail = if last { 0 } else { post_len };
                    let mut samples = Vec::with_capacity(preroll.len() + body + tail);
                    samples.extend_from_slice(&preroll);
                    samples.extend_from_slice(&pending[..body + tail]);
                    let skip = preroll.len() / (FRAME * channels);
                    let keep = (!last).then_some(SEGMENT);
                    let pre = (PREROLL * FRAME * channels).min(body);
                    preroll = pending[body - pre..body].to_vec();
                    pending.drain(..body);
                    job_tx.send(Job { index: sent, samples, skip, keep }).map_err(|_| Error::Internal("segment workers stopped".into()))?;
                    sent += 1;
                    // Write what is ready while the workers go on.
                    while let Ok((index, packets)) = done_rx.try_recv() {
                        writer.add(index, packets?, mux)?;
                    }
                }
                progress(ctx, read, total);
            }
            Ok(())
        })();
        drop(job_tx);
        result?;
        while writer.next < sent {
            let (index, packets) = done_rx.recv().map_err(|_| Error::Internal("a segment worker stopped".into()))?;
            writer.add(index, packets?, mux)?;
        }
        Ok(())
    })
}

/// Writes segments' packets in segment order, with continuous timestamps
/// starting where the first encoder's start (minus its delay).
struct InOrder {
    next: usize,
    waiting: BTreeMap<usize, Vec<Packet>>,
    pts: Option<i64>,
}

impl InOrder {
    fn add(&mut self, index: usize, packets: Vec<Packet>, mux: &mut dyn FnMut(Packet) -> Result<()>) -> Result<()> {
        self.waiting.insert(index, packets);
        while let Some(packets) = self.waiting.remove(&self.next) {
            for mut packet in packets {
                let pts = *self.pts.get_or_insert(packet.pts().unwrap_or(0));
                packet.set_pts(Some(pts));
                packet.set_dts(Some(pts));
                self.pts = Some(pts + packet.duration().max(0));
                mux(packet)?;
            }
            self.next += 1;
        }
        Ok(())
    }
}

/// Encodes one segment with its own encoder and keeps the frames covering it.
fn encode_segment(job: Job, settings: &Settings, ctx: &Context<'_>) -> Result<Vec<Packet>> {
    let id = settings.format;
    let mut encoder = settings.open(ENCODER_OPTIONS, ctx)?;
    let mut converter = Converter::new(PcmFormat::interleaved_f32(settings.channels, settings.rate), settings.pcm(), id)?;
    let mut fifo = SampleFifo::new(settings.pcm())?;
    let mut packets = Vec::new();
    let mut collect = |p: Packet| {
        packets.push(p);
        Ok(())
    };
    let mut pts = 0i64;
    // Frame by frame, so the segment is held once, not also converted.
    for chunk in job.samples.chunks(FRAME * usize::from(settings.channels)) {
        let (mut planes, frames) = converter.convert_interleaved(chunk)?;
        fifo.push(&mut planes, frames)?;
        while !fifo.is_empty() {
            let mut frame = fifo.pop(FRAME);
            frame.set_pts(Some(pts));
            pts += frame.samples() as i64;
            encoder.send_frame(&frame).map_err(|e| fileconv_ffmpeg::error(id, "cannot encode", e))?;
            drain(&mut encoder, id, &mut collect)?;
        }
    }
    encoder.send_eof().map_err(|e| fileconv_ffmpeg::error(id, "cannot finish encoding", e))?;
    drain(&mut encoder, id, &mut collect)?;
    let kept = packets.into_iter().skip(job.skip);
    Ok(match job.keep {
        Some(n) => kept.take(n).collect(),
        None => kept.collect(),
    })
}
