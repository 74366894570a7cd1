//! Compiles the scanline JPEG reader (`src/jpeg_rows.c`) against the
//! headers of the libjpeg-turbo that turbojpeg-sys builds and links.

fn main() {
    println!("cargo:rerun-if-changed=src/jpeg_rows.c");
    let include = std::env::var("DEP_TURBOJPEG_INCLUDE").expect("turbojpeg-sys gives its include directory (it builds libjpeg-turbo)");
    cc::Build::new().file("src/jpeg_rows.c").includes(include.split(',')).opt_level(2).warnings(true).compile("fileconv_jpeg_rows");
}
