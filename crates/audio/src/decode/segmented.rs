//! MPEG audio (layers I to III, so MP3 and MP2) decoded on every core.
//!
//! FFmpeg's MP3 decoder is single-threaded and was the whole of an MP3 to
//! WAV conversion. An MPEG audio frame depends on the frames before it only
//! through a bounded state: the layer III bit reservoir (at most 511 bytes
//! of earlier frames), the IMDCT overlap (one granule) and the synthesis
//! filter bank (512 samples). So the packets are cut into segments of
//! [`SEGMENT_PACKETS`], each decoded by its own decoder after the
//! [`PRIME_PACKETS`] packets before it, whose output is thrown away: once
//! primed, a decoder's state is what a decoder that ran from the start would
//! hold, and its samples are bit-identical (a test compares them on real
//! files, with segments of a few packets). Demuxing stays on the calling
//! thread; the segments' samples come back in order.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{mpsc, Arc, Mutex};

use fileconv_core::{AudioSource, Error, Result, Samples, READ_AHEAD_BATCH};
use fileconv_ffmpeg::ffmpeg::{codec, decoder, frame, Error as FfmpegError, Packet};
use fileconv_ffmpeg::{decode_error, MediaInput, EAGAIN};

use super::ffmpeg::{CorruptRun, FrameConverter, MAX_BAD_PACKETS};

/// Packets per segment: 128 frames of 1,152 samples, 3.3 s at 44.1 kHz.
pub const SEGMENT_PACKETS: usize = 128;
/// Decoders at most; past four, demuxing on one thread is the limit.
pub const MAX_SEGMENT_WORKERS: usize = 4;
/// Packets decoded and discarded before each segment: the last ones of the
/// segment before, at least this many and [`PRIME_BYTES`] between them.
const PRIME_PACKETS: usize = 6;
/// The bit reservoir reaches back 511 bytes of main data (MPEG-2: 255); the
/// decoder's state settles over about three more frames (measured: 8 kbit/s
/// MPEG-2.5 needs 7 frames of 72 bytes, 128 kbit/s needs 3 of 418). Three
/// times the reservoir leaves a margin at every bitrate.
const PRIME_BYTES: usize = 3 * 511;
/// Most packets kept for priming, however small (free-format junk).
const MAX_PRIME_PACKETS: usize = 64;

/// Whether the codec's frames depend on each other only as described above.
pub fn segmentable(id: codec::Id) -> bool {
    matches!(id, codec::Id::MP3 | codec::Id::MP2 | codec::Id::MP1)
}

struct Job {
    sequence: u64,
    packets: Vec<Packet>,
    /// Leading packets that only prime the decoder.
    primes: usize,
    /// The stream's last segment: the decoder is drained at its end.
    last: bool,
}

struct Done {
    /// The segment's samples in chunks of about [`READ_AHEAD_BATCH`], which
    /// pass the encoder's read-ahead thread without being copied again.
    chunks: Vec<Samples>,
    corrupt: Corruption,
}

/// Corrupt packets of one segment, so that a run of them across segments
/// is counted as it would be by one decoder.
#[derive(Clone, Copy, Debug, Default)]
struct Corruption {
    /// Refusals before the segment's first accepted packet.
    leading: u32,
    /// Refusals after its last accepted packet.
    trailing: u32,
    /// Whether any packet was accepted.
    accepted: bool,
}

/// An audio source whose segments are decoded by a pool of threads.
pub struct Segmented {
    media: MediaInput,
    index: usize,
    format: &'static str,
    segment: usize,
    /// The queue the workers take segments from, as the segmented MP3
    /// encoder's do: whichever is free takes the next.
    jobs: mpsc::Sender<Job>,
    results: mpsc::Receiver<(u64, Result<Done>)>,
    arrived: BTreeMap<u64, Result<Done>>,
    sent: u64,
    handed: u64,
    /// Segments handed to the workers and not yet taken back, at most.
    max_in_flight: u64,
    primes: Vec<Packet>,
    input_ended: bool,
    ready: VecDeque<Samples>,
    /// Corrupt packets at the end of the segments handed out so far.
    corrupt_run: u32,
}

impl Segmented {
    /// Starts `workers` decoders for stream `index` of `media`, each opened
    /// from `parameters` and converting with a copy of `converter`; segments
    /// are `segment` packets long.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when a decoder cannot be set up; [`Error::Internal`]
    /// when a thread cannot be started.
    pub(super) fn start(
        media: MediaInput,
        parameters: &codec::Parameters,
        index: usize,
        converter: &FrameConverter,
        workers: usize,
        segment: usize,
    ) -> Result<Segmented> {
        let format = converter.format();
        let (report, results) = mpsc::channel();
        let (jobs, queue) = mpsc::channel();
        let queue = Arc::new(Mutex::new(queue));
        for _ in 0..workers {
            let decoder = codec::context::Context::from_parameters(parameters.clone())
                .and_then(|c| c.decoder().audio())
                .map_err(|e| decode_error(format, "cannot set up the decoder", e))?;
            let work = Arc::clone(&queue);
            let (report, converter) = (report.clone(), converter.fresh());
            std::thread::Builder::new()
                .name(format!("{format}-decode"))
                .spawn(move || decode_segments(decoder, converter, work, report))
                .map_err(|e| Error::Internal(format!("cannot start a decoding thread: {e}")))?;
        }
        Ok(Segmented {
            media,
            index,
            format,
            segment: segment.max(1),
            jobs,
            results,
            arrived: BTreeMap::new(),
            sent: 0,
            handed: 0,
            max_in_flight: (workers + 1) as u64,
            primes: Vec::new(),
            input_ended: false,
            ready: VecDeque::new(),
            corrupt_run: 0,
        })
    }

    /// Reads segments and hands them to the workers until enough are in flight.
    fn dispatch(&mut self) -> Result<()> {
        while !self.input_ended && self.sent - self.handed < self.max_in_flight {
            let mut packets = std::mem::take(&mut self.primes);
            let primes = packets.len();
            while packets.len() - primes < self.segment {
                let mut packet = Packet::empty();
                match packet.read(self.media.context()) {
                    Ok(()) if packet.stream() == self.index => packets.push(packet),
                    Ok(()) => {}
                    // The end of the file, or of what a truncated file holds.
                    Err(_) => {
                        self.input_ended = true;
                        break;
                    }
                }
            }
            self.primes = priming(&packets).to_vec();
            let job = Job { sequence: self.sent, packets, primes, last: self.input_ended };
            self.jobs.send(job).map_err(|_| Error::Internal(format!("a {} decoding thread stopped", self.format)))?;
            self.sent += 1;
        }
        Ok(())
    }

    /// Waits for the next segment in order.
    fn next_segment(&mut self) -> Result<Done> {
        loop {
            if let Some(done) = self.arrived.remove(&self.handed) {
                self.handed += 1;
                return done;
            }
            let (sequence, done) =
                self.results.recv().map_err(|_| Error::Internal(format!("a {} decoding thread stopped", self.format)))?;
            self.arrived.insert(sequence, done);
        }
    }

    /// Carries the run of corrupt packets across a segment's boundaries.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] past [`MAX_BAD_PACKETS`] in a row.
    fn count_corrupt(&mut self, corrupt: Corruption) -> Result<()> {
        let run = self.corrupt_run + corrupt.leading;
        if run > MAX_BAD_PACKETS {
            return Err(Error::invalid_input(self.format, "too many corrupt packets in a row"));
        }
        self.corrupt_run = if corrupt.accepted { corrupt.trailing } else { run };
        Ok(())
    }
}

impl AudioSource for Segmented {
    fn next_chunk(&mut self) -> Result<Option<Samples>> {
        loop {
            if let Some(chunk) = self.ready.pop_front() {
                return Ok(Some(chunk));
            }
            self.dispatch()?;
            if self.handed == self.sent {
                return Ok(None);
            }
            let done = self.next_segment()?;
            self.count_corrupt(done.corrupt)?;
            self.ready.extend(done.chunks);
        }
    }
}

/// The packets at the end of `packets` that prime the next segment's decoder.
fn priming(packets: &[Packet]) -> &[Packet] {
    let mut bytes = 0;
    let mut count = 0;
    for packet in packets.iter().rev().take(MAX_PRIME_PACKETS) {
        if count >= PRIME_PACKETS && bytes >= PRIME_BYTES {
            break;
        }
        bytes += packet.size();
        count += 1;
    }
    &packets[packets.len() - count..]
}

/// Counts a refused packet or frame of a segment.
fn refused(corrupt: &mut Corruption, run: &mut CorruptRun, format: &str) -> Result<()> {
    if corrupt.accepted {
        corrupt.trailing += 1;
    } else {
        corrupt.leading += 1;
    }
    run.corrupt(format)
}

/// Decoded frames gathered into chunks of at least [`READ_AHEAD_BATCH`] samples.
struct Chunks {
    full: Vec<Samples>,
    open: Samples,
    /// A batch and one more frame: no chunk grows by reallocating.
    capacity: usize,
}

impl Chunks {
    fn new(channels: u16) -> Self {
        // An MPEG audio frame holds at most 1,152 samples per channel.
        let capacity = READ_AHEAD_BATCH + 1152 * usize::from(channels);
        Chunks { full: Vec::new(), open: Samples::with_capacity(capacity), capacity }
    }

    /// The chunk the next frame is appended to.
    fn open(&mut self) -> &mut Samples {
        if self.open.len() >= READ_AHEAD_BATCH {
            let full = std::mem::replace(&mut self.open, Samples::with_capacity(self.capacity));
            self.full.push(full);
        }
        &mut self.open
    }

    fn close(mut self) -> Vec<Samples> {
        if !self.open.is_empty() {
            self.full.push(self.open);
        }
        self.full
    }
}

/// A worker: decodes the segments it is given until the queue closes.
fn decode_segments(mut decoder: decoder::Audio, mut converter: FrameConverter, work: Arc<Mutex<mpsc::Receiver<Job>>>, report: mpsc::Sender<(u64, Result<Done>)>) {
    let mut frame = frame::Audio::empty();
    loop {
        let job = match work.lock().map(|queue| queue.recv()) {
            Ok(Ok(job)) => job,
            _ => return,
        };
        let sequence = job.sequence;
        let done = decode_segment(&mut decoder, &mut converter, &mut frame, job);
        if report.send((sequence, done)).is_err() {
            return;
        }
    }
}

/// Decodes one segment from a flushed decoder; what the priming packets
/// give, and any error they meet (their own segment reports it), is dropped.
fn decode_segment(decoder: &mut decoder::Audio, converter: &mut FrameConverter, frame: &mut frame::Audio, job: Job) -> Result<Done> {
    let format = converter.format();
    decoder.flush();
    let mut chunks = Chunks::new(converter.channels());
    let mut corrupt = Corruption::default();
    let mut run = CorruptRun::default();
    for (position, packet) in job.packets.iter().enumerate() {
        let counted = position >= job.primes;
        match decoder.send_packet(packet) {
            Ok(()) if counted => {
                corrupt.accepted = true;
                corrupt.trailing = 0;
                run.good();
            }
            Err(FfmpegError::InvalidData) if counted => refused(&mut corrupt, &mut run, format)?,
            Err(e) if counted => return Err(decode_error(format, "cannot decode", e)),
            _ => {}
        }
        loop {
            match decoder.receive_frame(frame) {
                Ok(()) if counted => converter.append(frame, chunks.open())?,
                Ok(()) => {}
                Err(FfmpegError::Other { errno }) if errno == EAGAIN => break,
                Err(FfmpegError::Eof) => break,
                Err(FfmpegError::InvalidData) if counted => refused(&mut corrupt, &mut run, format)?,
                Err(_) if !counted => break,
                Err(e) => return Err(decode_error(format, "cannot decode", e)),
            }
        }
    }
    if job.last {
        let _ = decoder.send_eof();
        loop {
            match decoder.receive_frame(frame) {
                Ok(()) => converter.append(frame, chunks.open())?,
                Err(FfmpegError::InvalidData) => refused(&mut corrupt, &mut run, format)?,
                Err(_) => break,
            }
        }
    }
    Ok(Done { chunks: chunks.close(), corrupt })
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use fileconv_ffmpeg::MediaInput;

    use super::super::ffmpeg::decode_segmenting;

    /// Every sample's bits, as `(workers, packets per segment)` decode them
    /// (one decoder when `None`).
    fn sample_bits(file: &str, segmenting: Option<(usize, usize)>) -> Vec<u32> {
        let path = format!("{}/../../testdata/audio/{file}", env!("CARGO_MANIFEST_DIR"));
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let media = MediaInput::open(Box::new(Cursor::new(bytes)), Some("mp3"), "mp3").expect("opens");
        let mut audio = decode_segmenting(media, "mp3", segmenting).expect("decodes");
        let mut bits = Vec::new();
        while let Some(chunk) = audio.source.next_chunk().expect("a chunk") {
            bits.extend(chunk.iter().map(|s| s.to_bits()));
        }
        bits
    }

    #[test]
    fn segments_decode_to_the_samples_of_one_decoder() {
        for file in ["tone.mp3", "noise8k.mp3", "noise-vbr.mp3"] {
            let whole = sample_bits(file, None);
            assert!(whole.len() > 10_000, "{file}: {} samples", whole.len());
            for (workers, packets) in [(2, 1), (2, 3), (3, 7), (4, super::SEGMENT_PACKETS)] {
                let segmented = sample_bits(file, Some((workers, packets)));
                assert_eq!(segmented.len(), whole.len(), "{file}, {workers} workers, segments of {packets}");
                let first = segmented.iter().zip(&whole).position(|(a, b)| a != b);
                assert_eq!(first, None, "{file}, {workers} workers, segments of {packets}: first differing sample");
            }
        }
    }
}
