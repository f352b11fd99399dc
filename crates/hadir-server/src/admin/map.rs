//! A unit's check-in locations drawn to scale as a small inline SVG: each geofence as a circle
//! of its radius around its point, with a scale bar. No tiles and no links, so it works offline;
//! the coordinates themselves are printed beside it.

/// One location to draw.
pub struct Spot<'a> {
    pub name: &'a str,
    pub lat: f64,
    pub lon: f64,
    pub radius_m: f64,
}

const W: f64 = 220.0;
const H: f64 = 140.0;
const PAD: f64 = 8.0;
/// Metres per degree of latitude (and of longitude at the equator), near enough for a sketch.
const M_PER_DEG: f64 = 111_320.0;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The largest "round" length (1, 2 or 5 × 10ⁿ metres) not above `max`.
fn round_length(max: f64) -> f64 {
    if !(max.is_finite() && max > 0.0) {
        return 1.0;
    }
    let p = 10f64.powf(max.log10().floor());
    [5.0, 2.0, 1.0].into_iter().map(|k| k * p).find(|v| *v <= max).unwrap_or(p)
}

fn length_label(m: f64) -> String {
    if m >= 1000.0 { format!("{} km", m / 1000.0) } else { format!("{m} m") }
}

/// The SVG, or an empty string when there is nothing to draw.
pub fn locations_svg(spots: &[Spot]) -> String {
    let spots: Vec<&Spot> =
        spots.iter().filter(|s| s.lat.is_finite() && s.lon.is_finite() && s.radius_m.is_finite()).collect();
    if spots.is_empty() {
        return String::new();
    }
    let lat0 = spots.iter().map(|s| s.lat).sum::<f64>() / spots.len() as f64;
    let lon0 = spots.iter().map(|s| s.lon).sum::<f64>() / spots.len() as f64;
    let k = lat0.to_radians().cos();
    // Local metres east (x) and north (y) of the centre.
    let pts: Vec<(f64, f64, f64)> = spots
        .iter()
        .map(|s| ((s.lon - lon0) * M_PER_DEG * k, (s.lat - lat0) * M_PER_DEG, s.radius_m.max(1.0)))
        .collect();
    let min_x = pts.iter().map(|(x, _, r)| x - r).fold(f64::INFINITY, f64::min);
    let max_x = pts.iter().map(|(x, _, r)| x + r).fold(f64::NEG_INFINITY, f64::max);
    let min_y = pts.iter().map(|(_, y, r)| y - r).fold(f64::INFINITY, f64::min);
    let max_y = pts.iter().map(|(_, y, r)| y + r).fold(f64::NEG_INFINITY, f64::max);
    let scale = ((W - 2.0 * PAD) / (max_x - min_x)).min((H - 2.0 * PAD - 14.0) / (max_y - min_y));
    let cx = (min_x + max_x) / 2.0;
    let cy = (min_y + max_y) / 2.0;
    let to_px = |x: f64, y: f64| (W / 2.0 + (x - cx) * scale, (H - 14.0) / 2.0 - (y - cy) * scale);
    let mut out = format!(
        r##"<svg class="map" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" aria-label="Sketsa lokasi dan radiusnya"><rect width="{W}" height="{H}" fill="#f6f8fa" stroke="#d8dee4"/>"##
    );
    for (s, (x, y, r)) in spots.iter().zip(&pts) {
        let (px, py) = to_px(*x, *y);
        out.push_str(&format!(
            r##"<g><title>{name}: {lat:.6}, {lon:.6} · radius {rad:.0} m</title><circle cx="{px:.1}" cy="{py:.1}" r="{pr:.1}" fill="#2f81f733" stroke="#2f81f7"/><circle cx="{px:.1}" cy="{py:.1}" r="2" fill="#0b3d91"/></g>"##,
            name = esc(s.name),
            lat = s.lat,
            lon = s.lon,
            rad = s.radius_m,
            pr = r * scale,
        ));
    }
    // Scale bar: a round length no wider than a third of the drawing.
    let bar_m = round_length((W / 3.0) / scale);
    let bar_px = bar_m * scale;
    let y = H - 7.0;
    out.push_str(&format!(
        r##"<line x1="{PAD}" y1="{y}" x2="{x2:.1}" y2="{y}" stroke="#333" stroke-width="2"/><text x="{tx:.1}" y="{ty}" font-size="9" fill="#333">{label}</text><text x="{nx}" y="12" font-size="9" fill="#333">U ↑</text></svg>"##,
        x2 = PAD + bar_px,
        tx = PAD + bar_px + 4.0,
        ty = y + 3.0,
        label = length_label(bar_m),
        nx = W - 24.0,
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_lengths() {
        assert_eq!(round_length(73.0), 50.0);
        assert_eq!(round_length(180.0), 100.0);
        assert_eq!(round_length(2500.0), 2000.0);
        assert_eq!(length_label(2000.0), "2 km");
        assert_eq!(length_label(50.0), "50 m");
    }

    #[test]
    fn one_location_fills_the_sketch_and_names_are_escaped() {
        let svg = locations_svg(&[Spot { name: "Kantor <A>", lat: -0.5, lon: 117.15, radius_m: 100.0 }]);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("Kantor &lt;A&gt;: -0.500000, 117.150000 · radius 100 m"));
        assert!(!svg.contains("http"), "no external resources");
        // The 100 m circle is as tall as the drawing allows (110 px ⇒ radius 55 px).
        assert!(svg.contains(r#"r="55.0""#), "{svg}");
        assert_eq!(locations_svg(&[]), "");
    }

    #[test]
    fn two_locations_keep_their_distance_to_scale() {
        // 0.01° of latitude ≈ 1.1 km apart, 100 m radii: the circles are far smaller than the gap.
        let svg = locations_svg(&[
            Spot { name: "A", lat: -0.50, lon: 117.15, radius_m: 100.0 },
            Spot { name: "B", lat: -0.51, lon: 117.15, radius_m: 100.0 },
        ]);
        let radii: Vec<f64> = svg
            .split("<circle ")
            .skip(1)
            .filter_map(|c| c.split(" r=\"").nth(1)?.split('"').next()?.parse().ok())
            .collect();
        assert!(radii[0] < 10.0, "{svg}");
        assert!(svg.contains(">500 m<") || svg.contains(">200 m<") || svg.contains(">1 km<"), "{svg}");
    }
}
