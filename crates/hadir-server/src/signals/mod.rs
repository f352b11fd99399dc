//! Fraud signals (issue 23), computed **after commit, off the check-in path**: a background
//! analyser reads the punches after its durable marker (`signal_cursor`) in id order, measures
//! each selfie (`photo.rs`: near-duplicate dHash of any earlier selfie, non-camera pictures) and
//! each position (`hadir_domain::signals`: impossible travel, identical coordinates on another
//! day, exactly the office centre, mock-like accuracy), and writes the signals, the photo prints
//! and the holds with the marker in one transaction. A signal never refuses a punch: a counted
//! punch goes to the review queue (`hold = pending`, reason `signal`, the labels as the
//! employee's reason) and its day is recomputed. Nothing is lost on restart (the marker is in
//! the database) and nothing is analysed twice (the marker moves by compare-and-set, so two
//! PostgreSQL instances never both write a batch).
//!
//! The rush comes first: while more than `busy_per_sec` punches a second are being committed
//! the analyser waits (at most `max_defer_secs`), then drains the backlog in batches.

pub mod device;
pub mod embed;
pub mod face;
pub mod photo;

use crate::ingest::CommitHook;
use crate::state::AppState;
use hadir_domain::GeoPoint;
use hadir_domain::signals::{Fix, PlaceRules, place_signals};
use hadir_store::{Analysis, Id, NewSignal, PhotoPrint, Punch, Store};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Settings `[server.signals]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SignalConfig {
    /// Run the analyser.
    pub enabled: bool,
    /// Put a counted punch with a signal in the review queue (off: signals are only recorded).
    pub hold: bool,
    /// Punches per analysed batch (one transaction).
    pub batch: u32,
    /// How often an idle analyser looks for new punches (ms).
    pub poll_ms: u64,
    /// Above this many committed punches per second the analyser waits for the rush to pass
    /// (0: never waits).
    pub busy_per_sec: u64,
    /// It waits at most this long before analysing a batch anyway.
    pub max_defer_secs: u64,
    /// Two selfies whose 64-bit dHashes differ in at most this many bits are near-duplicates.
    pub photo_similar_bits: u32,
    /// A selfie narrower or lower than this (pixels) is not a camera's picture.
    pub photo_min_side: u32,
    /// A selfie whose grey levels vary less than this (standard deviation, 0–255) is blank.
    pub photo_min_contrast: f64,
    /// A selfie whose grey-level entropy is below this (bits, 0–8) is not a camera's picture.
    pub photo_min_entropy: f64,
    /// Selfie prints kept in memory for the near-duplicate search (the most recent ones).
    pub photo_index_max: usize,
    /// How far back a person's positions are read for the place signals (days).
    pub history_days: u32,
    pub max_speed_kmh: f64,
    pub min_travel_m: f64,
    pub centre_m: f64,
    pub same_position_decimals: u32,
    /// The same whole-number GPS accuracy this many times in a row is flagged (0: off).
    pub mock_accuracy_repeats: usize,
    /// Flag app check-ins that carry no device signature (older apps; off by default).
    pub require_device_key: bool,
    /// Count the faces on each selfie (`face_none`, `face_several`; needs the `face` build
    /// feature, on by default).
    pub faces: bool,
    /// A detection scoring below this (0–1) is not a face.
    pub face_min_score: f32,
    /// Two detections overlapping more than this (intersection over union) are one face.
    pub face_max_overlap: f32,
    /// A selfie whose face's cosine similarity to the employee's reference face is below this
    /// (0–1) raises `face_mismatch` (only for employees with a reference face).
    pub face_min_similarity: f32,
    /// Threads that decode and look at the selfies of a batch (0: one per core). The analyser
    /// waits while a rush commits punches, so after it the backlog may use every core.
    pub threads: usize,
}

impl Default for SignalConfig {
    fn default() -> Self {
        let place = PlaceRules::default();
        SignalConfig {
            enabled: true,
            hold: true,
            batch: 200,
            poll_ms: 1000,
            busy_per_sec: 50,
            max_defer_secs: 600,
            photo_similar_bits: 4,
            photo_min_side: 120,
            photo_min_contrast: 4.0,
            photo_min_entropy: 3.0,
            photo_index_max: 1_000_000,
            history_days: 14,
            max_speed_kmh: place.max_speed_kmh,
            min_travel_m: place.min_travel_m,
            centre_m: place.centre_m,
            same_position_decimals: place.same_position_decimals,
            mock_accuracy_repeats: place.mock_accuracy_repeats,
            require_device_key: false,
            faces: true,
            face_min_score: 0.6,
            face_max_overlap: 0.3,
            face_min_similarity: 0.6,
            threads: 0,
        }
    }
}

impl SignalConfig {
    pub fn place_rules(&self) -> PlaceRules {
        PlaceRules {
            max_speed_kmh: self.max_speed_kmh,
            min_travel_m: self.min_travel_m,
            centre_m: self.centre_m,
            same_position_decimals: self.same_position_decimals,
            mock_accuracy_repeats: self.mock_accuracy_repeats,
        }
    }
}

/// A signal kind in words the employee and the reviewer read.
pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        "photo_similar" => "swafoto sangat mirip swafoto absen lain",
        "photo_not_camera" => "foto tidak seperti hasil kamera",
        "photo_unreadable" => "foto tidak dapat dibaca",
        "impossible_travel" => "perpindahan lokasi yang tidak mungkin",
        "same_position" => "koordinat sama persis dengan absen hari lain",
        "at_centre" => "posisi tepat di titik pusat lokasi absen",
        "mock_accuracy" => "akurasi GPS khas lokasi palsu",
        "new_device" => "perangkat baru yang belum disetujui operator",
        "shared_device" => "perangkat yang sama dipakai pegawai lain pada hari yang sama",
        "device_signature_invalid" => "tanda tangan perangkat tidak sah",
        "no_device_key" => "absen tanpa kunci perangkat",
        "face_none" => "tidak ada wajah pada swafoto",
        "face_several" => "lebih dari satu wajah pada swafoto",
        "face_mismatch" => "wajah tidak mirip dengan foto acuan",
        _ => "tanda lain",
    }
}

/// What the check-in path shares with the analyser: a count of committed punches, so the
/// analyser knows when the rush is on.
#[derive(Clone, Default)]
pub struct Signals {
    committed: Arc<AtomicU64>,
    /// Device proofs of check-ins not analysed yet (see `device.rs`).
    pub proofs: Arc<device::Proofs>,
    /// The face detector and embedder, loaded once on first use (by the analyser or an
    /// enrolment) and shared; `None` inside when they cannot be had.
    models: Arc<tokio::sync::OnceCell<Option<Arc<embed::FaceModels>>>>,
}

impl Signals {
    /// Wraps the ingest's commit hook to count committed punches.
    pub fn counting(&self, inner: CommitHook) -> CommitHook {
        let committed = self.committed.clone();
        Arc::new(move |ps| {
            committed.fetch_add(ps.len() as u64, Ordering::Relaxed);
            inner(ps)
        })
    }
}

impl Signals {
    /// The face models, built once (off the runtime's threads) and shared; `None` (said in the
    /// log once) when they cannot be had.
    pub async fn face_models(&self) -> Option<Arc<embed::FaceModels>> {
        self.models
            .get_or_init(|| async {
                match tokio::task::spawn_blocking(embed::FaceModels::load).await {
                    Ok(Ok(m)) => {
                        tracing::info!("face signals on (BlazeFace short range and HSE faceres, embedded)");
                        Some(Arc::new(m))
                    }
                    Ok(Err(e)) => {
                        tracing::warn!(error = %e, "face signals off: the face models are not available");
                        None
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "face signals off: loading the face models failed");
                        None
                    }
                }
            })
            .await
            .clone()
    }
}

/// Starts the analyser (needs a Tokio runtime).
pub fn start(s: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let faces = if s.config.signals.faces { s.signals.face_models().await } else { None };
        let mut a = Analyser { hold_hook: s.recompute.commit_hook(), s, index: Vec::new(), loaded: None, faces };
        a.run().await
    })
}

struct Analyser {
    s: AppState,
    hold_hook: CommitHook,
    /// Prints of analysed selfies, oldest first.
    index: Vec<PhotoPrint>,
    /// Prints of punches up to this id are in `index` (`None`: not loaded yet).
    loaded: Option<Id>,
    /// The face models, when face signals are on.
    faces: Option<Arc<embed::FaceModels>>,
}

impl Analyser {
    async fn run(&mut self) {
        let cfg = self.s.config.signals.clone();
        let poll = Duration::from_millis(cfg.poll_ms.max(10));
        let mut sample = (Instant::now(), self.s.signals.committed.load(Ordering::Relaxed));
        let mut rate = 0.0;
        let mut deferred: Option<Instant> = None;
        loop {
            let now = Instant::now();
            if now.duration_since(sample.0) >= Duration::from_secs(1) {
                let c = self.s.signals.committed.load(Ordering::Relaxed);
                rate = (c - sample.1) as f64 / now.duration_since(sample.0).as_secs_f64();
                sample = (now, c);
            }
            if cfg.busy_per_sec > 0 && rate > cfg.busy_per_sec as f64 {
                let since = *deferred.get_or_insert(now);
                if now.duration_since(since) < Duration::from_secs(cfg.max_defer_secs) {
                    tokio::time::sleep(poll).await;
                    continue;
                }
            }
            deferred = None;
            match self.step(&cfg).await {
                Ok(n) if n >= cfg.batch as usize => tokio::task::yield_now().await,
                Ok(_) => tokio::time::sleep(poll).await,
                Err(e) => {
                    tracing::warn!(error = %e, "fraud signal analysis failed; retrying");
                    tokio::time::sleep(poll.max(Duration::from_secs(5))).await;
                }
            }
        }
    }

    /// Analyses the next batch; returns how many punches it covered.
    async fn step(&mut self, cfg: &SignalConfig) -> Result<usize, hadir_store::StoreError> {
        let store = self.s.store.clone();
        let from = store.signal_cursor().await?;
        let punches = store.punches_after(from, cfg.batch.max(1)).await?;
        let Some(to) = punches.last().map(|p| p.id) else {
            metrics::gauge!("hadir_signal_backlog").set(0.0);
            return Ok(0);
        };
        self.catch_up(cfg, from).await?;
        let mut a = analyse(&self.s, cfg, &self.index, self.faces.clone(), &punches).await?;
        a.from = from;
        a.to = to;
        if let Some(held) = store.record_analysis(&a).await? {
            for s in &a.signals {
                metrics::counter!("hadir_signals_total", "kind" => s.kind.clone()).increment(1);
            }
            if !held.is_empty() {
                (self.hold_hook)(&held);
            }
            self.index.extend(a.prints);
            self.loaded = Some(to);
            self.trim(cfg);
        }
        metrics::gauge!("hadir_signal_cursor").set(to as f64);
        Ok(punches.len())
    }

    /// Loads the prints stored since the index was last filled (by this or another instance).
    async fn catch_up(&mut self, cfg: &SignalConfig, cursor: Id) -> Result<(), hadir_store::StoreError> {
        let after = match self.loaded {
            Some(l) => l,
            // First time: the most recent prints only (punch ids approximate their number).
            None => cursor.saturating_sub(cfg.photo_index_max as Id * 4).max(0),
        };
        let more = self.s.store.photo_prints_after(after).await?;
        if let Some(last) = more.last() {
            self.loaded = Some(last.punch_id.max(cursor));
        } else {
            self.loaded = Some(after.max(cursor));
        }
        self.index.extend(more);
        self.trim(cfg);
        Ok(())
    }

    fn trim(&mut self, cfg: &SignalConfig) {
        if self.index.len() > cfg.photo_index_max {
            let cut = self.index.len() - cfg.photo_index_max;
            self.index.drain(..cut);
        }
    }
}

/// The signals of one batch (pure reads; nothing written).
async fn analyse(
    s: &AppState,
    cfg: &SignalConfig,
    index: &[PhotoPrint],
    faces: Option<Arc<embed::FaceModels>>,
    punches: &[Punch],
) -> Result<Analysis, hadir_store::StoreError> {
    let mut a = Analysis { hold: cfg.hold, ..Default::default() };
    let live = |p: &&Punch| !p.p.quarantined && p.p.employee_id.is_some();

    // Photos: read each selfie; they are decoded on `threads` blocking threads below.
    let mut photos = Vec::new();
    for p in punches.iter().filter(live).filter(|p| p.p.source.is_selfie() && p.photo_purged_at.is_none()) {
        let Some(hash) = &p.p.photo_hash else { continue };
        match s.blob.get("photos", hash).await {
            Ok(bytes) => photos.push((p.id, p.p.employee_id, bytes)),
            Err(e) => {
                tracing::warn!(punch = p.id, error = %e, "fraud signals: selfie not readable from the blob store")
            }
        }
    }
    // Reference faces of the batch's employees (only those are embedded: one per selfie).
    let mut references: HashMap<Id, embed::Embedding> = HashMap::new();
    if faces.is_some() && !photos.is_empty() {
        let mut ids: Vec<Id> = photos.iter().filter_map(|(_, e, _)| *e).collect();
        ids.sort_unstable();
        ids.dedup();
        for r in s.store.reference_faces_of(&ids).await? {
            match embed::from_bytes(&r.embedding).filter(|_| r.model == embed::MODEL) {
                Some(e) => {
                    references.insert(r.employee_id, e);
                }
                None => {
                    tracing::warn!(employee = r.employee_id, model = %r.model, "reference face of another model; not compared")
                }
            }
        }
    }
    let max_pixels = s.config.checkin.max_image_pixels;
    let (min_score, max_overlap) = (cfg.face_min_score, cfg.face_max_overlap);
    // Face detection and embedding cost up to ~0.1 s a selfie: split the batch over threads,
    // each a contiguous share, and put the results back in the batch's order.
    let threads = match cfg.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let share = photos.len().div_ceil(threads.max(1)).max(1);
    let references = Arc::new(references);
    let mut parts = Vec::new();
    let mut photos = photos.into_iter();
    loop {
        let part: Vec<_> = photos.by_ref().take(share).collect();
        if part.is_empty() {
            break;
        }
        let (faces, references) = (faces.clone(), references.clone());
        parts.push(tokio::task::spawn_blocking(move || {
            part.into_iter()
                .map(|(id, e, b)| {
                    let img = photo::decode(&b, max_pixels);
                    let reference = e.and_then(|e| references.get(&e));
                    let found = match (&faces, &img) {
                        (Some(m), Some(img)) => match m.see(img, min_score, max_overlap, reference.is_some()) {
                            Ok(seen) => {
                                let similarity =
                                    seen.embedding.as_deref().zip(reference).map(|(a, r)| embed::cosine(a, r));
                                Some((seen.faces, similarity))
                            }
                            Err(err) => {
                                tracing::warn!(punch = id, error = %err, "fraud signals: face detection failed");
                                None
                            }
                        },
                        _ => None,
                    };
                    (id, e, img.as_ref().map(photo::measure), found)
                })
                .collect::<Vec<_>>()
        }));
    }
    let mut measured = Vec::new();
    for part in parts {
        measured.extend(part.await.map_err(|e| hadir_store::StoreError::Backend(e.to_string()))?);
    }
    for (id, employee_id, facts, found) in measured {
        let signal = |kind: &str, detail: String, score: Option<f64>| NewSignal {
            punch_id: id,
            employee_id,
            kind: kind.into(),
            detail,
            score,
        };
        let Some(f) = facts else {
            a.signals.push(signal("photo_unreadable", "Foto tidak dapat dibuka sebagai gambar.".into(), None));
            continue;
        };
        let (found, similarity) = match found {
            Some((f, sim)) => (Some(f), sim),
            None => (None, None),
        };
        match found.as_deref() {
            Some([]) => a.signals.push(signal("face_none", "Tidak ada wajah pada swafoto.".into(), None)),
            Some(several @ [_, _, ..]) => {
                let detail = format!("Lebih dari satu wajah pada swafoto ({} wajah).", several.len());
                a.signals.push(signal("face_several", detail, Some(several.len() as f64)));
            }
            _ => {}
        }
        if let Some(sim) = similarity.filter(|sim| *sim < cfg.face_min_similarity) {
            let detail = format!("Wajah tidak mirip dengan foto acuan ({}).", decimal_comma(sim));
            a.signals.push(signal("face_mismatch", detail, Some((f64::from(sim) * 1000.0).round() / 1000.0)));
        }
        let mut why = Vec::new();
        if f.width.min(f.height) < cfg.photo_min_side {
            why.push(format!("berukuran {}×{} piksel", f.width, f.height));
        }
        if f.luma_std < cfg.photo_min_contrast {
            why.push(format!("polos (kontras {:.1})", f.luma_std));
        } else if f.entropy < cfg.photo_min_entropy {
            why.push(format!("hampir tanpa detail (entropi {:.1} bit)", f.entropy));
        }
        if !why.is_empty() {
            let detail = format!("Foto {}: bukan seperti hasil kamera.", why.join(", "));
            a.signals.push(signal("photo_not_camera", detail, Some(f.entropy)));
        }
        let nearest = index
            .iter()
            .chain(a.prints.iter())
            .filter(|q| q.punch_id != id)
            .map(|q| (photo::distance(q.dhash, f.dhash), q.punch_id))
            .min();
        if let Some((bits, other)) = nearest.filter(|(bits, _)| *bits <= cfg.photo_similar_bits) {
            let detail = format!("Swafoto sangat mirip swafoto absen #{other} (beda {bits} dari 64 bit).");
            a.signals.push(signal("photo_similar", detail, Some(f64::from(bits))));
        }
        a.prints.push(PhotoPrint { punch_id: id, employee_id, dhash: f.dhash });
    }

    // Places: each positioned punch against the person's punches of the last days.
    let positioned: Vec<&Punch> = punches
        .iter()
        .filter(live)
        .filter(|p| p.position_purged_at.is_none() && p.p.lat.is_some() && p.p.lon.is_some())
        .collect();
    if !positioned.is_empty() {
        let mut ids: Vec<Id> = positioned.iter().filter_map(|p| p.p.employee_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let zones: HashMap<Id, jiff::tz::TimeZone> = s
            .store
            .employees_by_ids(&ids)
            .await?
            .into_iter()
            .map(|e| (e.id, hadir_domain::unit_zone(&e.timezone).unwrap_or_else(|_| s.config.regency_zone())))
            .collect();
        let first = positioned.iter().map(|p| p.p.punched_at).min().unwrap_or_else(jiff::Timestamp::now);
        let last = positioned.iter().map(|p| p.p.punched_at).max().unwrap_or(first);
        let back = jiff::SignedDuration::from_hours(24 * i64::from(cfg.history_days));
        let history = s
            .store
            .punches_of(
                &ids,
                first.checked_sub(back).unwrap_or(first),
                last.checked_add(jiff::SignedDuration::from_millis(1)).unwrap_or(last),
            )
            .await?;
        let fix = |p: &Punch| -> Option<(Id, Fix)> {
            let e = p.p.employee_id?;
            if p.p.quarantined || p.position_purged_at.is_some() {
                return None;
            }
            let tz = zones.get(&e).cloned().unwrap_or_else(|| s.config.regency_zone());
            Some((
                e,
                Fix {
                    id: p.id,
                    at: p.p.punched_at,
                    day: tz.to_datetime(p.p.punched_at).date(),
                    point: GeoPoint::new(p.p.lat?, p.p.lon?),
                    accuracy_m: p.p.accuracy_m,
                    distance_m: p.p.distance_m,
                },
            ))
        };
        let mut by_employee: HashMap<Id, Vec<Fix>> = HashMap::new();
        for (e, f) in history.iter().filter_map(fix) {
            by_employee.entry(e).or_default().push(f);
        }
        let rules = cfg.place_rules();
        for p in positioned {
            let Some((e, f)) = fix(p) else { continue };
            let earlier = by_employee.get(&e).map(Vec::as_slice).unwrap_or(&[]);
            for sig in place_signals(&f, earlier, &rules) {
                a.signals.push(NewSignal {
                    punch_id: p.id,
                    employee_id: Some(e),
                    kind: sig.kind().into(),
                    detail: sig.detail(),
                    score: Some(sig.score()),
                });
            }
        }
    }

    device::analyse(s, cfg, punches, &mut a).await?;

    // The employee's reason per flagged punch: the kinds' labels, never another person's punch.
    let mut kinds: BTreeMap<Id, Vec<&str>> = BTreeMap::new();
    for sig in &a.signals {
        let v = kinds.entry(sig.punch_id).or_default();
        let label = kind_label(&sig.kind);
        if !v.contains(&label) {
            v.push(label);
        }
    }
    a.reasons = kinds.into_iter().map(|(id, labels)| (id, format!("Diperiksa karena {}", labels.join("; ")))).collect();
    a.at = Some(jiff::Timestamp::now());
    Ok(a)
}

/// A similarity as an Indonesian reader writes it: two decimals, decimal comma (`0,41`).
pub fn decimal_comma(v: f32) -> String {
    format!("{v:.2}").replace('.', ",")
}

/// For the console and tests: where the analyser stands.
pub async fn backlog(store: &Arc<dyn Store>) -> Result<(Id, i64), hadir_store::StoreError> {
    store.signal_backlog().await
}
