//! Camera RAW files through the system LibRaw (Debian's `libraw20`, the
//! library darktable, RawTherapee's tools, ImageMagick and rawpy build on),
//! loaded the first time a raw file needs it.
//!
//! Development is LibRaw's defaults with the white balance the camera
//! recorded (its "as shot" multipliers, DNG's `AsShotNeutral`): AHD
//! demosaicing, the camera's colour matrix into sRGB, sRGB gamma, 8 bits,
//! automatic brightness as dcraw does it, the camera's orientation applied.
//! When the sensor data cannot be developed (a layout LibRaw reads but does
//! not process), the full-size preview JPEG cameras embed is decoded
//! instead and a note says so; a file with neither is refused.
//!
//! Safety against hostile files: the sizes LibRaw reads from the header are
//! checked against the conversion's limits and charged to its memory budget
//! before the sensor data is unpacked; LibRaw's progress callback stops it
//! at cancellation and at the wall-time limit.

mod formats;

use std::ffi::{c_char, c_float, c_int, c_uint, c_void, CStr};
use std::sync::OnceLock;
use std::time::Duration;

use fileconv_core::image::{DynamicImage, GrayImage, RgbImage};
use fileconv_core::{Context, Error, Frame, Input, Raster, Result, Value};

pub use formats::IDS;

#[repr(C)]
struct RawData {
    _opaque: [u8; 0],
}

/// `libraw_processed_image_t`: a header, then the pixels or the JPEG.
#[repr(C)]
struct Processed {
    kind: c_int,
    height: u16,
    width: u16,
    colors: u16,
    bits: u16,
    data_size: c_uint,
    data: [u8; 1],
}

/// `LIBRAW_FILE_UNSUPPORTED`: not a raw file LibRaw knows.
const FILE_UNSUPPORTED: c_int = -2;
/// `LIBRAW_IO_ERROR`: LibRaw read past the end of the data.
const IO_ERROR: c_int = -100_009;

/// `LIBRAW_IMAGE_JPEG` and `LIBRAW_IMAGE_BITMAP`.
const IMAGE_JPEG: c_int = 1;
const IMAGE_BITMAP: c_int = 2;

type ProgressCallback = unsafe extern "C" fn(*mut c_void, c_int, c_int, c_int) -> c_int;
type DataErrorCallback = unsafe extern "C" fn(*mut c_void, *const c_char, c_int);

/// LibRaw's C API, looked up the first time a raw file needs it, so that
/// programs start without loading it.
#[allow(non_snake_case)]
struct LibRaw {
    libraw_init: unsafe extern "C" fn(c_uint) -> *mut RawData,
    libraw_open_buffer: unsafe extern "C" fn(*mut RawData, *const c_void, usize) -> c_int,
    libraw_unpack: unsafe extern "C" fn(*mut RawData) -> c_int,
    libraw_unpack_thumb: unsafe extern "C" fn(*mut RawData) -> c_int,
    libraw_dcraw_process: unsafe extern "C" fn(*mut RawData) -> c_int,
    libraw_dcraw_make_mem_image: unsafe extern "C" fn(*mut RawData, *mut c_int) -> *mut Processed,
    libraw_dcraw_make_mem_thumb: unsafe extern "C" fn(*mut RawData, *mut c_int) -> *mut Processed,
    libraw_dcraw_clear_mem: unsafe extern "C" fn(*mut Processed),
    libraw_close: unsafe extern "C" fn(*mut RawData),
    libraw_strerror: unsafe extern "C" fn(c_int) -> *const c_char,
    libraw_get_raw_width: unsafe extern "C" fn(*mut RawData) -> c_int,
    libraw_get_raw_height: unsafe extern "C" fn(*mut RawData) -> c_int,
    libraw_get_iwidth: unsafe extern "C" fn(*mut RawData) -> c_int,
    libraw_get_iheight: unsafe extern "C" fn(*mut RawData) -> c_int,
    libraw_get_cam_mul: unsafe extern "C" fn(*mut RawData, c_int) -> c_float,
    libraw_set_user_mul: unsafe extern "C" fn(*mut RawData, c_int, c_float),
    libraw_set_progress_handler: unsafe extern "C" fn(*mut RawData, Option<ProgressCallback>, *mut c_void),
    libraw_set_dataerror_handler: unsafe extern "C" fn(*mut RawData, Option<DataErrorCallback>, *mut c_void),
    /// Kept open for as long as the pointers above are used: the program's life.
    _library: libloading::Library,
}

/// The thread-safe build of Debian's LibRaw (the `libraw20` package).
const LIBRAW: &str = "libraw_r.so.20";

impl LibRaw {
    /// # Errors
    /// The loader's message when the library or one of its functions is missing.
    fn load() -> std::result::Result<LibRaw, libloading::Error> {
        // SAFETY: loading LibRaw runs no code of ours and its initialisers are
        // safe; each symbol is given the type of its prototype in libraw.h.
        unsafe {
            let library = libloading::Library::new(LIBRAW)?;
            Ok(LibRaw {
                libraw_init: *library.get(b"libraw_init\0")?,
                libraw_open_buffer: *library.get(b"libraw_open_buffer\0")?,
                libraw_unpack: *library.get(b"libraw_unpack\0")?,
                libraw_unpack_thumb: *library.get(b"libraw_unpack_thumb\0")?,
                libraw_dcraw_process: *library.get(b"libraw_dcraw_process\0")?,
                libraw_dcraw_make_mem_image: *library.get(b"libraw_dcraw_make_mem_image\0")?,
                libraw_dcraw_make_mem_thumb: *library.get(b"libraw_dcraw_make_mem_thumb\0")?,
                libraw_dcraw_clear_mem: *library.get(b"libraw_dcraw_clear_mem\0")?,
                libraw_close: *library.get(b"libraw_close\0")?,
                libraw_strerror: *library.get(b"libraw_strerror\0")?,
                libraw_get_raw_width: *library.get(b"libraw_get_raw_width\0")?,
                libraw_get_raw_height: *library.get(b"libraw_get_raw_height\0")?,
                libraw_get_iwidth: *library.get(b"libraw_get_iwidth\0")?,
                libraw_get_iheight: *library.get(b"libraw_get_iheight\0")?,
                libraw_get_cam_mul: *library.get(b"libraw_get_cam_mul\0")?,
                libraw_set_user_mul: *library.get(b"libraw_set_user_mul\0")?,
                libraw_set_progress_handler: *library.get(b"libraw_set_progress_handler\0")?,
                libraw_set_dataerror_handler: *library.get(b"libraw_set_dataerror_handler\0")?,
                _library: library,
            })
        }
    }
}

/// The loaded LibRaw, shared by every conversion.
///
/// # Errors
/// [`Error::Internal`] when the system's LibRaw cannot be loaded.
fn libraw() -> Result<&'static LibRaw> {
    static LIBRARY: OnceLock<std::result::Result<LibRaw, String>> = OnceLock::new();
    LIBRARY
        .get_or_init(|| LibRaw::load().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| Error::Internal(format!("the system LibRaw ({LIBRAW}) cannot be loaded: {e}")))
}

/// LibRaw's handle on one file; closed on drop.
struct Handle {
    lib: &'static LibRaw,
    raw: *mut RawData,
}

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: the handle came from libraw_init and is closed once.
        unsafe { (self.lib.libraw_close)(self.raw) }
    }
}

impl Handle {
    /// LibRaw's message for an error code.
    fn message(&self, code: c_int) -> String {
        if code == IO_ERROR {
            return "the sensor data is cut short: the file ends before it does".to_string();
        }
        // SAFETY: libraw_strerror returns a static NUL-terminated string.
        unsafe { CStr::from_ptr((self.lib.libraw_strerror)(code)) }.to_string_lossy().into_owned()
    }

    /// A processed image LibRaw made, copied out and freed.
    fn take(&self, processed: *mut Processed) -> Option<Picture> {
        if processed.is_null() {
            return None;
        }
        // SAFETY: LibRaw filled the header and `data_size` bytes after it;
        // the memory is freed once, after the copy.
        let picture = unsafe {
            let p = &*processed;
            let data = std::slice::from_raw_parts(std::ptr::addr_of!(p.data).cast::<u8>(), p.data_size as usize).to_vec();
            Picture { jpeg: p.kind == IMAGE_JPEG, bitmap: p.kind == IMAGE_BITMAP, width: p.width.into(), height: p.height.into(), colors: p.colors, bits: p.bits, data }
        };
        // SAFETY: as above.
        unsafe { (self.lib.libraw_dcraw_clear_mem)(processed) };
        Some(picture)
    }
}

/// What LibRaw handed back: developed pixels, or the embedded preview.
struct Picture {
    jpeg: bool,
    bitmap: bool,
    width: u32,
    height: u32,
    colors: u16,
    bits: u16,
    data: Vec<u8>,
}

impl Picture {
    /// Every pixel the same: what LibRaw makes of sensor data that is not there.
    fn is_blank(&self) -> bool {
        let pixel = usize::from(self.colors.max(1)) * usize::from(self.bits.max(8) / 8);
        self.data.chunks_exact(pixel).all(|p| p == &self.data[..pixel.min(self.data.len())])
    }

    fn into_image(self, id: &str) -> Result<DynamicImage> {
        let bad = || Error::invalid_input(id, "LibRaw gave an image of an unexpected layout");
        if self.jpeg {
            return fileconv_core::image::load_from_memory_with_format(&self.data, fileconv_core::image::ImageFormat::Jpeg)
                .map_err(|e| Error::invalid_input(id, format!("the embedded preview does not decode: {e}")));
        }
        if !self.bitmap || self.bits != 8 {
            return Err(bad());
        }
        Ok(match self.colors {
            3 => DynamicImage::ImageRgb8(RgbImage::from_raw(self.width, self.height, self.data).ok_or_else(bad)?),
            1 => DynamicImage::ImageLuma8(GrayImage::from_raw(self.width, self.height, self.data).ok_or_else(bad)?),
            _ => return Err(bad()),
        })
    }
}

/// What LibRaw's callbacks see: the conversion, and where LibRaw found the data damaged.
struct Watch<'a, 'c> {
    ctx: &'a Context<'c>,
    damaged_at: std::cell::Cell<Option<c_int>>,
}

/// Stops LibRaw at its next step when the conversion is cancelled or out of time.
unsafe extern "C" fn progress(data: *mut c_void, _stage: c_int, _iteration: c_int, _expected: c_int) -> c_int {
    // SAFETY: `data` is the `Watch` given with the callback, alive for the whole decode.
    let watch = unsafe { &*(data as *const Watch<'_, '_>) };
    c_int::from(watch.ctx.checkpoint().is_err())
}

/// Records that the sensor data is damaged or cut short: LibRaw fills what
/// it cannot read with zeros and carries on, which would be a picture with
/// content missing.
unsafe extern "C" fn data_error(data: *mut c_void, _file: *const c_char, offset: c_int) {
    // SAFETY: as for `progress`.
    let watch = unsafe { &*(data as *const Watch<'_, '_>) };
    if watch.damaged_at.get().is_none() {
        watch.damaged_at.set(Some(offset));
    }
}

/// Develops a camera raw file of format `id`.
///
/// # Errors
/// [`Error::InvalidInput`] with LibRaw's message when it cannot read the
/// file and it holds no preview; [`Error::FormatMismatch`] for a plain TIFF
/// claimed as a raw format; [`Error::LimitExceeded`] for an image over
/// the limits; [`Error::Cancelled`]; [`Error::Internal`] when LibRaw is missing.
pub fn decode(input: Input<'_>, ctx: &Context<'_>, id: &'static str) -> Result<Value> {
    let lib = libraw()?;
    // SAFETY: a new handle, closed by `Handle`'s drop.
    let raw = unsafe { (lib.libraw_init)(0) };
    if raw.is_null() {
        return Err(Error::Internal("LibRaw could not start".into()));
    }
    let watch = Watch { ctx, damaged_at: std::cell::Cell::new(None) };
    let handle = Handle { lib, raw };
    // SAFETY: `watch` outlives the handle (declared before it, dropped after
    // it); LibRaw reads the buffer, which outlives the handle too.
    let opened = unsafe {
        let data = &watch as *const Watch<'_, '_> as *mut c_void;
        (lib.libraw_set_progress_handler)(raw, Some(progress), data);
        (lib.libraw_set_dataerror_handler)(raw, Some(data_error), data);
        (lib.libraw_open_buffer)(raw, input.bytes.as_ptr().cast(), input.bytes.len())
    };
    if opened == FILE_UNSUPPORTED && fileconv_core::Container::Tiff.matches(input.bytes) && !formats::signed(id, input.bytes) {
        // A TIFF claimed as a raw format it is not (a NEF or ARW has no signature
        // of its own to tell it by): named, as other mislabelled files are.
        return Err(Error::FormatMismatch { claimed: id.to_string(), detected: "tiff".to_string() });
    }
    if opened != 0 {
        return Err(Error::invalid_input(id, format!("LibRaw cannot read it: {}", handle.message(opened))));
    }
    // SAFETY: plain getters on the open handle.
    let (width, height, raw_width, raw_height) =
        unsafe { ((lib.libraw_get_iwidth)(raw), (lib.libraw_get_iheight)(raw), (lib.libraw_get_raw_width)(raw), (lib.libraw_get_raw_height)(raw)) };
    let (width, height) = (u32::try_from(width).unwrap_or(0), u32::try_from(height).unwrap_or(0));
    if width == 0 || height == 0 {
        return Err(Error::invalid_input(id, "the file names no image size"));
    }
    // The developed pixels, then LibRaw's raw buffer (16-bit samples) and its
    // working image (four 16-bit channels per pixel).
    ctx.charge_frame(width, height, 3)?;
    let working = u64::from(u32::try_from(raw_width).unwrap_or(0)) * u64::from(u32::try_from(raw_height).unwrap_or(0)) * 2 + u64::from(width) * u64::from(height) * 8;
    ctx.charge_memory(working, "memory for developing raw camera data (bytes)")?;
    // White balance as shot: the camera's own multipliers, where it recorded them.
    // SAFETY: plain getters and setters on the open handle, indices 0 to 3.
    unsafe {
        let as_shot: Vec<f32> = (0..4).map(|i| (lib.libraw_get_cam_mul)(raw, i)).collect();
        if as_shot[..3].iter().all(|m| m.is_finite() && *m > 0.0) {
            for (i, m) in as_shot.iter().enumerate() {
                (lib.libraw_set_user_mul)(raw, i as c_int, if m.is_finite() && *m > 0.0 { *m } else { as_shot[1] });
            }
        }
    }
    ctx.checkpoint()?;
    // Even lossy raw formats keep several bits per sensor sample; a file far
    // smaller than its sensor has lost its data (LibRaw reads zeros or noise).
    let samples = u64::from(u32::try_from(raw_width).unwrap_or(0)) * u64::from(u32::try_from(raw_height).unwrap_or(0));
    let too_small = (input.bytes.len() as u64).saturating_mul(16) < samples;
    let developed = if too_small {
        Err(format!("the file ({} bytes) is too small to hold its {raw_width}x{raw_height} sensor samples", input.bytes.len()))
    } else {
        develop(&handle)
    };
    let developed = developed.and_then(|picture| match watch.damaged_at.get() {
        Some(offset) => Err(format!("the sensor data is damaged or cut short at byte {offset}")),
        None if picture.is_blank() => Err("the sensor data develops to a blank picture: it is missing".to_string()),
        None => Ok(picture),
    });
    ctx.checkpoint()?;
    let image = match developed {
        Ok(picture) => picture.into_image(id)?,
        Err(reason) => {
            // A preview stands in only at the picture's own size, give or take
            // the edges cameras crop (a thumbnail would be content missing).
            let image = preview(&handle)
                .and_then(|preview| preview.into_image(id).ok())
                .filter(|image| 2 * image.width().max(image.height()) >= width.max(height))
                .ok_or_else(|| Error::invalid_input(id, format!("LibRaw cannot develop it ({reason}) and it holds no full-size preview")))?;
            ctx.note(format!(
                "the raw sensor data cannot be developed ({reason}); the camera's embedded {}x{} preview is used instead",
                image.width(),
                image.height()
            ));
            image
        }
    };
    ctx.release_memory(working);
    ctx.progress(1.0);
    Ok(Value::Raster(Raster { frames: vec![Frame { image, delay: Duration::ZERO }], icc_profile: None, exif: None }))
}

/// Unpacks and develops the sensor data, or says why not.
fn develop(handle: &Handle) -> std::result::Result<Picture, String> {
    let (lib, raw) = (handle.lib, handle.raw);
    // SAFETY: the calls LibRaw documents, in its order, on an open handle.
    unsafe {
        match (lib.libraw_unpack)(raw) {
            0 => {}
            code => return Err(handle.message(code)),
        }
        match (lib.libraw_dcraw_process)(raw) {
            0 => {}
            code => return Err(handle.message(code)),
        }
        let mut code = 0;
        let image = (lib.libraw_dcraw_make_mem_image)(raw, &mut code);
        handle.take(image).ok_or_else(|| handle.message(code))
    }
}

/// The preview the camera embedded, if any.
fn preview(handle: &Handle) -> Option<Picture> {
    let (lib, raw) = (handle.lib, handle.raw);
    // SAFETY: as in `develop`.
    unsafe {
        if (lib.libraw_unpack_thumb)(raw) != 0 {
            return None;
        }
        let mut code = 0;
        handle.take((lib.libraw_dcraw_make_mem_thumb)(raw, &mut code))
    }
}

/// Does nothing; calling it makes sure this crate, and so its registrations,
/// are linked into the program.
#[inline(never)]
pub fn link() {}
