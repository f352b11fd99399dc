//! `hadir loadgen`: the morning-rush benchmark. Seeds N employees (each with a session, as phones
//! stay logged in), starts a server on the seeded data, measures the server's `/healthz` rate
//! with the same connection count, then has every employee check in once with a ~30 KB selfie as
//! fast as C connections allow (503 → wait Retry-After, same key), and finally verifies through
//! the API that every acknowledged check-in is stored exactly once.

use anyhow::{Context, Result, bail};
use hadir_domain::nip::make_pns;
use hadir_store::{Audit, Category, NewEmployee, NewLocation, NewUnit, Store};
use jiff::civil::date;
use reqwest::Client;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

#[derive(clap::Args, Debug, Clone)]
pub struct LoadgenArgs {
    /// Employees to seed; each checks in once.
    #[arg(long, default_value_t = 20_000)]
    pub employees: usize,
    /// Concurrent connections.
    #[arg(long, default_value_t = 256)]
    pub concurrency: usize,
    /// Seconds to measure the /healthz baseline.
    #[arg(long, default_value_t = 3)]
    pub healthz_secs: u64,
    /// Keep the data directory (default: a temporary one, removed at the end).
    #[arg(long)]
    pub keep: Option<PathBuf>,
    /// Extra arguments for the server process (e.g. `--config bench.toml`).
    #[arg(long, allow_hyphen_values = true)]
    pub server_args: Vec<String>,
    /// Durability under fire: kill the server with SIGKILL once this many check-ins are
    /// acknowledged, restart it on the same data, and let the phones retry (same keys).
    #[arg(long)]
    pub crash_after: Option<usize>,
    /// Soak instead of burst: check-ins per second, held for `--soak-secs` (employees cycle,
    /// each check-in with a new key).
    #[arg(long)]
    pub soak_rate: Option<u32>,
    /// Soak duration in seconds.
    #[arg(long, default_value_t = 1800)]
    pub soak_secs: u64,
    /// A login morning: before the rush every employee logs in with their password (one
    /// argon2id hash each, from their own address behind a trusted proxy), and the rush uses
    /// the tokens those logins returned.
    #[arg(long)]
    pub login_storm: bool,
    /// A busy day: each employee checks in this many times (fresh key each, as a retry storm
    /// or a buggy client produces); jobs interleave people, so one person's punches overlap.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub punches_per_employee: u32,
    /// Face verification's worst case: every employee gets a reference face (one photo of a
    /// person, enrolled for all) and every selfie is another photo of that person, so the
    /// analyser detects and embeds a face for every check-in.
    #[arg(long)]
    pub faces: bool,
    /// Give up waiting for the fraud-signal backlog to drain after this many seconds.
    #[arg(long, default_value_t = 600)]
    pub drain_limit_secs: u64,
}

/// Two photos of the same person (public domain, see hadir-server's
/// `tests/fixtures/face/README-embedder.md`): the reference and the selfie of `--faces`.
const FACE_REFERENCE: &[u8] = include_bytes!("../../hadir-server/tests/fixtures/face/same_a.jpg");
const FACE_SELFIE: &[u8] = include_bytes!("../../hadir-server/tests/fixtures/face/same_b.jpg");

struct Person {
    token: String,
    nip: String,
    lat: f64,
    lon: f64,
}

/// Units spread over the three zones; everyone checks in at their own office.
const OFFICES: &[(&str, &str, f64, f64)] = &[
    ("LG-WIB", "Asia/Jakarta", -6.2, 106.82),
    ("LG-WITA", "Asia/Makassar", -0.5, 117.15),
    ("LG-WIT", "Asia/Jayapura", -2.53, 140.72),
];

/// The reference embedding `--faces` enrols for everyone, computed as enrolment does.
fn reference_embedding() -> Result<Vec<u8>> {
    use hadir_server::signals::{embed, photo};
    let models = embed::FaceModels::load().map_err(|e| anyhow::anyhow!("face models: {e}"))?;
    let img = photo::decode(FACE_REFERENCE, 40_000_000).context("decode the reference photo")?;
    let defaults = hadir_server::signals::SignalConfig::default();
    let e = models
        .embed(&img, defaults.face_min_score, defaults.face_max_overlap)
        .map_err(|e| anyhow::anyhow!("embed: {e}"))?
        .context("no face on the reference photo")?;
    Ok(embed::to_bytes(&e))
}

async fn seed(store: &dyn Store, n: usize, faces: bool) -> Result<Vec<Person>> {
    let reference = if faces { Some(reference_embedding()?) } else { None };
    let audit = || Audit::new((None, "loadgen"), "seed", "loadgen", "-");
    for (code, tz, lat, lon) in OFFICES {
        let u = NewUnit {
            code: code.to_string(),
            name: format!("Unit uji beban {code}"),
            parent_code: None,
            timezone: tz.to_string(),
            locations: vec![NewLocation { name: format!("Kantor {code}"), lat: *lat, lon: *lon, radius_m: 150.0 }],
        };
        store.create_unit(&u, audit()).await?;
    }
    let hash = hadir_server::auth::password::hash("loadgen-pw".into()).await;
    let expires = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24);
    let mut people = Vec::with_capacity(n);
    for i in 0..n {
        let (code, _, lat, lon) = OFFICES[i % OFFICES.len()];
        // Distinct valid NIPs: vary birth date and sequence.
        let birth = date(1970 + (i / 27_000) as i16, 1 + ((i / 999) % 12) as i8, 1 + ((i / (999 * 12)) % 28) as i8);
        let nip = make_pns(birth, (2000, 1), i % 2 == 0, (i % 999 + 1) as u16);
        let e = NewEmployee {
            nip: Some(nip.clone()),
            login: nip.clone(),
            name: format!("Pegawai Uji {i}"),
            category: Category::Pns,
            unit_code: code.into(),
            position: None,
            tpp_base: None,
            device_pin: None,
            start_date: None,
            password_hash: hash.clone(),
        };
        let emp = store.create_employee(&e, audit()).await?;
        if let Some(embedding) = &reference {
            let face = hadir_store::ReferenceFace {
                employee_id: emp.id,
                model: hadir_server::signals::embed::MODEL.into(),
                embedding: embedding.clone(),
                source: "upload".into(),
                punch_id: None,
                enrolled_by_account: None,
                enrolled_by: "loadgen".into(),
                enrolled_at: jiff::Timestamp::now(),
            };
            store.set_reference_face(&face, audit()).await?;
        }
        let token = hadir_server::auth::token::generate();
        store.create_session(&hadir_server::auth::token::hash(&token), emp.account_id, expires).await?;
        people.push(Person { token, nip, lat, lon });
    }
    Ok(people)
}

fn selfie() -> Vec<u8> {
    // Noise compresses badly, like a real photo: ~30 KB at 200×200, quality 85.
    let mut x: u32 = 12345;
    let img = image::RgbImage::from_fn(200, 200, |_, _| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        image::Rgb([(x & 0xFF) as u8, ((x >> 8) & 0xFF) as u8, ((x >> 16) & 0xFF) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85);
    img.write_with_encoder(enc).expect("encode JPEG");
    out.into_inner()
}

/// The selfie with a comment segment naming the check-in, so every check-in sends its own
/// bytes (the server refuses a photo already stored, as a copied file): a 30 KB copy each.
fn shot(photo: &bytes::Bytes, label: &str) -> bytes::Bytes {
    let mut out = Vec::with_capacity(photo.len() + label.len() + 4);
    out.extend_from_slice(&photo[..2]);
    out.extend_from_slice(&[0xFF, 0xFE]);
    out.extend_from_slice(&((label.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(label.as_bytes());
    out.extend_from_slice(&photo[2..]);
    out.into()
}

/// The server under test; restarted in place by `--crash-after`.
struct Server {
    data: PathBuf,
    extra: Vec<String>,
    envs: Vec<(String, String)>,
    child: std::sync::Mutex<Child>,
    base: std::sync::RwLock<String>,
    pid: std::sync::atomic::AtomicU32,
}

impl Server {
    fn start(data: &Path, extra: &[String], envs: &[(String, String)]) -> Result<Server> {
        let (child, base) = start_server(data, extra, envs)?;
        Ok(Server {
            data: data.to_path_buf(),
            extra: extra.to_vec(),
            envs: envs.to_vec(),
            pid: child.id().into(),
            child: child.into(),
            base: base.into(),
        })
    }

    fn base(&self) -> String {
        self.base.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn pid(&self) -> u32 {
        self.pid.load(Ordering::Relaxed)
    }

    /// SIGKILL (no shutdown, no flush), then a new process on the same data.
    fn kill_and_restart(&self) -> Result<()> {
        {
            let mut c = self.child.lock().unwrap_or_else(|p| p.into_inner());
            c.kill()?;
            c.wait()?;
        }
        let (child, base) = start_server(&self.data, &self.extra, &self.envs)?;
        self.pid.store(child.id(), Ordering::Relaxed);
        *self.base.write().unwrap_or_else(|p| p.into_inner()) = base;
        *self.child.lock().unwrap_or_else(|p| p.into_inner()) = child;
        Ok(())
    }

    fn stop(&self) {
        let mut c = self.child.lock().unwrap_or_else(|p| p.into_inner());
        let _ = c.kill();
        let _ = c.wait();
    }
}

fn start_server(data: &Path, extra: &[String], envs: &[(String, String)]) -> Result<(Child, String)> {
    let exe = std::env::current_exe()?;
    let mut child = Command::new(exe)
        .arg("--data")
        .arg(data)
        .args(extra)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("HADIR_LOG", "warn")
        .envs(envs.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().context("server stdout")?).read_line(&mut line)?;
    let base = line.trim().strip_prefix("listening on ").context("server did not start")?.to_string();
    Ok((child, base))
}

fn rss_kib(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find(|l| l.starts_with(key))?.split_whitespace().nth(1)?.parse().ok()
}

/// CPU time (user + system) a process has used so far, in ms (Linux clock ticks of 10 ms).
fn cpu_ms(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks * 10)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

async fn healthz_rate(client: &Client, base: &str, conc: usize, secs: u64) -> f64 {
    let done = Arc::new(AtomicUsize::new(0));
    let stop = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for _ in 0..conc {
        let (c, url, done) = (client.clone(), format!("{base}/healthz"), done.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < stop {
                if c.get(&url).send().await.map(|r| r.status().is_success()).unwrap_or(false) {
                    done.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    let started = Instant::now();
    for t in tasks {
        let _ = t.await;
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

/// Runs the benchmark on the embedded SQLite default, or on the (empty) PostgreSQL database
/// named by `--database-url postgres://…`.
pub async fn run(args: LoadgenArgs, database_url: Option<String>) -> Result<()> {
    let tmp;
    let data = match &args.keep {
        Some(d) => d.clone(),
        None => {
            tmp = tempdir()?;
            tmp.clone()
        }
    };
    if data.join("hadir.db").exists() {
        bail!("{} already has a database; use an empty directory", data.display());
    }
    std::fs::create_dir_all(&data)?;
    eprintln!("seeding {} employees with sessions into {} …", args.employees, data.display());
    let t = Instant::now();
    let store: Arc<dyn Store> = match &database_url {
        Some(url) if url.starts_with("postgres") => Arc::new(hadir_store_postgres::PgStore::connect(url).await?),
        Some(url) => bail!("loadgen runs on the embedded SQLite or on postgres://…, not {url}"),
        None => Arc::new(hadir_store_sqlite::SqliteStore::open(&data.join("hadir.db")).await?),
    };
    if store.count_employees().await? > 0 {
        bail!("the database already has employees; use an empty one");
    }
    let people = {
        let people = seed(store.as_ref(), args.employees, args.faces).await?;
        hadir_store::AccountStore::create_admin(
            store.as_ref(),
            "admin",
            "Admin",
            &hadir_server::auth::password::hash("loadgen-admin".into()).await,
        )
        .await?;
        people
    };
    drop(store);
    eprintln!("seeded in {:.1} s", t.elapsed().as_secs_f64());
    let mut server_args = args.server_args.clone();
    if let Some(url) = &database_url {
        server_args.extend(["--database-url".to_string(), url.clone()]);
    }
    // Phones log in from many addresses; in a login storm they arrive through a (pretend) proxy.
    let envs: Vec<(String, String)> =
        if args.login_storm { vec![("HADIR_SERVER__TRUST_FORWARDED_FOR".into(), "true".into())] } else { Vec::new() };
    let server = Server::start(&data, &server_args, &envs)?;
    let result = match args.soak_rate {
        Some(rate) => soak(&args, &server, &people, rate).await,
        None => burst(&args, &server, &people).await,
    };
    server.stop();
    if args.keep.is_none() {
        let _ = std::fs::remove_dir_all(&data);
    }
    result
}

fn tempdir() -> Result<PathBuf> {
    let p = std::env::temp_dir().join(format!("hadir-loadgen-{}", std::process::id()));
    std::fs::create_dir_all(&p)?;
    Ok(p)
}

/// What one check-in attempt came to.
enum Sent {
    Ok(f64),
    Retry(Duration),
    Failed(String),
}

async fn send_checkin(c: &Client, base: &str, token: &str, meta: &str, photo: &bytes::Bytes) -> Sent {
    let form = reqwest::multipart::Form::new().text("meta", meta.to_string()).part(
        "photo",
        reqwest::multipart::Part::stream(photo.clone()).file_name("selfie.jpg").mime_str("image/jpeg").expect("mime"),
    );
    let t = Instant::now();
    match c.post(format!("{base}/api/v1/checkins")).bearer_auth(token).multipart(form).send().await {
        Ok(r) if r.status().is_success() => {
            let _ = r.bytes().await;
            Sent::Ok(t.elapsed().as_secs_f64() * 1000.0)
        }
        Ok(r) if r.status().as_u16() == 503 => {
            let wait = r
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())
                .unwrap_or(1u64);
            Sent::Retry(Duration::from_secs(wait))
        }
        Ok(r) => {
            let st = r.status().as_u16();
            let body: Value = r.json().await.unwrap_or(Value::Null);
            Sent::Failed(format!("{st} {}", body["error"]["code"].as_str().unwrap_or("?")))
        }
        // The server is down (killed) or the connection broke: retry the same key.
        Err(e) => Sent::Retry(if e.is_timeout() { Duration::ZERO } else { Duration::from_millis(200) }),
    }
}

/// The check-in's `meta` part; `captured_at` when the photo was taken earlier than now.
fn meta_for(key: &str, lat: f64, lon: f64, captured_at: Option<jiff::Timestamp>) -> String {
    let mut meta = json!({"idempotency_key": key, "lat": lat, "lon": lon, "accuracy_m": 10.0});
    if let Some(t) = captured_at {
        meta["captured_at"] = json!(t.to_string());
    }
    meta.to_string()
}

async fn burst(args: &LoadgenArgs, server: &Server, people: &[Person]) -> Result<()> {
    let client = Client::builder().pool_max_idle_per_host(args.concurrency).timeout(Duration::from_secs(60)).build()?;
    let base0 = server.base();
    let rss_idle = rss_kib(server.pid(), "VmRSS:").unwrap_or(0);
    let health = healthz_rate(&client, &base0, args.concurrency, args.healthz_secs).await;
    eprintln!("/healthz: {health:.0} req/s with {} connections", args.concurrency);

    let mut tokens: Vec<String> = people.iter().map(|p| p.token.clone()).collect();
    let storm = if args.login_storm {
        let (fresh, stats) = login_storm(&client, &base0, server, people, args.concurrency).await?;
        tokens = fresh;
        Some(stats)
    } else {
        None
    };

    let photo = bytes::Bytes::from(if args.faces { FACE_SELFIE.to_vec() } else { selfie() });
    let next = Arc::new(AtomicUsize::new(0));
    let acked = Arc::new(AtomicUsize::new(0));
    let lat: Arc<Mutex<Vec<f64>>> = Arc::default();
    let errors: Arc<Mutex<BTreeMap<String, u64>>> = Arc::default();
    let retries = Arc::new(AtomicUsize::new(0));
    let nips: Vec<String> = people.iter().map(|p| p.nip.clone()).collect();
    let people = Arc::new(people.iter().zip(tokens).map(|(p, t)| (t, p.lat, p.lon)).collect::<Vec<_>>());
    let base = Arc::new(std::sync::RwLock::new(base0.clone()));
    let per_person = args.punches_per_employee as usize;
    let jobs = people.len() * per_person;
    let started = Instant::now();
    let pid0 = server.pid();
    let (server_cpu0, client_cpu0) = (cpu_ms(&pid0.to_string()), cpu_ms("self"));
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency {
        let (c, base, next, acked, lat, errors, retries, people, photo) = (
            client.clone(),
            base.clone(),
            next.clone(),
            acked.clone(),
            lat.clone(),
            errors.clone(),
            retries.clone(),
            people.clone(),
            photo.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= jobs {
                    break;
                }
                let (token, la, lo) = &people[i % people.len()];
                let meta = meta_for(&format!("rush-{i}"), *la, *lo, None);
                let photo = shot(&photo, &format!("rush-{i}"));
                loop {
                    let url = base.read().unwrap_or_else(|p| p.into_inner()).clone();
                    match send_checkin(&c, &url, token, &meta, &photo).await {
                        Sent::Ok(ms) => {
                            mine.push(ms);
                            acked.fetch_add(1, Ordering::Relaxed);
                            break;
                        }
                        Sent::Retry(wait) => {
                            retries.fetch_add(1, Ordering::Relaxed);
                            tokio::time::sleep(wait).await;
                        }
                        Sent::Failed(code) => {
                            *errors.lock().await.entry(code).or_default() += 1;
                            break;
                        }
                    }
                }
            }
            lat.lock().await.extend(mine);
        }));
    }
    // Peak RSS while the burst runs; the crash, when asked for.
    let mut rss_peak = rss_idle;
    let mut crash: Option<(usize, f64)> = None;
    loop {
        if tasks.iter().all(|t| t.is_finished()) {
            break;
        }
        if let Some(after) = args.crash_after
            && crash.is_none()
            && acked.load(Ordering::Relaxed) >= after
        {
            let at = acked.load(Ordering::Relaxed);
            let t = Instant::now();
            server.kill_and_restart()?;
            *base.write().unwrap_or_else(|p| p.into_inner()) = server.base();
            crash = Some((at, t.elapsed().as_secs_f64()));
            eprintln!(
                "killed the server (SIGKILL) after {at} acknowledged check-ins; restarted in {:.2} s",
                t.elapsed().as_secs_f64()
            );
        }
        rss_peak = rss_peak.max(rss_kib(server.pid(), "VmRSS:").unwrap_or(0));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for t in tasks {
        t.await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let rush_end = Instant::now();
    let per_checkin = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (Some(a), Some(b)) if crash.is_none() => {
            format!("{:.3}", b.saturating_sub(a) as f64 / jobs.max(1) as f64)
        }
        _ => "?".into(),
    };
    let server_cpu = per_checkin(server_cpu0, cpu_ms(&server.pid().to_string()));
    let client_cpu = per_checkin(client_cpu0, cpu_ms("self"));
    let mut lats = lat.lock().await.clone();
    lats.sort_by(f64::total_cmp);
    let ok = lats.len();
    let rate = ok as f64 / elapsed;

    // Verify: every employee has exactly `per_person` stored punches (one per key).
    let base_now = server.base();
    let admin_token = login_admin(&client, &base_now).await?;
    let counts = stored_counts(&client, &base_now, &admin_token, &nips).await;
    let wrong = counts.iter().filter(|n| **n != per_person).count();
    // Fraud signals (issue 23) are analysed after the rush: how long their backlog takes to drain.
    let signals = signal_drain(&client, &base_now, &admin_token, rush_end, args.drain_limit_secs).await;
    let signal_kinds = if signals.is_some() { signal_kinds(&client, &base_now, &admin_token).await } else { None };
    let errors = errors.lock().await.clone();
    println!("# hadir loadgen");
    println!("employees            {}", people.len());
    println!("punches_per_employee {per_person}");
    println!("concurrency          {}", args.concurrency);
    println!("acknowledged         {ok}");
    println!("elapsed_s            {elapsed:.2}");
    println!("checkins_per_s       {rate:.0}");
    println!("healthz_per_s        {health:.0}");
    println!("ratio_to_healthz     {:.3}", rate / health.max(1.0));
    println!("latency_ms_p50       {:.1}", percentile(&lats, 0.50));
    println!("latency_ms_p90       {:.1}", percentile(&lats, 0.90));
    println!("latency_ms_p99       {:.1}", percentile(&lats, 0.99));
    println!("latency_ms_max       {:.1}", lats.last().copied().unwrap_or(0.0));
    println!("server_cpu_ms_per_checkin {server_cpu}");
    println!("client_cpu_ms_per_checkin {client_cpu}");
    println!("retries              {}", retries.load(Ordering::Relaxed));
    println!("errors               {errors:?}");
    if let Some((at, restart_s)) = crash {
        println!("killed_after_acks    {at}");
        println!("restart_s            {restart_s:.2}");
    }
    if let Some(s) = &storm {
        println!("logins               {}", s.logins);
        println!("login_elapsed_s      {:.2}", s.elapsed_s);
        println!("logins_per_s         {:.1}", s.logins as f64 / s.elapsed_s.max(0.001));
        println!("login_ms_p50         {:.1}", s.p50_ms);
        println!("login_ms_p99         {:.1}", s.p99_ms);
        println!("login_retries        {} (503/429 answered with Retry-After)", s.retries);
        println!("server_rss_peak_mb_logins {:.0}", s.rss_peak_kib as f64 / 1024.0);
    }
    println!("server_rss_idle_mb   {:.0}", rss_idle as f64 / 1024.0);
    println!("server_rss_peak_mb   {:.0}", rss_peak as f64 / 1024.0);
    println!("server_rss_hwm_mb    {:.0}", rss_kib(server.pid(), "VmHWM:").unwrap_or(0) as f64 / 1024.0);
    if let Some((backlog_at_end, drain_s, left)) = signals {
        println!("signal_backlog_after_rush {backlog_at_end}");
        println!("signal_drained_s_after_rush {drain_s:.1}");
        println!("signal_backlog_left  {left}");
        if let Some(kinds) = &signal_kinds {
            println!("signals_by_kind      {kinds:?}");
        }
    }
    println!("stored_exactly_once  {}", if wrong == 0 && ok == jobs { "yes" } else { "NO" });
    if wrong != 0 {
        bail!("{wrong} employees do not have exactly {per_person} stored punches");
    }
    if ok != jobs {
        bail!("{} check-ins were not acknowledged", jobs - ok);
    }
    Ok(())
}

/// A login's token and how long it took (ms), once it succeeded.
type LoginResult = Option<(String, f64)>;

struct StormStats {
    logins: usize,
    elapsed_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    retries: usize,
    rss_peak_kib: u64,
}

/// Every employee logs in with the password, `conc` at a time, each from its own address
/// (`X-Forwarded-For`); a full hashing queue (503) or a rate limit (429) is retried after its
/// `Retry-After`, as the app does. Returns the new tokens in the order of `people`.
async fn login_storm(
    client: &Client,
    base: &str,
    server: &Server,
    people: &[Person],
    conc: usize,
) -> Result<(Vec<String>, StormStats)> {
    let nips = Arc::new(people.iter().map(|p| p.nip.clone()).collect::<Vec<_>>());
    let next = Arc::new(AtomicUsize::new(0));
    let retries = Arc::new(AtomicUsize::new(0));
    let out: Arc<std::sync::Mutex<Vec<LoginResult>>> = Arc::new(std::sync::Mutex::new(vec![None; people.len()]));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..conc {
        let (c, base, nips, next, retries, out) =
            (client.clone(), base.to_string(), nips.clone(), next.clone(), retries.clone(), out.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(nip) = nips.get(i) else { break };
                let addr = format!("10.{}.{}.{}", (i >> 16) & 0xFF, (i >> 8) & 0xFF, i & 0xFF);
                let t = Instant::now();
                for _attempt in 0..100 {
                    let r = c
                        .post(format!("{base}/api/v1/auth/login"))
                        .header("x-forwarded-for", &addr)
                        .json(&json!({"username": nip, "password": "loadgen-pw"}))
                        .send()
                        .await;
                    match r {
                        Ok(r) if r.status().is_success() => {
                            let v: Value = r.json().await.unwrap_or(Value::Null);
                            if let Some(tok) = v["token"].as_str() {
                                out.lock().unwrap_or_else(|p| p.into_inner())[i] =
                                    Some((tok.to_string(), t.elapsed().as_secs_f64() * 1000.0));
                            }
                            break;
                        }
                        Ok(r) if [429, 503].contains(&r.status().as_u16()) => {
                            let wait = r
                                .headers()
                                .get("retry-after")
                                .and_then(|v| v.to_str().ok())
                                .and_then(|v| v.parse().ok())
                                .unwrap_or(1u64);
                            retries.fetch_add(1, Ordering::Relaxed);
                            tokio::time::sleep(Duration::from_secs(wait)).await;
                        }
                        Ok(_) => break,
                        Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
                    }
                }
            }
        }));
    }
    let mut rss_peak = 0;
    while !tasks.iter().all(|t| t.is_finished()) {
        rss_peak = rss_peak.max(rss_kib(server.pid(), "VmRSS:").unwrap_or(0));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for t in tasks {
        t.await?;
    }
    let elapsed_s = started.elapsed().as_secs_f64();
    let results = std::mem::take(&mut *out.lock().unwrap_or_else(|p| p.into_inner()));
    let failed = results.iter().filter(|r| r.is_none()).count();
    if failed > 0 {
        bail!("{failed} of {} logins did not succeed", people.len());
    }
    let (tokens, mut ms): (Vec<String>, Vec<f64>) = results.into_iter().flatten().unzip();
    ms.sort_by(f64::total_cmp);
    let stats = StormStats {
        logins: tokens.len(),
        elapsed_s,
        p50_ms: percentile(&ms, 0.5),
        p99_ms: percentile(&ms, 0.99),
        retries: retries.load(Ordering::Relaxed),
        rss_peak_kib: rss_peak,
    };
    eprintln!("login storm: {} logins in {elapsed_s:.1} s", stats.logins);
    Ok((tokens, stats))
}

/// Stored punches per employee, read back through the API (32 at a time).
async fn stored_counts(client: &Client, base: &str, token: &str, nips: &[String]) -> Vec<usize> {
    let next = Arc::new(AtomicUsize::new(0));
    let out = Arc::new(std::sync::Mutex::new(vec![usize::MAX; nips.len()]));
    let nips: Arc<Vec<String>> = Arc::new(nips.to_vec());
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let (c, base, tok, next, out, nips) =
            (client.clone(), base.to_string(), token.to_string(), next.clone(), out.clone(), nips.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(nip) = nips.get(i) else { break };
                let n = match c.get(format!("{base}/api/v1/punches?employee={nip}")).bearer_auth(&tok).send().await {
                    Ok(r) => r
                        .json::<Value>()
                        .await
                        .ok()
                        .and_then(|v| v["items"].as_array().map(|a| a.len()))
                        .unwrap_or(usize::MAX),
                    Err(_) => usize::MAX,
                };
                out.lock().unwrap_or_else(|p| p.into_inner())[i] = n;
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    out.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

/// The soak: `rate` check-ins per second for `soak_secs`, open loop (a slow server does not
/// slow the offered load), with the server's RSS, the achieved rate and errors each minute.
/// Employees cycle; each one's later check-ins carry capture times 6 h apart going back (a
/// phone's offline queue), so days hold at most four punches, as real days do.
async fn soak(args: &LoadgenArgs, server: &Server, people: &[Person], rate: u32) -> Result<()> {
    let client = Client::builder().pool_max_idle_per_host(args.concurrency).timeout(Duration::from_secs(60)).build()?;
    let base = server.base();
    let photo = bytes::Bytes::from(selfie());
    let people = Arc::new(people.iter().map(|p| (p.token.clone(), p.nip.clone(), p.lat, p.lon)).collect::<Vec<_>>());
    let limit = Arc::new(tokio::sync::Semaphore::new(args.concurrency));
    let acked = Arc::new(AtomicUsize::new(0));
    let failed: Arc<Mutex<BTreeMap<String, u64>>> = Arc::default();
    let retries = Arc::new(AtomicUsize::new(0));
    let lat: Arc<std::sync::Mutex<Vec<f64>>> = Arc::default();
    let started = Instant::now();
    let total = rate as u64 * args.soak_secs;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut rss_minutes: Vec<u64> = Vec::new();
    let mut last_acked = 0;
    let mut sent = 0u64;
    println!("# hadir loadgen soak: {rate}/s for {} s, {} employees", args.soak_secs, people.len());
    println!("minute  acked/s  p99_ms  errors  retries  server_rss_mb");
    while sent < total {
        tick.tick().await;
        for _ in 0..rate {
            let k = sent;
            sent += 1;
            let permit = limit.clone().acquire_owned().await?;
            let (c, base, people, photo, acked, failed, retries, lat) = (
                client.clone(),
                base.clone(),
                people.clone(),
                photo.clone(),
                acked.clone(),
                failed.clone(),
                retries.clone(),
                lat.clone(),
            );
            tokio::spawn(async move {
                let (token, _, la, lo) = &people[(k as usize) % people.len()];
                // Like real days: an employee's n-th check-in of the soak was taken 6 h before
                // the (n-1)-th (sent late from the phone's queue), so no one has more than four
                // punches a day however long the soak runs; round 0 is now.
                let round = k / people.len() as u64;
                let taken =
                    (round > 0).then(|| jiff::Timestamp::now() - jiff::SignedDuration::from_hours(6 * round as i64));
                let meta = meta_for(&format!("soak-{k}"), *la, *lo, taken);
                let photo = shot(&photo, &format!("soak-{k}"));
                loop {
                    match send_checkin(&c, &base, token, &meta, &photo).await {
                        Sent::Ok(ms) => {
                            acked.fetch_add(1, Ordering::Relaxed);
                            lat.lock().unwrap_or_else(|p| p.into_inner()).push(ms);
                            break;
                        }
                        Sent::Retry(wait) => {
                            retries.fetch_add(1, Ordering::Relaxed);
                            tokio::time::sleep(wait).await;
                        }
                        Sent::Failed(code) => {
                            *failed.lock().await.entry(code).or_default() += 1;
                            break;
                        }
                    }
                }
                drop(permit);
            });
        }
        if sent.is_multiple_of(rate as u64 * 60) || sent >= total {
            let rss = rss_kib(server.pid(), "VmRSS:").unwrap_or(0);
            rss_minutes.push(rss);
            let mut l = std::mem::take(&mut *lat.lock().unwrap_or_else(|p| p.into_inner()));
            l.sort_by(f64::total_cmp);
            let now_acked = acked.load(Ordering::Relaxed);
            let errs: u64 = failed.lock().await.values().sum();
            println!(
                "{:>6}  {:>7.0}  {:>6.1}  {:>6}  {:>7}  {:>13.0}",
                rss_minutes.len(),
                (now_acked - last_acked) as f64 / 60.0,
                percentile(&l, 0.99),
                errs,
                retries.load(Ordering::Relaxed),
                rss as f64 / 1024.0
            );
            last_acked = now_acked;
        }
    }
    // Let the last requests finish.
    let _ = limit.acquire_many(args.concurrency as u32).await?;
    let elapsed = started.elapsed().as_secs_f64();
    let ok = acked.load(Ordering::Relaxed);
    let admin_token = login_admin(&client, &base).await?;
    let nips: Vec<String> = people.iter().map(|p| p.1.clone()).collect();
    let stored: usize = stored_counts(&client, &base, &admin_token, &nips).await.iter().sum();
    let errors = failed.lock().await.clone();
    let (first, last) = (rss_minutes.first().copied().unwrap_or(0), rss_minutes.last().copied().unwrap_or(0));
    println!("offered              {total}");
    println!("acknowledged         {ok}");
    println!("achieved_per_s       {:.0}", ok as f64 / elapsed);
    println!("errors               {errors:?}");
    println!("retries              {}", retries.load(Ordering::Relaxed));
    println!("server_rss_mb_first_minute {:.0}", first as f64 / 1024.0);
    println!("server_rss_mb_last_minute  {:.0}", last as f64 / 1024.0);
    println!("server_rss_hwm_mb    {:.0}", rss_kib(server.pid(), "VmHWM:").unwrap_or(0) as f64 / 1024.0);
    println!("stored_punches       {stored}");
    println!("stored_exactly_once  {}", if stored == ok && ok as u64 == total { "yes" } else { "NO" });
    if !errors.is_empty() || stored != ok || ok as u64 != total {
        bail!("soak: {} errors, {ok} acknowledged of {total}, {stored} stored", errors.values().sum::<u64>());
    }
    Ok(())
}

/// The fraud-signal backlog when the rush ended and the seconds from then until it was empty
/// (`None` when the analyser is off or the status is unreadable; gives up after 10 minutes).
/// This month's fraud signals by kind over all units (what the analyser found).
async fn signal_kinds(c: &Client, base: &str, token: &str) -> Option<BTreeMap<String, i64>> {
    let month = hadir_server::org::today_jakarta().strftime("%Y-%m").to_string();
    let v: Value = c
        .get(format!("{base}/api/v1/signals/summary?month={month}"))
        .bearer_auth(token)
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    let mut kinds = BTreeMap::new();
    for unit in v["units"].as_array()? {
        for k in unit["kinds"].as_array()? {
            *kinds.entry(k["kind"].as_str()?.to_string()).or_insert(0) += k["count"].as_i64()?;
        }
    }
    Some(kinds)
}

/// The backlog when the rush ended, the seconds until it was empty (or the limit), and what
/// was left then.
async fn signal_drain(
    c: &Client,
    base: &str,
    token: &str,
    rush_end: Instant,
    limit_secs: u64,
) -> Option<(i64, f64, i64)> {
    let status = || async {
        let v: Value =
            c.get(format!("{base}/api/v1/signals/status")).bearer_auth(token).send().await.ok()?.json().await.ok()?;
        Some((v["enabled"].as_bool()?, v["backlog"].as_i64()?))
    };
    let (enabled, first) = status().await?;
    if !enabled {
        return None;
    }
    let mut backlog = first;
    while backlog > 0 && rush_end.elapsed() < Duration::from_secs(limit_secs) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        backlog = status().await?.1;
    }
    Some((first, rush_end.elapsed().as_secs_f64(), backlog))
}

async fn login_admin(c: &Client, base: &str) -> Result<String> {
    let r: Value = c
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "admin", "password": "loadgen-admin"}))
        .send()
        .await?
        .json()
        .await?;
    r["token"].as_str().map(String::from).context("admin login failed")
}
