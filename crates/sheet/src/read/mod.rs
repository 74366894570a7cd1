//! Readers: each opens its format as a [`fileconv_core::Table`] whose source
//! reads the rows when an encoder asks for a sheet.

pub mod biff;
pub mod biff_legacy;
pub mod csv;
pub mod excel;
pub mod ods;
pub mod rows;
pub mod xlsx;
