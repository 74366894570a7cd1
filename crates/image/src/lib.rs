//! fileconv's raster formats. Each file under `codecs/` is one format (or one
//! family, like PNM) and registers itself with `inventory::submit!`.
//!
//! | format | read | write | backend |
//! |---|---|---|---|
//! | png | yes (APNG frames too) | yes (APNG for animations) | png crate |
//! | jpg | yes | yes | libjpeg-turbo 3 (turbojpeg, SIMD); `image` as read fallback |
//! | gif | yes, animated | yes, animated | `image` (gif crate) |
//! | webp | yes, animated | yes: lossy, lossless, animated | `image-webp` read, libwebp write |
//! | bmp, ico, tga, ppm, pgm, pbm, pam, qoi, tiff, hdr, exr | yes | yes | `image` |
//! | jxl | yes: lossy and lossless, alpha, 16-bit, animation | no | jxl-oxide |
//! | psd | the merged composite | no | own reader |
//! | svg | yes | no | resvg |
//! | dds | yes | no | `image` |
//!
//! HEIC and AVIF, which need the system libheif, are the `fileconv-heif`
//! crate's, so that a program can leave that library out.

mod codecs;
mod decode;
mod encode;
mod idat;
mod jpeg_bands;
mod jpeg_rows;
mod jpeg_to_png;
mod jpeg_strips;
mod png_rows;
mod png_to_jpeg;
mod svg_guard;
pub mod options;
mod transform;

/// What the libheif formats of `fileconv-heif` share with these codecs.
#[doc(hidden)]
pub mod shared {
    pub use crate::decode::profile_for;
    pub use crate::encode::{fit_pixels, Accepts};
}

/// A zeroed buffer of `len` bytes for a picture's pixels. Large ones are
/// advised to the kernel as huge-page memory before they are touched: a
/// 9 MP RGB raster is 6,600 page faults in 4 KB pages and 14 in 2 MB pages
/// (measured on a 9 MP JPEG decoded on two cores: 10-15 ms less system
/// time). Where the kernel keeps huge pages off, the advice changes nothing.
pub(crate) fn pixel_buffer(len: usize) -> Vec<u8> {
    const HUGE_PAGE: usize = 2 << 20;
    // Large zeroed allocations come straight from mmap, untouched.
    let buffer = vec![0u8; len];
    #[cfg(target_os = "linux")]
    if len >= 4 * HUGE_PAGE {
        let at = buffer.as_ptr() as usize;
        let (start, end) = (at.next_multiple_of(HUGE_PAGE), (at + len) / HUGE_PAGE * HUGE_PAGE);
        // SAFETY: the range lies inside the buffer's allocation; the advice
        // changes how its pages are backed, not their contents.
        unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE) };
    }
    buffer
}

/// The threads a conversion of this crate spreads its work over: the
/// machine's cores, at most 8 (past that, one picture's strips and segments
/// gain nothing). Read once: the standard library reads the cgroup's CPU
/// quota from `/proc` and `/sys` at every call.
pub(crate) fn worker_cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()).min(8))
}

/// Lowers the calling worker thread's scheduling priority (nice 10), so
/// that the thread producing what the workers consume (the rows a decoder
/// writes), the longest single step, is not preempted by them when they
/// want the same core.
pub(crate) fn yield_to_the_producer() {
    #[cfg(target_os = "linux")]
    // SAFETY: changes only the calling thread's nice value.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, 10);
    }
}

/// Does nothing; calling it makes sure this crate, and so its registrations,
/// are linked into the program.
#[inline(never)]
pub fn link() {}

/// What the tests of fused conversions share.
#[cfg(test)]
pub(crate) mod fused_tests {
    use fileconv_core::{Engine, FusedFn, Registry, Step};

    /// A sink whose every write fails, as a full disk's.
    pub struct Refuses;

    impl std::io::Write for Refuses {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk full"))
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// The engine without fused conversions: the two steps.
    pub fn two_steps() -> Engine {
        let mut registry = Registry::from_inventory();
        registry.fused.clear();
        Engine::new(registry)
    }

    /// Asserts that the engine's path from `from` to `to` is one decoder
    /// then one encoder, and that it offers that path to `convert`.
    pub fn assert_offered(from: &str, to: &str, convert: FusedFn) {
        let engine = Engine::from_inventory();
        let path = engine.path(from, to).unwrap();
        let [Step::Decode(decoder), Step::Encode(encoder)] = path.steps[..] else { panic!("{path}") };
        assert!(engine.registry().fused_for(decoder, encoder).is_some_and(|f| std::ptr::fn_addr_eq(f.convert, convert)), "{path}");
    }
}
