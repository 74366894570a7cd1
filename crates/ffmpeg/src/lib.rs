//! The one place fileconv talks to FFmpeg's libraries (Debian's FFmpeg 5.1,
//! through `ffmpeg-next`): initialisation, log capture, error mapping, and
//! demuxers and muxers over Rust readers and writers (custom AVIO), so that
//! audio and video plugins never touch FFmpeg's C I/O or its global log.

use std::cell::RefCell;
use std::ffi::{CStr, CString};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::raw::{c_char, c_int, c_void};
use std::ptr;
use std::sync::Once;

pub use ffmpeg_next as ffmpeg;
pub use ffmpeg_sys_next as ffmpeg_sys;
use ffmpeg_next::format::context::{Input, Output};
use ffmpeg_sys_next as sys;
use fileconv_core::{Error, Media, ReadSeek, Spool};

pub mod filters;
pub mod samples;

/// FFmpeg's "try again" errno, returned when a codec wants more input.
pub const EAGAIN: i32 = sys::EAGAIN;
/// The errno FFmpeg returns for an invalid argument (a setting a codec refuses).
pub const EINVAL: i32 = sys::EINVAL;

const IO_BUFFER: usize = 64 << 10;

/// Initialises FFmpeg once: registers codecs and routes its log into a
/// per-thread buffer (see [`error`]) instead of stderr. With
/// `FILECONV_FFMPEG_LOG=debug` in the environment, FFmpeg logs verbosely to
/// stderr instead, for debugging.
pub fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let _ = ffmpeg_next::init();
        // SAFETY: the callback only formats into a thread-local buffer.
        unsafe {
            if std::env::var_os("FILECONV_FFMPEG_LOG").is_some_and(|v| v == "debug") {
                sys::av_log_set_level(sys::AV_LOG_DEBUG);
            } else {
                sys::av_log_set_level(sys::AV_LOG_WARNING);
                sys::av_log_set_callback(Some(capture_log));
            }
        }
    });
}

thread_local! {
    static LOG: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

const LOG_LINES: usize = 8;

unsafe extern "C" fn capture_log(avcl: *mut c_void, level: c_int, fmt: *const c_char, vl: *mut sys::__va_list_tag) {
    if level > sys::av_log_get_level() {
        return;
    }
    let mut line = [0 as c_char; 512];
    let mut prefix: c_int = 1;
    sys::av_log_format_line2(avcl, level, fmt, vl, line.as_mut_ptr(), line.len() as c_int, &mut prefix);
    let text = user_facing_log_line(&CStr::from_ptr(line.as_ptr()).to_string_lossy());
    if text.is_empty() {
        return;
    }
    let _ = LOG.try_with(|log| {
        if let Ok(mut log) = log.try_borrow_mut() {
            if log.len() == LOG_LINES {
                log.remove(0);
            }
            log.push(text);
        }
    });
}

/// An FFmpeg log line as a user may read it: without the `[muxer @ 0x...]`
/// prefix (a heap address), other heap addresses, line breaks, and with
/// option-parsing failures (which name FFmpeg's internal options) said in
/// plain words.
pub fn user_facing_log_line(line: &str) -> String {
    let mut text = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(open) = rest.find('[') {
        match rest[open..].find(']') {
            Some(close) if rest[open..open + close].contains(" @ 0x") => {
                text.push_str(&rest[..open]);
                rest = &rest[open + close + 1..];
            }
            _ => {
                text.push_str(&rest[..=open]);
                rest = &rest[open + 1..];
            }
        }
    }
    text.push_str(rest);
    let words: Vec<String> = text
        .split_whitespace()
        .map(|word| {
            let hex = word.trim_matches(|c: char| !c.is_ascii_alphanumeric());
            if hex.len() >= 8 && hex.starts_with("0x") && hex[2..].bytes().all(|b| b.is_ascii_hexdigit()) { word.replace(hex, "(address)") } else { word.to_string() }
        })
        .collect();
    let text = words.join(" ");
    if text.starts_with("Unable to parse option value") || text.starts_with("Error setting option") || text.starts_with("Option ") && text.contains("not found") {
        return "the converter could not apply its settings to this stream".to_string();
    }
    text
}

/// Empties this thread's captured FFmpeg log and returns its last lines.
pub fn take_log() -> Vec<String> {
    LOG.with(|log| std::mem::take(&mut *log.borrow_mut()))
}

/// Maps an encoder or muxer error to fileconv's: what the writer of `format`
/// refuses becomes [`Error::CannotKeep`], the rest [`Error::Backend`]; FFmpeg's last log
/// lines on this thread are appended, since its error codes say little.
pub fn error(format: &str, doing: &str, err: ffmpeg_next::Error) -> Error {
    let message = describe(doing, err);
    match err {
        // What the encoder or muxer of `format` refuses is this input's
        // content in that format: said of the output, not blamed on the input.
        ffmpeg_next::Error::InvalidData
        | ffmpeg_next::Error::Eof
        | ffmpeg_next::Error::StreamNotFound
        | ffmpeg_next::Error::DecoderNotFound
        | ffmpeg_next::Error::DemuxerNotFound
        | ffmpeg_next::Error::Other { errno: sys::EINVAL } => Error::cannot_keep(format, message),
        _ => Error::backend(format, message),
    }
}

/// `doing: FFmpeg's error (its last log lines on this thread)`.
fn describe(doing: &str, err: ffmpeg_next::Error) -> String {
    let log = take_log();
    if log.is_empty() { format!("{doing}: {err}") } else { format!("{doing}: {err} ({})", log.join("; ")) }
}

/// Maps an error met while demuxing or decoding to [`Error::InvalidInput`]:
/// whatever FFmpeg says (bad data, "not implemented", I/O errors on a
/// truncated stream, even ENOMEM, which its ASF demuxer returns when a
/// declared extradata size is not in the file), the cause is the input.
pub fn decode_error(format: &str, doing: &str, err: ffmpeg_next::Error) -> Error {
    Error::invalid_input(format, describe(doing, err))
}

/// A demuxer reading from an owned Rust stream.
pub struct MediaInput {
    // Declared first: dropped (closed) before the I/O context it reads through.
    context: Option<Input>,
    io: *mut sys::AVIOContext,
    _reader: Box<Box<dyn ReadSeek>>,
}

// SAFETY: the context, its AVIO and the reader are owned together and only
// used through `&mut self`; FFmpeg contexts may move between threads.
unsafe impl Send for MediaInput {}

impl MediaInput {
    /// Opens `reader` as a file of FFmpeg's demuxer `demuxer` (`"mp3"`,
    /// `"ogg"`, `"asf"`...), or probes the format when `None`, and reads the
    /// stream information.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when FFmpeg cannot read it as that format.
    pub fn open(reader: Box<dyn ReadSeek>, demuxer: Option<&str>, format: &str) -> Result<Self, Error> {
        init();
        take_log();
        let mut reader = Box::new(reader);
        // SAFETY: FFmpeg's documented custom-I/O sequence. The buffer belongs
        // to the AVIO context (freed in Drop, as FFmpeg may have replaced it);
        // `opaque` points at the boxed reader, which outlives the context.
        unsafe {
            let buffer = sys::av_malloc(IO_BUFFER) as *mut u8;
            if buffer.is_null() {
                return Err(Error::backend(format, "out of memory for the I/O buffer"));
            }
            let opaque = (&mut *reader) as *mut Box<dyn ReadSeek> as *mut c_void;
            let io = sys::avio_alloc_context(buffer, IO_BUFFER as c_int, 0, opaque, Some(read_packet), None, Some(seek_input));
            if io.is_null() {
                sys::av_free(buffer as *mut c_void);
                return Err(Error::backend(format, "cannot allocate an I/O context"));
            }
            let mut this = MediaInput { context: None, io, _reader: reader };
            let mut ctx = sys::avformat_alloc_context();
            if ctx.is_null() {
                return Err(Error::backend(format, "cannot allocate a format context"));
            }
            (*ctx).pb = io;
            (*ctx).flags |= sys::AVFMT_FLAG_CUSTOM_IO as c_int;
            let input_format = match demuxer {
                Some(name) => {
                    let name = CString::new(name).map_err(|_| Error::Internal("demuxer name".into()))?;
                    let found = sys::av_find_input_format(name.as_ptr());
                    if found.is_null() {
                        sys::avformat_free_context(ctx);
                        return Err(Error::backend(format, "FFmpeg was built without this demuxer"));
                    }
                    found
                }
                None => ptr::null(),
            };
            let status = sys::avformat_open_input(&mut ctx, ptr::null(), input_format as _, ptr::null_mut());
            if status < 0 {
                // avformat_open_input frees the context on failure.
                return Err(decode_error(format, "cannot open", ffmpeg_next::Error::from(status)));
            }
            this.context = Some(Input::wrap(ctx));
            let status = sys::avformat_find_stream_info(ctx, ptr::null_mut());
            if status < 0 {
                return Err(decode_error(format, "cannot read stream information", ffmpeg_next::Error::from(status)));
            }
            Ok(this)
        }
    }

    pub fn context(&mut self) -> &mut Input {
        self.context.as_mut().expect("open until dropped")
    }

    /// The demuxer inside a [`Media`] value (which FFmpeg plugins fill with one).
    ///
    /// # Errors
    /// [`Error::Internal`] when another backend opened it.
    pub fn from_media(media: Media) -> Result<Self, Error> {
        media.demuxer.downcast::<MediaInput>().map(|d| *d).map_err(|_| Error::Internal("a media value not opened by FFmpeg".into()))
    }
}

impl Drop for MediaInput {
    fn drop(&mut self) {
        self.context = None;
        // SAFETY: the format context is closed; the AVIO context and its
        // (possibly reallocated) buffer are ours to free.
        unsafe {
            if !self.io.is_null() {
                sys::av_freep(&mut (*self.io).buffer as *mut *mut u8 as *mut c_void);
                sys::avio_context_free(&mut self.io);
            }
        }
    }
}

unsafe extern "C" fn read_packet(opaque: *mut c_void, buf: *mut u8, size: c_int) -> c_int {
    let reader = &mut *(opaque as *mut Box<dyn ReadSeek>);
    let out = std::slice::from_raw_parts_mut(buf, size.max(0) as usize);
    loop {
        match reader.read(out) {
            Ok(0) => return sys::AVERROR_EOF,
            Ok(n) => return n as c_int,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return sys::AVERROR(sys::EIO),
        }
    }
}

unsafe extern "C" fn seek_input(opaque: *mut c_void, offset: i64, whence: c_int) -> i64 {
    seek_any(&mut **(opaque as *mut Box<dyn ReadSeek>), offset, whence)
}

/// Implements AVIO's seek over a Rust stream, including `AVSEEK_SIZE`.
fn seek_any<S: Seek + ?Sized>(stream: &mut S, offset: i64, whence: c_int) -> i64 {
    let result = if whence & sys::AVSEEK_SIZE as c_int != 0 {
        (|| {
            let here = stream.stream_position()?;
            let end = stream.seek(SeekFrom::End(0))?;
            stream.seek(SeekFrom::Start(here))?;
            Ok(end)
        })()
    } else {
        let pos = match whence & !(sys::AVSEEK_FORCE as c_int) {
            0 => SeekFrom::Start(offset.max(0) as u64),
            1 => SeekFrom::Current(offset),
            2 => SeekFrom::End(offset),
            _ => return i64::from(sys::AVERROR(sys::EINVAL)),
        };
        stream.seek(pos)
    };
    match result {
        Ok(p) => p as i64,
        Err(_) => i64::from(sys::AVERROR(sys::EIO)),
    }
}

/// A muxer writing into a [`Spool`], so muxers that seek back to patch
/// headers (mp4, wav, flac) work while the engine's sink is a plain writer.
pub struct MediaOutput {
    context: Option<Output>,
    io: *mut sys::AVIOContext,
    spool: Box<Spool>,
    format: &'static str,
    /// The last decoding timestamp written, by stream index.
    last_dts: Vec<i64>,
    /// Packets whose decoding timestamp came after their presentation one.
    repaired_timestamps: u64,
}

// SAFETY: as for MediaInput.
unsafe impl Send for MediaOutput {}

impl MediaOutput {
    /// A muxer of FFmpeg's format `muxer` (`"mp3"`, `"ipod"`, `"adts"`...)
    /// writing into `spool` (the encoder's [`fileconv_core::Context::output_spool`],
    /// whose limit the file may not pass).
    ///
    /// # Errors
    /// [`Error::Backend`] when FFmpeg lacks the muxer.
    pub fn new(muxer: &str, format: &'static str, spool: Spool) -> Result<Self, Error> {
        init();
        take_log();
        let mut spool = Box::new(spool);
        // SAFETY: as in MediaInput::open; `opaque` points at the boxed spool.
        unsafe {
            let buffer = sys::av_malloc(IO_BUFFER) as *mut u8;
            if buffer.is_null() {
                return Err(Error::backend(format, "out of memory for the I/O buffer"));
            }
            let opaque = (&mut *spool) as *mut Spool as *mut c_void;
            let io = sys::avio_alloc_context(buffer, IO_BUFFER as c_int, 1, opaque, None, Some(write_packet), Some(seek_output));
            if io.is_null() {
                sys::av_free(buffer as *mut c_void);
                return Err(Error::backend(format, "cannot allocate an I/O context"));
            }
            let mut this = MediaOutput { context: None, io, spool, format, last_dts: Vec::new(), repaired_timestamps: 0 };
            let name = CString::new(muxer).map_err(|_| Error::Internal("muxer name".into()))?;
            let mut ctx = ptr::null_mut();
            let status = sys::avformat_alloc_output_context2(&mut ctx, ptr::null(), name.as_ptr(), ptr::null());
            if status < 0 || ctx.is_null() {
                return Err(error(format, "no such muxer", ffmpeg_next::Error::from(status)));
            }
            (*ctx).pb = io;
            (*ctx).flags |= sys::AVFMT_FLAG_CUSTOM_IO as c_int;
            // No flush point after each packet: with a custom AVIO context
            // (no minimum packet size) every one empties the buffer, one
            // write of a packet's size each (1,542 writes in a 20 s remux
            // instead of 170 of 64 KB).
            (*ctx).flush_packets = 0;
            this.context = Some(Output::wrap(ctx));
            Ok(this)
        }
    }

    pub fn context(&mut self) -> &mut Output {
        self.context.as_mut().expect("open until finished")
    }

    /// Writes a packet through the interleaving queue. Unlike ffmpeg-next's
    /// `write_interleaved`, a packet with no payload but side data (FLAC's
    /// final STREAMINFO update) is passed on, not refused.
    ///
    /// A packet decoded after it is shown (a source muxed with broken
    /// timestamps, which muxers refuse) gets both timestamps set to the
    /// median of the two and the stream's last one plus one, as the
    /// `ffmpeg` tool does; [`MediaOutput::repaired_timestamps`] counts them.
    ///
    /// # Errors
    /// [`Error::Backend`] when the muxer refuses it.
    pub fn write(&mut self, packet: &mut ffmpeg_next::Packet) -> Result<(), Error> {
        if let (Some(pts), Some(dts)) = (packet.pts(), packet.dts()) {
            let stream = packet.stream();
            if self.last_dts.len() <= stream {
                self.last_dts.resize(stream + 1, i64::MIN);
            }
            let last = self.last_dts[stream];
            if dts > pts {
                let next = last.saturating_add(1);
                let median = pts.min(dts).max(pts.max(dts).min(next));
                packet.set_pts(Some(median));
                packet.set_dts(Some(median));
                self.repaired_timestamps += 1;
            }
            self.last_dts[stream] = packet.dts().unwrap_or(dts);
        }
        // SAFETY: a valid packet and our open output context.
        let status = unsafe { sys::av_interleaved_write_frame(self.context().as_mut_ptr(), ffmpeg_next::packet::Mut::as_mut_ptr(packet)) };
        if status < 0 {
            return Err(self.failure("cannot write a packet", status));
        }
        Ok(())
    }

    /// How many packets [`MediaOutput::write`] gave new timestamps.
    pub fn repaired_timestamps(&self) -> u64 {
        self.repaired_timestamps
    }

    /// The error for a failed write: the output limit when the spool refused it.
    fn failure(&self, doing: &str, status: i32) -> Error {
        if self.spool.exceeded() {
            take_log();
            return Error::LimitExceeded { what: "output size (bytes)", limit: self.spool.limit(), actual: None };
        }
        error(self.format, doing, ffmpeg_next::Error::from(status))
    }

    /// Writes the trailer and copies the finished file into `sink` (nothing
    /// to copy when the spool is the destination file).
    ///
    /// # Errors
    /// [`Error::Backend`] when the muxer fails, [`Error::Io`] when the sink does.
    pub fn finish(mut self, sink: &mut dyn Write) -> Result<u64, Error> {
        // SAFETY: our open output context.
        let status = unsafe { sys::av_write_trailer(self.context().as_mut_ptr()) };
        if status < 0 {
            return Err(self.failure("cannot finish the file", status));
        }
        // SAFETY: flushing our own AVIO context.
        unsafe { sys::avio_flush(self.io) };
        self.close();
        let spool = std::mem::take(&mut *self.spool);
        Ok(spool.copy_to(sink)?)
    }

    fn close(&mut self) {
        if let Some(mut ctx) = self.context.take() {
            // SAFETY: detach our AVIO so ffmpeg-next's destructor does not
            // avio_close() a context it did not open.
            unsafe { (*ctx.as_mut_ptr()).pb = ptr::null_mut() };
        }
        // SAFETY: ours to free, once (nulled by avio_context_free).
        unsafe {
            if !self.io.is_null() {
                sys::av_freep(&mut (*self.io).buffer as *mut *mut u8 as *mut c_void);
                sys::avio_context_free(&mut self.io);
            }
        }
    }
}

impl Drop for MediaOutput {
    fn drop(&mut self) {
        self.close();
    }
}

unsafe extern "C" fn write_packet(opaque: *mut c_void, buf: *mut u8, size: c_int) -> c_int {
    let spool = &mut *(opaque as *mut Spool);
    let data = std::slice::from_raw_parts(buf, size.max(0) as usize);
    match spool.write_all(data) {
        Ok(()) => size,
        Err(_) => sys::AVERROR(sys::EIO),
    }
}

unsafe extern "C" fn seek_output(opaque: *mut c_void, offset: i64, whence: c_int) -> i64 {
    seek_any(&mut *(opaque as *mut Spool), offset, whence)
}

/// The entries of an FFmpeg dictionary, decoded as UTF-8 with replacement.
/// (ffmpeg-next's own iterator assumes valid UTF-8, which tags read from a
/// file need not be: undefined behaviour, found by `fuzz/decode_audio`.)
///
/// # Safety
/// `dict` must be null or a valid `AVDictionary`.
pub unsafe fn dict_entries(dict: *const sys::AVDictionary) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut entry: *mut sys::AVDictionaryEntry = ptr::null_mut();
    loop {
        entry = sys::av_dict_get(dict, c"".as_ptr(), entry, sys::AV_DICT_IGNORE_SUFFIX as c_int);
        if entry.is_null() {
            return out;
        }
        let key = CStr::from_ptr((*entry).key).to_string_lossy().into_owned();
        let value = CStr::from_ptr((*entry).value).to_string_lossy().into_owned();
        out.push((key, value));
    }
}

/// The chapters of an open input, in seconds; titles decoded as UTF-8 with
/// replacement, as [`dict_entries`] reads them.
pub fn chapters(input: &ffmpeg_next::format::context::Input) -> Vec<fileconv_core::Chapter> {
    input
        .chapters()
        .map(|chapter| {
            let base = chapter.time_base();
            let seconds = |t: i64| t as f64 * f64::from(base.numerator()) / f64::from(base.denominator().max(1));
            // SAFETY: the chapter's own metadata dictionary.
            let tags = unsafe { dict_entries((*chapter.as_ptr()).metadata) };
            let title = tags.into_iter().find(|(key, _)| key.eq_ignore_ascii_case("title")).map(|(_, value)| value).unwrap_or_default();
            fileconv_core::Chapter { start: seconds(chapter.start()), end: seconds(chapter.end()), title }
        })
        .collect()
}

/// Adds `chapters` (times in seconds) to an output whose header is not written yet.
///
/// # Errors
/// FFmpeg's, when it cannot add one.
pub fn add_chapters(output: &mut ffmpeg_next::format::context::Output, chapters: &[fileconv_core::Chapter]) -> Result<(), ffmpeg_next::Error> {
    for (index, chapter) in chapters.iter().enumerate() {
        let ms = |seconds: f64| (seconds * 1000.0).round() as i64;
        output.add_chapter(index as i64 + 1, ffmpeg_next::Rational::new(1, 1000), ms(chapter.start), ms(chapter.end), &chapter.title)?;
    }
    Ok(())
}

/// Sets a key in an FFmpeg dictionary pointer (metadata of a context or stream).
///
/// # Safety
/// `dict` must point at a valid, possibly null, `AVDictionary*` owned by FFmpeg.
pub unsafe fn dict_set(dict: *mut *mut sys::AVDictionary, key: &str, value: &str) {
    if let (Ok(k), Ok(v)) = (CString::new(key), CString::new(value)) {
        sys::av_dict_set(dict, k.as_ptr(), v.as_ptr(), 0);
    }
}

#[cfg(test)]
mod log_tests {
    use super::user_facing_log_line;

    #[test]
    fn log_lines_lose_addresses_and_internal_names() {
        assert_eq!(user_facing_log_line("[mp3 @ 0x55d5c3a0b2c0] Header missing\n"), "Header missing");
        assert_eq!(user_facing_log_line("bad frame at 0x7ffde1234567 [keep]"), "bad frame at (address) [keep]");
        assert_eq!(user_facing_log_line("[graph 0 @ 0x1234abcd] Unable to parse option value \"-1\" as pixel format"), "the converter could not apply its settings to this stream");
    }
}
