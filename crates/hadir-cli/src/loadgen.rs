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
}

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

async fn seed(store: &dyn Store, n: usize) -> Result<Vec<Person>> {
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

fn start_server(data: &Path, extra: &[String]) -> Result<(Child, String)> {
    let exe = std::env::current_exe()?;
    let mut child = Command::new(exe)
        .arg("--data")
        .arg(data)
        .args(extra)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("HADIR_LOG", "warn")
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

pub async fn run(args: LoadgenArgs) -> Result<()> {
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
    let people = {
        let store = hadir_store_sqlite::SqliteStore::open(&data.join("hadir.db")).await?;
        let people = seed(&store, args.employees).await?;
        hadir_store::AccountStore::create_admin(
            &store,
            "admin",
            "Admin",
            &hadir_server::auth::password::hash("loadgen-admin".into()).await,
        )
        .await?;
        people
    };
    eprintln!("seeded in {:.1} s", t.elapsed().as_secs_f64());
    let (mut server, base) = start_server(&data, &args.server_args)?;
    let pid = server.id();
    let result = burst(&args, &base, pid, &people).await;
    let _ = server.kill();
    let _ = server.wait();
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

async fn burst(args: &LoadgenArgs, base: &str, pid: u32, people: &[Person]) -> Result<()> {
    let client = Client::builder().pool_max_idle_per_host(args.concurrency).timeout(Duration::from_secs(60)).build()?;
    let rss_idle = rss_kib(pid, "VmRSS:").unwrap_or(0);
    let health = healthz_rate(&client, base, args.concurrency, args.healthz_secs).await;
    eprintln!("/healthz: {health:.0} req/s with {} connections", args.concurrency);

    let photo = bytes::Bytes::from(selfie());
    let next = Arc::new(AtomicUsize::new(0));
    let lat: Arc<Mutex<Vec<f64>>> = Arc::default();
    let errors: Arc<Mutex<BTreeMap<String, u64>>> = Arc::default();
    let retries = Arc::new(AtomicUsize::new(0));
    let nips: Vec<String> = people.iter().map(|p| p.nip.clone()).collect();
    let people = Arc::new(people.iter().map(|p| (p.token.clone(), p.lat, p.lon)).collect::<Vec<_>>());
    let started = Instant::now();
    let (server_cpu0, client_cpu0) = (cpu_ms(&pid.to_string()), cpu_ms("self"));
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency {
        let (c, base, next, lat, errors, retries, people, photo) = (
            client.clone(),
            base.to_string(),
            next.clone(),
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
                let Some((token, la, lo)) = people.get(i) else { break };
                let meta = json!({"idempotency_key": format!("rush-{i}"), "lat": la, "lon": lo, "accuracy_m": 10.0})
                    .to_string();
                loop {
                    let form = reqwest::multipart::Form::new().text("meta", meta.clone()).part(
                        "photo",
                        reqwest::multipart::Part::stream(photo.clone())
                            .file_name("selfie.jpg")
                            .mime_str("image/jpeg")
                            .expect("mime"),
                    );
                    let t = Instant::now();
                    match c.post(format!("{base}/api/v1/checkins")).bearer_auth(token).multipart(form).send().await {
                        Ok(r) if r.status().is_success() => {
                            let _ = r.bytes().await;
                            mine.push(t.elapsed().as_secs_f64() * 1000.0);
                            break;
                        }
                        Ok(r) if r.status().as_u16() == 503 => {
                            retries.fetch_add(1, Ordering::Relaxed);
                            let wait = r
                                .headers()
                                .get("retry-after")
                                .and_then(|v| v.to_str().ok())
                                .and_then(|v| v.parse().ok())
                                .unwrap_or(1u64);
                            tokio::time::sleep(Duration::from_secs(wait)).await;
                        }
                        Ok(r) => {
                            let st = r.status().as_u16();
                            let body: Value = r.json().await.unwrap_or(Value::Null);
                            let code = body["error"]["code"].as_str().unwrap_or("?").to_string();
                            *errors.lock().await.entry(format!("{st} {code}")).or_default() += 1;
                            break;
                        }
                        Err(e) => {
                            *errors
                                .lock()
                                .await
                                .entry(format!("transport {}", if e.is_timeout() { "timeout" } else { "error" }))
                                .or_default() += 1;
                            tokio::time::sleep(Duration::from_millis(200)).await;
                        }
                    }
                }
            }
            lat.lock().await.extend(mine);
        }));
    }
    // Peak RSS while the burst runs.
    let mut rss_peak = rss_idle;
    loop {
        if tasks.iter().all(|t| t.is_finished()) {
            break;
        }
        rss_peak = rss_peak.max(rss_kib(pid, "VmRSS:").unwrap_or(0));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for t in tasks {
        t.await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let per_checkin = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (Some(a), Some(b)) => format!("{:.3}", b.saturating_sub(a) as f64 / people.len().max(1) as f64),
        _ => "?".into(),
    };
    let server_cpu = per_checkin(server_cpu0, cpu_ms(&pid.to_string()));
    let client_cpu = per_checkin(client_cpu0, cpu_ms("self"));
    let mut lats = lat.lock().await.clone();
    lats.sort_by(f64::total_cmp);
    let ok = lats.len();
    let rate = ok as f64 / elapsed;

    // Verify: every employee has exactly one stored punch.
    let admin_token = login_admin(&client, base).await?;
    let wrong = Arc::new(AtomicUsize::new(0));
    let next = Arc::new(AtomicUsize::new(0));
    let nips: Arc<Vec<String>> = Arc::new(nips.to_vec());
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let (c, base, tok, next, wrong, nips) =
            (client.clone(), base.to_string(), admin_token.clone(), next.clone(), wrong.clone(), nips.clone());
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
                if n != 1 {
                    wrong.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    let errors = errors.lock().await.clone();
    println!("# hadir loadgen");
    println!("employees            {}", people.len());
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
    println!("retries_503          {}", retries.load(Ordering::Relaxed));
    println!("errors               {errors:?}");
    println!("server_rss_idle_mb   {:.0}", rss_idle as f64 / 1024.0);
    println!("server_rss_peak_mb   {:.0}", rss_peak as f64 / 1024.0);
    println!("server_rss_hwm_mb    {:.0}", rss_kib(pid, "VmHWM:").unwrap_or(0) as f64 / 1024.0);
    println!(
        "stored_exactly_once  {}",
        if wrong.load(Ordering::Relaxed) == 0 && ok == people.len() { "yes" } else { "NO" }
    );
    if wrong.load(Ordering::Relaxed) != 0 {
        bail!("{} employees do not have exactly one stored punch", wrong.load(Ordering::Relaxed));
    }
    Ok(())
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
