//! FFmpeg's filter graphs (libavfilter), loaded the first time a conversion
//! builds one.
//!
//! Linking libavfilter would load it, and the 30 libraries only it needs
//! (rubberband, vidstab, zimg, Vulkan, OpenCL...), at every start of every
//! program that holds FFmpeg: 15 of the 67 ms `fileconv-full --version`
//! took, for the remuxes and audio conversions that never filter anything.
//! Only re-encoded video and audio lanes use a graph.
//!
//! A [`FilterGraph`] is a chain from one source (`buffer` or `abuffer`)
//! through a filter description to one sink (`buffersink` or
//! `abuffersink`), the only shape fileconv builds.

use std::ffi::{c_char, c_int, c_void, CString};
use std::ptr;
use std::sync::OnceLock;

use ffmpeg_next::{frame, Error as FfmpegError};
use ffmpeg_sys_next as sys;
use fileconv_core::{Error, Result};

#[repr(C)]
struct AVFilterGraph {
    _opaque: [u8; 0],
}

#[repr(C)]
struct AVFilter {
    _opaque: [u8; 0],
}

/// A filter instance in a graph; only its address is used here.
#[repr(C)]
pub struct AVFilterContext {
    _opaque: [u8; 0],
}

/// `AVFilterInOut` as `libavfilter/avfilter.h` declares it (unchanged since FFmpeg 1.0).
#[repr(C)]
struct AVFilterInOut {
    name: *mut c_char,
    filter_ctx: *mut AVFilterContext,
    pad_idx: c_int,
    next: *mut AVFilterInOut,
}

/// libavfilter's functions, each with the type of its prototype in
/// `avfilter.h`, `buffersrc.h` or `buffersink.h`.
#[allow(non_snake_case)]
struct LibAvfilter {
    avfilter_graph_alloc: unsafe extern "C" fn() -> *mut AVFilterGraph,
    avfilter_graph_free: unsafe extern "C" fn(*mut *mut AVFilterGraph),
    avfilter_get_by_name: unsafe extern "C" fn(*const c_char) -> *const AVFilter,
    avfilter_graph_create_filter: unsafe extern "C" fn(
        *mut *mut AVFilterContext,
        *const AVFilter,
        *const c_char,
        *const c_char,
        *mut c_void,
        *mut AVFilterGraph,
    ) -> c_int,
    avfilter_inout_alloc: unsafe extern "C" fn() -> *mut AVFilterInOut,
    avfilter_inout_free: unsafe extern "C" fn(*mut *mut AVFilterInOut),
    avfilter_graph_parse_ptr: unsafe extern "C" fn(
        *mut AVFilterGraph,
        *const c_char,
        *mut *mut AVFilterInOut,
        *mut *mut AVFilterInOut,
        *mut c_void,
    ) -> c_int,
    avfilter_graph_config: unsafe extern "C" fn(*mut AVFilterGraph, *mut c_void) -> c_int,
    av_buffersrc_add_frame: unsafe extern "C" fn(*mut AVFilterContext, *mut sys::AVFrame) -> c_int,
    av_buffersrc_close: unsafe extern "C" fn(*mut AVFilterContext, i64, u32) -> c_int,
    av_buffersink_get_frame: unsafe extern "C" fn(*mut AVFilterContext, *mut sys::AVFrame) -> c_int,
    av_buffersink_set_frame_size: unsafe extern "C" fn(*mut AVFilterContext, u32),
    av_buffersink_get_w: unsafe extern "C" fn(*const AVFilterContext) -> c_int,
    av_buffersink_get_h: unsafe extern "C" fn(*const AVFilterContext) -> c_int,
    av_buffersink_get_format: unsafe extern "C" fn(*const AVFilterContext) -> c_int,
    av_buffersink_get_time_base: unsafe extern "C" fn(*const AVFilterContext) -> sys::AVRational,
    av_buffersink_get_sample_aspect_ratio: unsafe extern "C" fn(*const AVFilterContext) -> sys::AVRational,
    av_buffersink_get_frame_rate: unsafe extern "C" fn(*const AVFilterContext) -> sys::AVRational,
    /// Kept open for as long as the pointers above are used: the program's life.
    _library: libloading::Library,
}

/// The file name of the libavfilter released with the libavcodec this crate
/// is built against: FFmpeg gives its libraries' major versions in step
/// (libavcodec 59 with libavfilter 8 in FFmpeg 5, 60 with 9 in FFmpeg 6...).
fn library_name() -> String {
    format!("libavfilter.so.{}", sys::LIBAVCODEC_VERSION_MAJOR - 51)
}

impl LibAvfilter {
    /// # Errors
    /// The loader's message when the library or one of its functions is missing.
    fn load() -> std::result::Result<LibAvfilter, libloading::Error> {
        // SAFETY: loading libavfilter runs only its own initialisers (the
        // libavutil, libavcodec and libavformat it needs are those already
        // loaded); each symbol is given the type of its C prototype.
        unsafe {
            let library = libloading::Library::new(library_name())?;
            Ok(LibAvfilter {
                avfilter_graph_alloc: *library.get(b"avfilter_graph_alloc\0")?,
                avfilter_graph_free: *library.get(b"avfilter_graph_free\0")?,
                avfilter_get_by_name: *library.get(b"avfilter_get_by_name\0")?,
                avfilter_graph_create_filter: *library.get(b"avfilter_graph_create_filter\0")?,
                avfilter_inout_alloc: *library.get(b"avfilter_inout_alloc\0")?,
                avfilter_inout_free: *library.get(b"avfilter_inout_free\0")?,
                avfilter_graph_parse_ptr: *library.get(b"avfilter_graph_parse_ptr\0")?,
                avfilter_graph_config: *library.get(b"avfilter_graph_config\0")?,
                av_buffersrc_add_frame: *library.get(b"av_buffersrc_add_frame\0")?,
                av_buffersrc_close: *library.get(b"av_buffersrc_close\0")?,
                av_buffersink_get_frame: *library.get(b"av_buffersink_get_frame\0")?,
                av_buffersink_set_frame_size: *library.get(b"av_buffersink_set_frame_size\0")?,
                av_buffersink_get_w: *library.get(b"av_buffersink_get_w\0")?,
                av_buffersink_get_h: *library.get(b"av_buffersink_get_h\0")?,
                av_buffersink_get_format: *library.get(b"av_buffersink_get_format\0")?,
                av_buffersink_get_time_base: *library.get(b"av_buffersink_get_time_base\0")?,
                av_buffersink_get_sample_aspect_ratio: *library.get(b"av_buffersink_get_sample_aspect_ratio\0")?,
                av_buffersink_get_frame_rate: *library.get(b"av_buffersink_get_frame_rate\0")?,
                _library: library,
            })
        }
    }
}

/// The loaded libavfilter, shared by every conversion.
///
/// # Errors
/// [`Error::Internal`] when the system's libavfilter cannot be loaded.
fn libavfilter() -> Result<&'static LibAvfilter> {
    static LIBRARY: OnceLock<std::result::Result<LibAvfilter, String>> = OnceLock::new();
    LIBRARY
        .get_or_init(|| LibAvfilter::load().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| Error::Internal(format!("FFmpeg's filter library ({}) cannot be loaded: {e}", library_name())))
}

/// What a configured video sink delivers.
#[derive(Clone, Copy, Debug)]
pub struct VideoSinkShape {
    pub width: i32,
    pub height: i32,
    /// An `AVPixelFormat` value.
    pub pixel: c_int,
    pub time_base: sys::AVRational,
    pub aspect: sys::AVRational,
    pub frame_rate: sys::AVRational,
}

/// A configured chain: source, filters, sink.
pub struct FilterGraph {
    lib: &'static LibAvfilter,
    graph: *mut AVFilterGraph,
    source: *mut AVFilterContext,
    sink: *mut AVFilterContext,
}

// SAFETY: the graph is owned here and used from one thread at a time.
unsafe impl Send for FilterGraph {}

impl FilterGraph {
    /// Builds and configures `source` (with `source_args`), then `filters`
    /// (FFmpeg's filter syntax), then `sink`.
    ///
    /// # Errors
    /// [`Error::Internal`] when libavfilter cannot be loaded; [`Error::Backend`]
    /// for `format` when a filter is missing or the graph does not configure.
    pub fn new(source: &str, source_args: &str, filters: &str, sink: &str, format: &str) -> Result<FilterGraph> {
        let lib = libavfilter()?;
        // SAFETY: a fresh graph, freed by Drop even when building fails below.
        let graph = unsafe { (lib.avfilter_graph_alloc)() };
        if graph.is_null() {
            return Err(Error::Internal("out of memory for a filter graph".into()));
        }
        let mut built = FilterGraph { lib, graph, source: ptr::null_mut(), sink: ptr::null_mut() };
        built.source = built.add(source, "in", source_args, format)?;
        built.sink = built.add(sink, "out", "", format)?;
        built.link(filters).map_err(|e| crate::error(format, "cannot build the filter graph", e))?;
        // SAFETY: the graph built above.
        let configured = unsafe { (lib.avfilter_graph_config)(built.graph, ptr::null_mut()) };
        check(configured).map_err(|e| crate::error(format, "cannot build the filter graph", e))?;
        Ok(built)
    }

    fn add(&mut self, filter: &str, name: &str, args: &str, format: &str) -> Result<*mut AVFilterContext> {
        let c_filter = c_string(filter);
        // SAFETY: a NUL-terminated name; the result is a static description or null.
        let description = unsafe { (self.lib.avfilter_get_by_name)(c_filter.as_ptr()) };
        if description.is_null() {
            return Err(Error::backend(format, format!("FFmpeg was built without the {filter} filter")));
        }
        let (name, args) = (c_string(name), c_string(args));
        let mut context = ptr::null_mut();
        // SAFETY: the graph owns the new context; the strings are copied.
        let made = unsafe {
            (self.lib.avfilter_graph_create_filter)(&mut context, description, name.as_ptr(), args.as_ptr(), ptr::null_mut(), self.graph)
        };
        check(made).map_err(|e| crate::error(format, "cannot build the filter graph", e))?;
        Ok(context)
    }

    /// Parses `filters` between the source's output and the sink's input.
    fn link(&mut self, filters: &str) -> std::result::Result<(), FfmpegError> {
        // SAFETY: the in/out lists are allocated, filled and freed here; the
        // parser takes what it links and leaves the rest for the frees.
        unsafe {
            let mut outputs = self.endpoint(c"in", self.source)?;
            let mut inputs = match self.endpoint(c"out", self.sink) {
                Ok(inputs) => inputs,
                Err(e) => {
                    (self.lib.avfilter_inout_free)(&mut outputs);
                    return Err(e);
                }
            };
            let spec = c_string(filters);
            let parsed = (self.lib.avfilter_graph_parse_ptr)(self.graph, spec.as_ptr(), &mut inputs, &mut outputs, ptr::null_mut());
            (self.lib.avfilter_inout_free)(&mut inputs);
            (self.lib.avfilter_inout_free)(&mut outputs);
            check(parsed)
        }
    }

    /// # Safety
    /// `context` belongs to this graph.
    unsafe fn endpoint(&self, name: &std::ffi::CStr, context: *mut AVFilterContext) -> std::result::Result<*mut AVFilterInOut, FfmpegError> {
        let entry = (self.lib.avfilter_inout_alloc)();
        if entry.is_null() {
            return Err(FfmpegError::Other { errno: sys::ENOMEM });
        }
        (*entry).name = sys::av_strdup(name.as_ptr());
        (*entry).filter_ctx = context;
        (*entry).pad_idx = 0;
        (*entry).next = ptr::null_mut();
        Ok(entry)
    }

    /// Hands one frame to the source.
    ///
    /// # Errors
    /// FFmpeg's error when a filter refuses the frame.
    pub fn push(&mut self, frame: &frame::Frame) -> std::result::Result<(), FfmpegError> {
        // SAFETY: the source copies (references) the frame's buffers.
        check(unsafe { (self.lib.av_buffersrc_add_frame)(self.source, frame.as_ptr() as *mut _) })
    }

    /// Ends the input: with `end`, at that pts (in the source's time base),
    /// so that filters such as `fps` fill up to it; otherwise at the last frame.
    ///
    /// # Errors
    /// FFmpeg's error when a filter fails while flushing.
    pub fn close(&mut self, end: Option<i64>) -> std::result::Result<(), FfmpegError> {
        // SAFETY: ending the source this graph owns.
        check(unsafe {
            match end {
                Some(pts) => (self.lib.av_buffersrc_close)(self.source, pts, 0),
                None => (self.lib.av_buffersrc_add_frame)(self.source, ptr::null_mut()),
            }
        })
    }

    /// Takes the next filtered frame into `frame`.
    ///
    /// # Errors
    /// `Eof` once the graph has ended, `EAGAIN` when it needs more input,
    /// FFmpeg's error otherwise.
    pub fn pull(&mut self, frame: &mut frame::Frame) -> std::result::Result<(), FfmpegError> {
        // SAFETY: the sink fills our frame, which we unref after use.
        check(unsafe { (self.lib.av_buffersink_get_frame)(self.sink, frame.as_mut_ptr()) })
    }

    /// What the (video) sink delivers, as configured.
    pub fn video_shape(&self) -> VideoSinkShape {
        // SAFETY: reading the configured sink's properties.
        unsafe {
            VideoSinkShape {
                width: (self.lib.av_buffersink_get_w)(self.sink),
                height: (self.lib.av_buffersink_get_h)(self.sink),
                pixel: (self.lib.av_buffersink_get_format)(self.sink),
                time_base: (self.lib.av_buffersink_get_time_base)(self.sink),
                aspect: (self.lib.av_buffersink_get_sample_aspect_ratio)(self.sink),
                frame_rate: (self.lib.av_buffersink_get_frame_rate)(self.sink),
            }
        }
    }

    /// Makes the (audio) sink deliver frames of exactly `samples` samples.
    pub fn set_frame_size(&mut self, samples: u32) {
        // SAFETY: the configured audio sink.
        unsafe { (self.lib.av_buffersink_set_frame_size)(self.sink, samples) }
    }
}

impl Drop for FilterGraph {
    fn drop(&mut self) {
        // SAFETY: frees the graph and every filter in it, once.
        unsafe { (self.lib.avfilter_graph_free)(&mut self.graph) }
    }
}

fn check(code: c_int) -> std::result::Result<(), FfmpegError> {
    if code >= 0 {
        Ok(())
    } else {
        Err(FfmpegError::from(code))
    }
}

/// Filter descriptions and names are made by fileconv, never with a NUL;
/// one would end the string early rather than panic.
fn c_string(text: &str) -> CString {
    CString::new(text.split('\0').next().unwrap_or_default()).unwrap_or_default()
}
