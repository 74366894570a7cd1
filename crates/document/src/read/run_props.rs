//! Run properties as office formats inherit them: every field `None`
//! until a level of the chain (defaults, styles, direct formatting) sets
//! it. The DrawingML (slides) and WordprocessingML readers each read their
//! own markup into it (`apply_drawingml`, `apply_wordml`).

use fileconv_core::document::fixed::Color;

#[derive(Clone, Debug, Default)]
pub struct RunProps {
    /// Points.
    pub size: Option<f32>,
    pub bold: Option<bool>,
    pub italic: Option<bool>,
    pub underline: Option<bool>,
    pub strike: Option<bool>,
    pub color: Option<Color>,
    /// The family as the file names it (theme fonts resolved).
    pub font: Option<String>,
    /// Raised (positive) or lowered, a share of the size.
    pub baseline: Option<f32>,
    /// Drawn in capitals.
    pub caps: Option<bool>,
    /// Hidden text, not drawn.
    pub hidden: Option<bool>,
}

impl RunProps {
    /// `top`'s properties over these, where it sets them.
    pub fn over(&mut self, top: &RunProps) {
        macro_rules! take {
            ($($f:ident),*) => { $( if top.$f.is_some() { self.$f = top.$f.clone(); } )* };
        }
        take!(size, bold, italic, underline, strike, color, font, baseline, caps, hidden);
    }
}
