//! Great-circle distance for geofences.

use serde::{Deserialize, Serialize};

/// Mean Earth radius in metres (IUGG), the usual choice for haversine.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    pub lat: f64,
    pub lon: f64,
}

impl GeoPoint {
    pub fn new(lat: f64, lon: f64) -> Self {
        Self { lat, lon }
    }

    /// Latitude in [-90, 90], longitude in [-180, 180], both finite.
    pub fn is_valid(&self) -> bool {
        self.lat.is_finite()
            && self.lon.is_finite()
            && (-90.0..=90.0).contains(&self.lat)
            && (-180.0..=180.0).contains(&self.lon)
    }
}

/// Haversine distance in metres between two points.
pub fn distance_m(a: GeoPoint, b: GeoPoint) -> f64 {
    let (la1, la2) = (a.lat.to_radians(), b.lat.to_radians());
    let dlat = la2 - la1;
    let dlon = (b.lon - a.lon).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// The point `metres` north of `p` (used by tests and the demo to place people near an office).
pub fn offset_north(p: GeoPoint, metres: f64) -> GeoPoint {
    GeoPoint::new(p.lat + (metres / EARTH_RADIUS_M).to_degrees(), p.lon)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_distance() {
        let p = GeoPoint::new(-0.5022, 117.1536);
        assert!(distance_m(p, p) < 1e-6);
    }

    #[test]
    fn known_distance_jakarta_bandung() {
        // Monas to Gedung Sate, about 119 km (80.8 km south, 87.3 km east) as the crow flies.
        let monas = GeoPoint::new(-6.1754, 106.8272);
        let sate = GeoPoint::new(-6.9025, 107.6188);
        let d = distance_m(monas, sate);
        assert!((118_500.0..119_700.0).contains(&d), "{d}");
    }

    #[test]
    fn offset_north_is_accurate() {
        let p = GeoPoint::new(-8.65, 115.22);
        for m in [1.0, 99.0, 101.0, 1000.0] {
            let d = distance_m(p, offset_north(p, m));
            assert!((d - m).abs() < 0.01, "{m} -> {d}");
        }
    }

    #[test]
    fn validity() {
        assert!(GeoPoint::new(0.0, 0.0).is_valid());
        assert!(!GeoPoint::new(91.0, 0.0).is_valid());
        assert!(!GeoPoint::new(f64::NAN, 0.0).is_valid());
    }
}
