//! Writers: each walks the tree (its depth bounded by the readers).

pub mod html;
pub mod md;
pub mod txt;
