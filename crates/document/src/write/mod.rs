//! Writers: each walks the tree (its depth bounded by the readers).

pub mod docx;
pub mod epub;
pub mod html;
pub mod md;
pub mod odt;
pub mod txt;
