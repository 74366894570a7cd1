//! The named outlines slides draw, as polygons in shares of their frame:
//! PowerPoint's preset geometries and ODF's custom-shape types name the
//! same shapes; each reader maps its names onto PowerPoint's.

use fileconv_core::document::fixed::Geometry;

/// The polygon of a preset geometry by PowerPoint's name, `None` for one not drawn as a polygon.
pub fn polygon(name: &str) -> Option<Geometry> {
    let points: &[(f32, f32)] = match name {
        "triangle" => &[(0.5, 0.0), (1.0, 1.0), (0.0, 1.0)],
        "rtTriangle" => &[(0.0, 0.0), (1.0, 1.0), (0.0, 1.0)],
        "diamond" => &[(0.5, 0.0), (1.0, 0.5), (0.5, 1.0), (0.0, 0.5)],
        "parallelogram" => &[(0.25, 0.0), (1.0, 0.0), (0.75, 1.0), (0.0, 1.0)],
        "trapezoid" => &[(0.25, 0.0), (0.75, 0.0), (1.0, 1.0), (0.0, 1.0)],
        "pentagon" => &[(0.5, 0.0), (1.0, 0.38), (0.81, 1.0), (0.19, 1.0), (0.0, 0.38)],
        "hexagon" => &[(0.25, 0.0), (0.75, 0.0), (1.0, 0.5), (0.75, 1.0), (0.25, 1.0), (0.0, 0.5)],
        "octagon" => &[(0.29, 0.0), (0.71, 0.0), (1.0, 0.29), (1.0, 0.71), (0.71, 1.0), (0.29, 1.0), (0.0, 0.71), (0.0, 0.29)],
        "homePlate" => &[(0.0, 0.0), (0.8, 0.0), (1.0, 0.5), (0.8, 1.0), (0.0, 1.0)],
        "chevron" => &[(0.0, 0.0), (0.8, 0.0), (1.0, 0.5), (0.8, 1.0), (0.0, 1.0), (0.2, 0.5)],
        "rightArrow" => &[(0.0, 0.25), (0.5, 0.25), (0.5, 0.0), (1.0, 0.5), (0.5, 1.0), (0.5, 0.75), (0.0, 0.75)],
        "leftArrow" => &[(1.0, 0.25), (0.5, 0.25), (0.5, 0.0), (0.0, 0.5), (0.5, 1.0), (0.5, 0.75), (1.0, 0.75)],
        "upArrow" => &[(0.25, 1.0), (0.25, 0.5), (0.0, 0.5), (0.5, 0.0), (1.0, 0.5), (0.75, 0.5), (0.75, 1.0)],
        "downArrow" => &[(0.25, 0.0), (0.25, 0.5), (0.0, 0.5), (0.5, 1.0), (1.0, 0.5), (0.75, 0.5), (0.75, 0.0)],
        "star5" => &[(0.5, 0.0), (0.62, 0.38), (1.0, 0.38), (0.69, 0.62), (0.81, 1.0), (0.5, 0.76), (0.19, 1.0), (0.31, 0.62), (0.0, 0.38), (0.38, 0.38)],
        _ => return None,
    };
    Some(Geometry::Polygon(points.to_vec()))
}
