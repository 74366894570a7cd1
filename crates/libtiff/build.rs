//! Links the system libtiff (`libtiff-dev` on Debian, installed by
//! `scripts/install-deps`).
fn main() {
    println!("cargo:rustc-link-lib=dylib=tiff");
}
