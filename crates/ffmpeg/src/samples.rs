//! Sample conversion (libswresample) and a sample FIFO (AVAudioFifo): the
//! PCM plumbing between fileconv's interleaved `f32` chunks and FFmpeg codecs.

use std::os::raw::{c_int, c_void};
use std::ptr;

use ffmpeg_next::format::Sample;
use ffmpeg_next::frame;
use ffmpeg_sys_next as sys;
use fileconv_core::{Error, Samples};

/// The default channel layout mask for `channels` channels.
pub fn default_layout(channels: u16) -> u64 {
    // SAFETY: a pure lookup.
    let mask = unsafe { sys::av_get_default_channel_layout(c_int::from(channels)) };
    if mask > 0 { mask as u64 } else { (1u64 << channels.min(63)) - 1 }
}

/// One side of a conversion: sample format, channel count, rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PcmFormat {
    pub sample: Sample,
    pub channels: u16,
    pub rate: u32,
}

impl PcmFormat {
    /// fileconv's own chunk format: interleaved `f32`.
    pub fn interleaved_f32(channels: u16, rate: u32) -> Self {
        PcmFormat { sample: Sample::F32(ffmpeg_next::format::sample::Type::Packed), channels, rate }
    }

    fn planes(&self) -> usize {
        if self.sample.is_planar() { usize::from(self.channels) } else { 1 }
    }

    fn plane_bytes(&self, frames: usize) -> usize {
        let per_frame = if self.sample.is_planar() { 1 } else { usize::from(self.channels) };
        frames * per_frame * self.sample.bytes()
    }
}

/// Converts sample format, channel count (down- or up-mix with FFmpeg's
/// default matrices) and rate (band-limited resampling, not dropping samples).
pub struct Converter {
    ctx: *mut sys::SwrContext,
    from: PcmFormat,
    to: PcmFormat,
}

// SAFETY: the context is owned and used through `&mut self` only.
unsafe impl Send for Converter {}

impl Converter {
    /// # Errors
    /// [`Error::InvalidInput`] for a rate or channel count FFmpeg refuses.
    pub fn new(from: PcmFormat, to: PcmFormat, format: &str) -> Result<Self, Error> {
        crate::init();
        if from.rate == 0 || to.rate == 0 || from.channels == 0 || to.channels == 0 {
            return Err(Error::invalid_input(format, "zero sample rate or channel count"));
        }
        // SAFETY: libswresample's documented allocation and set-up.
        unsafe {
            let ctx = sys::swr_alloc_set_opts(
                ptr::null_mut(),
                default_layout(to.channels) as i64,
                to.sample.into(),
                to.rate as c_int,
                default_layout(from.channels) as i64,
                from.sample.into(),
                from.rate as c_int,
                0,
                ptr::null_mut(),
            );
            if ctx.is_null() {
                return Err(Error::backend(format, "cannot allocate a resampler"));
            }
            let this = Converter { ctx, from, to };
            let status = sys::swr_init(this.ctx);
            if status < 0 {
                return Err(crate::error(format, "cannot set up the resampler", ffmpeg_next::Error::from(status)));
            }
            Ok(this)
        }
    }

    pub fn input(&self) -> PcmFormat {
        self.from
    }

    pub fn output(&self) -> PcmFormat {
        self.to
    }

    /// Converts `frames` input frames given as plane pointers (null for a
    /// flush), returning the output planes and how many frames they hold.
    ///
    /// # Safety
    /// `planes` must hold `self.from.planes()` pointers, each valid for `frames` frames.
    unsafe fn run(&mut self, planes: *mut *const u8, frames: usize) -> Result<(Vec<Vec<u8>>, usize), Error> {
        let capacity = sys::swr_get_out_samples(self.ctx, frames as c_int).max(0) as usize + 32;
        let mut out: Vec<Vec<u8>> = (0..self.to.planes()).map(|_| vec![0u8; self.to.plane_bytes(capacity)]).collect();
        let mut pointers: Vec<*mut u8> = out.iter_mut().map(|p| p.as_mut_ptr()).collect();
        let n = sys::swr_convert(self.ctx, pointers.as_mut_ptr(), capacity as c_int, planes, frames as c_int);
        if n < 0 {
            return Err(crate::error("pcm", "resampling failed", ffmpeg_next::Error::from(n)));
        }
        let n = n as usize;
        for plane in &mut out {
            plane.truncate(self.to.plane_bytes(n));
        }
        Ok((out, n))
    }

    /// Converts interleaved `f32` input (the converter's input must be that).
    ///
    /// # Errors
    /// [`Error::Backend`] when libswresample fails.
    pub fn convert_interleaved(&mut self, samples: &[f32]) -> Result<(Vec<Vec<u8>>, usize), Error> {
        debug_assert_eq!(self.from.sample, PcmFormat::interleaved_f32(1, 1).sample);
        let frames = samples.len() / usize::from(self.from.channels);
        let mut plane = samples.as_ptr() as *const u8;
        // SAFETY: one packed plane of `frames` frames.
        unsafe { self.run(&mut plane, frames) }
    }

    /// Converts a decoded FFmpeg frame (whose format must match the input side).
    ///
    /// # Errors
    /// [`Error::Backend`] when libswresample fails.
    pub fn convert_frame(&mut self, frame: &frame::Audio) -> Result<(Vec<Vec<u8>>, usize), Error> {
        // SAFETY: the frame's extended_data holds one pointer per plane, each
        // valid for nb_samples frames.
        unsafe {
            let raw = frame.as_ptr();
            self.run((*raw).extended_data as *mut *const u8, (*raw).nb_samples.max(0) as usize)
        }
    }

    /// Drains what the resampler still holds.
    ///
    /// # Errors
    /// [`Error::Backend`] when libswresample fails.
    pub fn flush(&mut self) -> Result<(Vec<Vec<u8>>, usize), Error> {
        // SAFETY: a null input asks for the buffered tail.
        unsafe { self.run(ptr::null_mut(), 0) }
    }
}

impl Drop for Converter {
    fn drop(&mut self) {
        if !self.ctx.is_null() {
            // SAFETY: allocated by swr_alloc_set_opts, freed once.
            unsafe { sys::swr_free(&mut self.ctx) };
        }
    }
}

/// Appends a decoded frame to `out` as interleaved `f32` in one pass, for
/// the sample formats decoders give (`f32`, `s16`, `s32`, packed or planar),
/// with the values libswresample gives for the same conversion (`s16` times
/// 2^-15, `s32` times 2^-31). Returns `false`, appending nothing, for other
/// formats, which go through a [`Converter`].
pub fn append_interleaved_f32(frame: &frame::Audio, out: &mut Samples) -> bool {
    let channels = usize::from(frame.channels());
    let frames = frame.samples();
    let planar = frame.format().is_planar();
    let scale: f32 = match frame.format() {
        Sample::F32(_) => 1.0,
        Sample::I16(_) => 1.0 / 32_768.0,
        Sample::I32(_) => 1.0 / 2_147_483_648.0,
        _ => return false,
    };
    if channels == 0 || frames == 0 {
        return true;
    }
    let values = frames * channels;
    // SAFETY: a decoded frame holds one plane pointer per channel (planar)
    // or one interleaved plane, each valid for `frames` samples of its format.
    unsafe {
        let planes = (*frame.as_ptr()).extended_data;
        let plane = |i: usize| *planes.add(i);
        match (frame.format(), planar, channels) {
            // The common case (MP3, AAC, Vorbis, Opus): two planes of f32,
            // written into the spare room (not zeroed first).
            (Sample::F32(_), true, 2) => {
                let left = std::slice::from_raw_parts(plane(0) as *const f32, frames);
                let right = std::slice::from_raw_parts(plane(1) as *const f32, frames);
                out.reserve(values);
                let start = out.len();
                let room = &mut out.spare_capacity_mut()[..values];
                for ((pair, &l), &r) in room.as_chunks_mut::<2>().0.iter_mut().zip(left).zip(right) {
                    *pair = [std::mem::MaybeUninit::new(l), std::mem::MaybeUninit::new(r)];
                }
                // The loop wrote all `values` (`frames` pairs).
                out.set_len(start + values);
            }
            (Sample::F32(_), false, _) => out.extend_from_slice(std::slice::from_raw_parts(plane(0) as *const f32, values)),
            (format, _, _) => {
                let start = out.len();
                out.resize(start + values, 0.0);
                let out = &mut out[start..];
                let (count, step) = if planar { (channels, channels) } else { (1, 1) };
                let per_plane = if planar { frames } else { values };
                for p in 0..count {
                    let targets = out[p..].iter_mut().step_by(step).take(per_plane);
                    let data = plane(p);
                    match format {
                        Sample::F32(_) => targets.zip(std::slice::from_raw_parts(data as *const f32, per_plane)).for_each(|(t, &s)| *t = s),
                        Sample::I16(_) => targets.zip(std::slice::from_raw_parts(data as *const i16, per_plane)).for_each(|(t, &s)| *t = f32::from(s) * scale),
                        _ => targets.zip(std::slice::from_raw_parts(data as *const i32, per_plane)).for_each(|(t, &s)| *t = s as f32 * scale),
                    }
                }
            }
        }
    }
    true
}

/// Interleaved `f32` bytes (one packed plane) as samples.
pub fn f32_samples(planes: &[Vec<u8>]) -> Samples {
    let Some(plane) = planes.first() else { return Samples::new() };
    let mut samples = vec![0f32; plane.len() / 4];
    for (sample, bytes) in samples.iter_mut().zip(plane.chunks_exact(4)) {
        *sample = f32::from_ne_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    }
    samples
}

/// A FIFO of samples in a codec's format, handing out whole codec frames.
pub struct SampleFifo {
    fifo: *mut sys::AVAudioFifo,
    format: PcmFormat,
}

// SAFETY: owned, used through `&mut self` only.
unsafe impl Send for SampleFifo {}

impl SampleFifo {
    /// # Errors
    /// [`Error::Backend`] when FFmpeg cannot allocate it.
    pub fn new(format: PcmFormat) -> Result<Self, Error> {
        // SAFETY: plain allocation.
        let fifo = unsafe { sys::av_audio_fifo_alloc(format.sample.into(), c_int::from(format.channels), 4096) };
        if fifo.is_null() {
            return Err(Error::backend("pcm", "cannot allocate a sample FIFO"));
        }
        Ok(SampleFifo { fifo, format })
    }

    pub fn len(&self) -> usize {
        // SAFETY: valid fifo.
        unsafe { sys::av_audio_fifo_size(self.fifo).max(0) as usize }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends `frames` frames given as planes in the FIFO's format.
    ///
    /// # Errors
    /// [`Error::Backend`] when FFmpeg cannot grow it.
    pub fn push(&mut self, planes: &mut [Vec<u8>], frames: usize) -> Result<(), Error> {
        if frames == 0 {
            return Ok(());
        }
        let mut pointers: Vec<*mut c_void> = planes.iter_mut().map(|p| p.as_mut_ptr() as *mut c_void).collect();
        // SAFETY: one pointer per plane, each holding `frames` frames.
        let n = unsafe { sys::av_audio_fifo_write(self.fifo, pointers.as_mut_ptr(), frames as c_int) };
        if n < frames as c_int {
            return Err(Error::backend("pcm", "cannot grow the sample FIFO"));
        }
        Ok(())
    }

    /// Takes up to `frames` frames into a new FFmpeg frame.
    pub fn pop(&mut self, frames: usize) -> frame::Audio {
        let frames = frames.min(self.len());
        let layout = ffmpeg_next::ChannelLayout::from_bits_truncate(default_layout(self.format.channels));
        let mut out = frame::Audio::new(self.format.sample, frames, layout);
        out.set_rate(self.format.rate);
        // SAFETY: `out` was allocated for `frames` frames in the FIFO's format.
        unsafe {
            let raw = out.as_mut_ptr();
            (*raw).channels = c_int::from(self.format.channels);
            sys::av_audio_fifo_read(self.fifo, (*raw).extended_data as *mut *mut c_void, frames as c_int);
        }
        out
    }
}

impl Drop for SampleFifo {
    fn drop(&mut self) {
        // SAFETY: allocated in `new`, freed once.
        unsafe { sys::av_audio_fifo_free(self.fifo) };
    }
}
