//! The system libtiff as fileconv's second TIFF reader.
//!
//! The image crate's TIFF decoder reads the common layouts; libtiff, the
//! reference implementation that Pillow, libvips and ImageMagick use, reads
//! the rest: old-style and new-style JPEG compression, subsampled YCbCr,
//! CCITT fax, 1- to 4-bit and palette samples, the old LZW bit order, IFD
//! chains that loop. Every page goes through `TIFFReadRGBAImageOriented`, so
//! the result is 8 bits per sample whatever the file holds (a note says so
//! when the file has more).
//!
//! Safety against hostile files: the page size is checked against the
//! conversion's [`fileconv_core::Limits`] and charged before the pixel buffer
//! is allocated, and libtiff's own allocations are capped per call with
//! `TIFFOpenOptionsSetMaxSingleMemAlloc`. Messages libtiff prints go to this
//! conversion's error or notes, never to stderr.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::sync::OnceLock;
use std::time::Duration;

use fileconv_core::image::{DynamicImage, GrayImage, RgbImage, RgbaImage};
use fileconv_core::{Context, Error, Frame, Input, Raster, Result, Value};

const FORMAT: &str = "tiff";
/// Messages kept per file; libtiff can repeat one warning per strip.
const MAX_MESSAGES: usize = 8;

const TAG_IMAGE_WIDTH: u32 = 256;
const TAG_IMAGE_LENGTH: u32 = 257;
const TAG_BITS_PER_SAMPLE: u32 = 258;
const TAG_PHOTOMETRIC: u32 = 262;
const PHOTOMETRIC_MIN_IS_WHITE: u16 = 0;
const PHOTOMETRIC_MIN_IS_BLACK: u16 = 1;
const ORIENTATION_TOP_LEFT: c_int = 1;

#[repr(C)]
struct Tiff {
    _opaque: [u8; 0],
}

#[repr(C)]
struct OpenOptions {
    _opaque: [u8; 0],
}

/// A C `va_list` as it reaches a function: a pointer on x86-64 and AArch64
/// (an array that decays, or a structure passed by reference).
type VaList = *mut c_void;
type Handler = unsafe extern "C" fn(*mut Tiff, *mut c_void, *const c_char, *const c_char, VaList) -> c_int;
type GlobalHandler = unsafe extern "C" fn(*const c_char, *const c_char, VaList);
type ReadWriteProc = unsafe extern "C" fn(*mut c_void, *mut c_void, isize) -> isize;
type SeekProc = unsafe extern "C" fn(*mut c_void, u64, c_int) -> u64;
type CloseProc = unsafe extern "C" fn(*mut c_void) -> c_int;
type SizeProc = unsafe extern "C" fn(*mut c_void) -> u64;
type MapProc = unsafe extern "C" fn(*mut c_void, *mut *mut c_void, *mut u64) -> c_int;
type UnmapProc = unsafe extern "C" fn(*mut c_void, *mut c_void, u64);

extern "C" {
    fn vsnprintf(buffer: *mut c_char, size: usize, format: *const c_char, args: VaList) -> c_int;
}

/// libtiff's functions, looked up the first time a TIFF needs them. Linking
/// the library instead would load it, and the seven it needs, at every start
/// of every program that holds this crate: 2 ms of a command line's 3.
#[allow(non_snake_case)]
struct LibTiff {
    TIFFOpenOptionsAlloc: unsafe extern "C" fn() -> *mut OpenOptions,
    TIFFOpenOptionsFree: unsafe extern "C" fn(*mut OpenOptions),
    TIFFOpenOptionsSetMaxSingleMemAlloc: unsafe extern "C" fn(*mut OpenOptions, isize),
    TIFFOpenOptionsSetErrorHandlerExtR: unsafe extern "C" fn(*mut OpenOptions, Option<Handler>, *mut c_void),
    TIFFOpenOptionsSetWarningHandlerExtR: unsafe extern "C" fn(*mut OpenOptions, Option<Handler>, *mut c_void),
    /// name, mode, handle, read, write, seek, close, size, map, unmap, options.
    #[allow(clippy::type_complexity)]
    TIFFClientOpenExt: unsafe extern "C" fn(
        *const c_char,
        *const c_char,
        *mut c_void,
        ReadWriteProc,
        ReadWriteProc,
        SeekProc,
        CloseProc,
        SizeProc,
        MapProc,
        UnmapProc,
        *mut OpenOptions,
    ) -> *mut Tiff,
    TIFFClose: unsafe extern "C" fn(*mut Tiff),
    TIFFGetField: unsafe extern "C" fn(*mut Tiff, u32, ...) -> c_int,
    TIFFGetFieldDefaulted: unsafe extern "C" fn(*mut Tiff, u32, ...) -> c_int,
    TIFFReadDirectory: unsafe extern "C" fn(*mut Tiff) -> c_int,
    TIFFRGBAImageOK: unsafe extern "C" fn(*mut Tiff, *mut c_char) -> c_int,
    TIFFReadRGBAImageOriented: unsafe extern "C" fn(*mut Tiff, u32, u32, *mut u32, c_int, c_int) -> c_int,
    TIFFSetErrorHandler: unsafe extern "C" fn(Option<GlobalHandler>) -> Option<GlobalHandler>,
    TIFFSetWarningHandler: unsafe extern "C" fn(Option<GlobalHandler>) -> Option<GlobalHandler>,
    /// Kept open for as long as the pointers above are used: the program's life.
    _library: libloading::Library,
}

/// The file name of Debian's libtiff (the `libtiff6` package).
const LIBTIFF: &str = "libtiff.so.6";

impl LibTiff {
    /// # Errors
    /// The loader's message when the library or one of its functions is missing.
    fn load() -> std::result::Result<LibTiff, libloading::Error> {
        // SAFETY: loading libtiff runs no code of ours and its initialisers
        // are safe; each symbol is given the type of its prototype in tiffio.h.
        unsafe {
            let library = libloading::Library::new(LIBTIFF)?;
            Ok(LibTiff {
                TIFFOpenOptionsAlloc: *library.get(b"TIFFOpenOptionsAlloc\0")?,
                TIFFOpenOptionsFree: *library.get(b"TIFFOpenOptionsFree\0")?,
                TIFFOpenOptionsSetMaxSingleMemAlloc: *library.get(b"TIFFOpenOptionsSetMaxSingleMemAlloc\0")?,
                TIFFOpenOptionsSetErrorHandlerExtR: *library.get(b"TIFFOpenOptionsSetErrorHandlerExtR\0")?,
                TIFFOpenOptionsSetWarningHandlerExtR: *library.get(b"TIFFOpenOptionsSetWarningHandlerExtR\0")?,
                TIFFClientOpenExt: *library.get(b"TIFFClientOpenExt\0")?,
                TIFFClose: *library.get(b"TIFFClose\0")?,
                TIFFGetField: *library.get(b"TIFFGetField\0")?,
                TIFFGetFieldDefaulted: *library.get(b"TIFFGetFieldDefaulted\0")?,
                TIFFReadDirectory: *library.get(b"TIFFReadDirectory\0")?,
                TIFFRGBAImageOK: *library.get(b"TIFFRGBAImageOK\0")?,
                TIFFReadRGBAImageOriented: *library.get(b"TIFFReadRGBAImageOriented\0")?,
                TIFFSetErrorHandler: *library.get(b"TIFFSetErrorHandler\0")?,
                TIFFSetWarningHandler: *library.get(b"TIFFSetWarningHandler\0")?,
                _library: library,
            })
        }
    }
}

/// The loaded libtiff, shared by every conversion.
///
/// # Errors
/// [`Error::Internal`] when the system's libtiff cannot be loaded.
fn libtiff() -> Result<&'static LibTiff> {
    static LIBRARY: OnceLock<std::result::Result<LibTiff, String>> = OnceLock::new();
    LIBRARY
        .get_or_init(|| LibTiff::load().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| Error::Internal(format!("the system libtiff ({LIBTIFF}) cannot be loaded: {e}")))
}

/// Reads every page of the first page's size, as the image crate's reader
/// does (further pages of another size are left out, with a note).
///
/// # Errors
/// [`Error::InvalidInput`] with libtiff's own message when it cannot open
/// the file or read its first page; [`Error::LimitExceeded`] when a page is
/// over the conversion's limits; [`Error::Cancelled`] between pages.
pub fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    let mut file = Open::new(input.bytes, ctx)?;
    let mut frames: Vec<Frame> = Vec::new();
    let mut first_size = None;
    let (mut page, mut other_size) = (0u32, 0u32);
    loop {
        page += 1;
        ctx.checkpoint()?;
        let size = (file.field_u32(TAG_IMAGE_WIDTH), file.field_u32(TAG_IMAGE_LENGTH));
        match (first_size, size) {
            (_, (None, _) | (_, None)) if page == 1 => return Err(file.error("the first page has no width or height")),
            (None, (Some(w), Some(h))) => first_size = Some((w, h)),
            (Some(first), (Some(w), Some(h))) if first != (w, h) => other_size += 1,
            _ => {}
        }
        let (width, height) = first_size.expect("set on the first page");
        if size == (Some(width), Some(height)) {
            match file.read_page(width, height, page, ctx) {
                Ok(image) => frames.push(Frame { image, delay: Duration::ZERO }),
                Err(e) if page == 1 => return Err(e),
                Err(_) => {
                    ctx.note(format!("page {page} of the TIFF cannot be read; it and any pages after it are left out"));
                    break;
                }
            }
        }
        let errors = file.messages.errors.len();
        if !file.next_directory() {
            if file.messages.errors.len() > errors {
                ctx.note(format!("the TIFF's directory after page {page} is damaged ({}); no further pages are read", file.messages.last_error()));
            }
            break;
        }
    }
    if other_size > 0 {
        ctx.note(format!("{other_size} TIFF page(s) differ in size from the first and are left out"));
    }
    if frames.len() > 1 {
        frames.iter_mut().for_each(|f| f.delay = Duration::from_secs(1));
    }
    Ok(Value::Raster(Raster { frames, icc_profile: None, exif: None }))
}

/// An open libtiff handle over a byte slice, with the messages it reported.
/// `Drop` closes the handle before the fields it points to (the source and
/// the messages) are freed.
struct Open<'a> {
    lib: &'static LibTiff,
    tiff: *mut Tiff,
    _source: Box<Source<'a>>,
    messages: Box<Messages>,
}

impl<'a> Open<'a> {
    fn new(bytes: &'a [u8], ctx: &Context<'_>) -> Result<Self> {
        let lib = libtiff()?;
        silence_global_handlers(lib);
        let mut source = Box::new(Source { bytes, position: 0 });
        let mut messages = Box::<Messages>::default();
        let max_alloc = isize::try_from(ctx.limits.max_memory_bytes).unwrap_or(isize::MAX);
        // SAFETY: the options are used only in this block; libtiff copies
        // what it needs into the handle. `source` and `messages` are boxed,
        // so the pointers given to libtiff stay valid until `Open` drops,
        // and the handle is closed first (see the struct).
        let tiff = unsafe {
            let options = (lib.TIFFOpenOptionsAlloc)();
            if options.is_null() {
                return Err(Error::Internal("libtiff could not allocate its open options".into()));
            }
            (lib.TIFFOpenOptionsSetMaxSingleMemAlloc)(options, max_alloc);
            let user = std::ptr::addr_of_mut!(*messages).cast::<c_void>();
            (lib.TIFFOpenOptionsSetErrorHandlerExtR)(options, Some(on_error), user);
            (lib.TIFFOpenOptionsSetWarningHandlerExtR)(options, Some(on_warning), user);
            let tiff = (lib.TIFFClientOpenExt)(
                c"input".as_ptr(),
                c"rm".as_ptr(),
                std::ptr::addr_of_mut!(*source).cast::<c_void>(),
                read,
                write,
                seek,
                close,
                size,
                map,
                unmap,
                options,
            );
            (lib.TIFFOpenOptionsFree)(options);
            tiff
        };
        if tiff.is_null() {
            return Err(Error::invalid_input(FORMAT, format!("libtiff cannot open it: {}", messages.last_error())));
        }
        Ok(Open { lib, tiff, _source: source, messages })
    }

    fn error(&self, what: &str) -> Error {
        Error::invalid_input(FORMAT, format!("{what} ({})", self.messages.last_error()))
    }

    fn field_u32(&self, tag: u32) -> Option<u32> {
        let mut value: u32 = 0;
        // SAFETY: width and length are LONG fields: libtiff writes one u32.
        (unsafe { (self.lib.TIFFGetField)(self.tiff, tag, &mut value as *mut u32) } == 1).then_some(value)
    }

    fn field_u16(&self, tag: u32, defaulted: bool) -> Option<u16> {
        let mut value: u16 = 0;
        // SAFETY: bits per sample and photometric are SHORT fields: libtiff writes one u16.
        let found = unsafe {
            if defaulted {
                (self.lib.TIFFGetFieldDefaulted)(self.tiff, tag, &mut value as *mut u16)
            } else {
                (self.lib.TIFFGetField)(self.tiff, tag, &mut value as *mut u16)
            }
        };
        (found == 1).then_some(value)
    }

    fn next_directory(&mut self) -> bool {
        // SAFETY: the handle is open.
        unsafe { (self.lib.TIFFReadDirectory)(self.tiff) == 1 }
    }

    /// The current directory's pixels, gray, RGB or RGBA as the file has them.
    fn read_page(&mut self, width: u32, height: u32, page: u32, ctx: &Context<'_>) -> Result<DynamicImage> {
        ctx.charge_frame(width, height, 4)?;
        let mut why = [0 as c_char; 1024];
        // SAFETY: `why` has the 1024 bytes libtiff writes at most.
        if unsafe { (self.lib.TIFFRGBAImageOK)(self.tiff, why.as_mut_ptr()) } != 1 {
            // SAFETY: libtiff wrote a NUL-terminated message into `why`.
            let why = unsafe { CStr::from_ptr(why.as_ptr()) }.to_string_lossy().into_owned();
            return Err(Error::invalid_input(FORMAT, format!("libtiff cannot read this variant: {why}")));
        }
        let mut pixels = vec![0u32; width as usize * height as usize];
        let errors = self.messages.errors.len();
        // SAFETY: `pixels` holds width x height values, what libtiff fills.
        let read = unsafe { (self.lib.TIFFReadRGBAImageOriented)(self.tiff, width, height, pixels.as_mut_ptr(), ORIENTATION_TOP_LEFT, 0) };
        if read != 1 {
            return Err(self.error("libtiff cannot read the page"));
        }
        if self.messages.errors.len() > errors {
            ctx.note(format!("page {page} of the TIFF is damaged ({}); what libtiff could read is kept", self.messages.last_error()));
        }
        if let Some(bits) = self.field_u16(TAG_BITS_PER_SAMPLE, true).filter(|b| *b > 8) {
            ctx.note(format!("page {page} of the TIFF has {bits} bits per sample; the second TIFF reader keeps 8"));
        }
        let gray = matches!(self.field_u16(TAG_PHOTOMETRIC, false), Some(PHOTOMETRIC_MIN_IS_WHITE | PHOTOMETRIC_MIN_IS_BLACK));
        Ok(to_image(&pixels, width, height, gray))
    }
}

impl Drop for Open<'_> {
    fn drop(&mut self) {
        // SAFETY: opened by `Open::new`, closed once here.
        unsafe { (self.lib.TIFFClose)(self.tiff) }
    }
}

/// libtiff's packed ABGR (red in the low byte, alpha premultiplied) as an
/// image with straight alpha, dropping alpha when every pixel is opaque.
fn to_image(pixels: &[u32], width: u32, height: u32, gray: bool) -> DynamicImage {
    let opaque = pixels.iter().all(|p| p >> 24 == 0xff);
    if opaque && gray {
        let bytes = pixels.iter().map(|p| (p & 0xff) as u8).collect();
        return DynamicImage::ImageLuma8(GrayImage::from_raw(width, height, bytes).expect("one byte per pixel"));
    }
    if opaque {
        let bytes = pixels.iter().flat_map(|p| {
            let [r, g, b, _] = p.to_le_bytes();
            [r, g, b]
        });
        return DynamicImage::ImageRgb8(RgbImage::from_raw(width, height, bytes.collect()).expect("three bytes per pixel"));
    }
    let bytes = pixels.iter().flat_map(|p| {
        let [r, g, b, a] = p.to_le_bytes();
        let straight = |c: u8| match a {
            0 | 255 => c,
            a => ((u32::from(c) * 255 + u32::from(a) / 2) / u32::from(a)).min(255) as u8,
        };
        [straight(r), straight(g), straight(b), a]
    });
    DynamicImage::ImageRgba8(RgbaImage::from_raw(width, height, bytes.collect()).expect("four bytes per pixel"))
}

/// What libtiff reported while reading one file, the first few of each kind.
#[derive(Default)]
struct Messages {
    errors: Vec<String>,
    warnings: Vec<String>,
}

impl Messages {
    fn last_error(&self) -> String {
        self.errors.last().cloned().unwrap_or_else(|| "libtiff gave no reason".to_string())
    }
}

fn keep(list: &mut Vec<String>, module: *const c_char, format: *const c_char, args: VaList) {
    if list.len() >= MAX_MESSAGES {
        return;
    }
    let mut buffer = [0 as c_char; 512];
    // SAFETY: libtiff passes a printf format and its arguments; vsnprintf
    // writes at most `buffer.len()` bytes, NUL included.
    let text = unsafe {
        vsnprintf(buffer.as_mut_ptr(), buffer.len(), format, args);
        CStr::from_ptr(buffer.as_ptr()).to_string_lossy().into_owned()
    };
    // SAFETY: `module` is NULL or a NUL-terminated name.
    let module = (!module.is_null()).then(|| unsafe { CStr::from_ptr(module) }.to_string_lossy().into_owned());
    list.push(match module {
        Some(m) if !m.is_empty() && m != "input" => format!("{m}: {text}"),
        _ => text,
    });
}

unsafe extern "C" fn on_error(_: *mut Tiff, user: *mut c_void, module: *const c_char, format: *const c_char, args: VaList) -> c_int {
    // SAFETY: `user` is the `Messages` box of the open file.
    let messages = unsafe { &mut *user.cast::<Messages>() };
    keep(&mut messages.errors, module, format, args);
    1
}

unsafe extern "C" fn on_warning(_: *mut Tiff, user: *mut c_void, module: *const c_char, format: *const c_char, args: VaList) -> c_int {
    // SAFETY: as in `on_error`.
    let messages = unsafe { &mut *user.cast::<Messages>() };
    keep(&mut messages.warnings, module, format, args);
    1
}

/// Messages from code paths that know no handle would go to stderr.
fn silence_global_handlers(lib: &LibTiff) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    // SAFETY: setting the process-wide handlers to none is always valid.
    ONCE.call_once(|| unsafe {
        (lib.TIFFSetErrorHandler)(None);
        (lib.TIFFSetWarningHandler)(None);
    });
}

/// The bytes libtiff reads through its client callbacks.
struct Source<'a> {
    bytes: &'a [u8],
    position: u64,
}

unsafe extern "C" fn read(handle: *mut c_void, buffer: *mut c_void, size: isize) -> isize {
    // SAFETY: `handle` is the `Source` box of the open file.
    let source = unsafe { &mut *handle.cast::<Source<'_>>() };
    let start = usize::try_from(source.position).unwrap_or(usize::MAX).min(source.bytes.len());
    let count = usize::try_from(size).unwrap_or(0).min(source.bytes.len() - start);
    // SAFETY: libtiff's buffer has room for `size` bytes; `count` is no more.
    unsafe { std::ptr::copy_nonoverlapping(source.bytes.as_ptr().add(start), buffer.cast::<u8>(), count) };
    source.position += count as u64;
    count as isize
}

unsafe extern "C" fn write(_: *mut c_void, _: *mut c_void, _: isize) -> isize {
    -1
}

unsafe extern "C" fn seek(handle: *mut c_void, offset: u64, whence: c_int) -> u64 {
    // SAFETY: as in `read`.
    let source = unsafe { &mut *handle.cast::<Source<'_>>() };
    let base = match whence {
        0 => 0,
        1 => source.position,
        2 => source.bytes.len() as u64,
        _ => return u64::MAX,
    };
    // Offsets from the current position or the end are signed values in a u64.
    match base.checked_add_signed(offset as i64) {
        Some(position) => {
            source.position = position;
            position
        }
        None => u64::MAX,
    }
}

unsafe extern "C" fn close(_: *mut c_void) -> c_int {
    0
}

unsafe extern "C" fn size(handle: *mut c_void) -> u64 {
    // SAFETY: as in `read`.
    unsafe { &*handle.cast::<Source<'_>>() }.bytes.len() as u64
}

unsafe extern "C" fn map(_: *mut c_void, _: *mut *mut c_void, _: *mut u64) -> c_int {
    0
}

unsafe extern "C" fn unmap(_: *mut c_void, _: *mut c_void, _: u64) {}
