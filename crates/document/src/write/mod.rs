//! Writers: each walks the tree (its depth bounded by the readers).

pub mod docx;
pub mod html;
pub mod md;
pub mod odt;
pub mod txt;
/// What a writer that embeds an image needs to know about its bytes.
pub struct EmbeddedImage {
    pub extension: &'static str,
    pub mime: &'static str,
    pub width: u32,
    pub height: u32,
}

impl EmbeddedImage {
    /// The type and size of an image file, `None` when it is not a PNG,
    /// JPEG, GIF, BMP, TIFF or WebP (such images are written as their alt text).
    pub fn probe(bytes: &[u8]) -> Option<Self> {
        use imagesize::ImageType;
        let (extension, mime) = match imagesize::image_type(bytes).ok()? {
            ImageType::Png => ("png", "image/png"),
            ImageType::Jpeg => ("jpeg", "image/jpeg"),
            ImageType::Gif => ("gif", "image/gif"),
            ImageType::Bmp => ("bmp", "image/bmp"),
            ImageType::Tiff => ("tiff", "image/tiff"),
            ImageType::Webp => ("webp", "image/webp"),
            _ => return None,
        };
        let size = imagesize::blob_size(bytes).ok()?;
        let (width, height) = (u32::try_from(size.width).ok()?, u32::try_from(size.height).ok()?);
        (width > 0 && height > 0).then_some(EmbeddedImage { extension, mime, width, height })
    }
}
