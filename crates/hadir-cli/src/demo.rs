//! The demo regency: a realistic organisation seeded into an empty data directory, so anyone
//! can try Hadir with one command. Deterministic (fixed seed) so screenshots and docs match.

use anyhow::Result;
use hadir_domain::nip::{make_pns, make_pppk};
use hadir_store::{Audit, Category, NewEmployee, NewLocation, NewUnit, Role, Store};
use jiff::civil::date;

pub const ADMIN_USER: &str = "admin";
pub const ADMIN_PASSWORD: &str = "admin-hadir";
pub const EMPLOYEE_PASSWORD: &str = "hadir123";

pub struct Logins {
    pub fresh: bool,
    pub operator: Option<(String, String, String)>,
    pub head: Option<(String, String, String)>,
    pub employee: Option<(String, String, String)>,
    /// Effective-dated facts seeded with the demo (issue 19), in Indonesian.
    pub history: Vec<String>,
}

/// Small deterministic generator (SplitMix64): the demo needs variety, not cryptography.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a>(&mut self, xs: &'a [&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
}

const FIRST: &[&str] = &[
    "Siti",
    "Nur",
    "Dewi",
    "Sri",
    "Rina",
    "Ayu",
    "Fitri",
    "Wulan",
    "Ratna",
    "Yuliana",
    "Andi",
    "Budi",
    "Agus",
    "Hendra",
    "Rudi",
    "Joko",
    "Muhammad",
    "Ahmad",
    "Rizky",
    "Fajar",
    "Dimas",
    "Eko",
    "Yohanes",
    "Maria",
    "Made",
    "Ketut",
    "Wayan",
    "Putu",
    "Abdul",
    "Hasanuddin",
    "Irwan",
    "Syamsul",
    "Nurhayati",
    "Hairani",
    "Rahmawati",
    "Daeng",
    "Aco",
    "Besse",
];
const LAST: &[&str] = &[
    "Lestari",
    "Rahayu",
    "Saputra",
    "Wijaya",
    "Hidayat",
    "Santoso",
    "Kurniawan",
    "Pratama",
    "Siregar",
    "Nasution",
    "Harahap",
    "Simanjuntak",
    "Wulandari",
    "Permata",
    "Setiawan",
    "Gunawan",
    "Halim",
    "Mahmud",
    "Rasyid",
    "Tamrin",
    "Baso",
    "Latif",
    "Syahrir",
    "Pakpahan",
    "Manurung",
    "Kambu",
    "Wenda",
    "Yikwa",
    "Sari",
    "Utami",
];

struct U {
    code: String,
    name: String,
    parent: Option<String>,
    tz: &'static str,
    lat: f64,
    lon: f64,
    staff: usize,
}

fn units() -> Vec<U> {
    let base = (-0.5022, 117.1536); // Samarinda-like coordinates, WITA.
    let mut v = Vec::new();
    let mut add =
        |code: &str, name: &str, parent: Option<&str>, tz: &'static str, dlat: f64, dlon: f64, staff: usize| {
            v.push(U {
                code: code.into(),
                name: name.into(),
                parent: parent.map(Into::into),
                tz,
                lat: base.0 + dlat,
                lon: base.1 + dlon,
                staff,
            });
        };
    add("PEMKAB", "Pemerintah Kabupaten Contoh", None, "Asia/Makassar", 0.0, 0.0, 0);
    add("SETDA", "Sekretariat Daerah", Some("PEMKAB"), "Asia/Makassar", 0.001, 0.001, 90);
    add("BKPSDM", "Badan Kepegawaian dan Pengembangan SDM", Some("PEMKAB"), "Asia/Makassar", 0.002, -0.001, 45);
    add("BAPPEDA", "Badan Perencanaan Pembangunan Daerah", Some("PEMKAB"), "Asia/Makassar", -0.002, 0.002, 40);
    add("DPUPR", "Dinas Pekerjaan Umum dan Penataan Ruang", Some("PEMKAB"), "Asia/Makassar", 0.004, 0.003, 60);
    add("DISHUB", "Dinas Perhubungan", Some("PEMKAB"), "Asia/Makassar", -0.004, -0.003, 40);
    add("DINSOS", "Dinas Sosial", Some("PEMKAB"), "Asia/Makassar", 0.006, -0.002, 35);
    add("DPMPTSP", "Dinas Penanaman Modal dan PTSP", Some("PEMKAB"), "Asia/Makassar", -0.006, 0.004, 35);
    add("DISDIK", "Dinas Pendidikan dan Kebudayaan", Some("PEMKAB"), "Asia/Makassar", 0.008, 0.0, 50);
    for i in 1..=20 {
        add(
            &format!("SDN{i:03}"),
            &format!("SD Negeri {i:03}"),
            Some("DISDIK"),
            "Asia/Makassar",
            0.01 * i as f64,
            0.012,
            30,
        );
    }
    for i in 1..=10 {
        add(
            &format!("SMPN{i}"),
            &format!("SMP Negeri {i}"),
            Some("DISDIK"),
            "Asia/Makassar",
            -0.012 * i as f64,
            0.01,
            40,
        );
    }
    add("DINKES", "Dinas Kesehatan", Some("PEMKAB"), "Asia/Makassar", -0.008, 0.0, 45);
    add("RSUD", "RSUD Kabupaten Contoh", Some("DINKES"), "Asia/Makassar", -0.009, 0.006, 260);
    for (i, n) in ["Kota", "Sungai Kunjang", "Loa Janan", "Tenggarong", "Muara Badak", "Anggana"].iter().enumerate() {
        add(
            &format!("PKM{}", i + 1),
            &format!("Puskesmas {n}"),
            Some("DINKES"),
            "Asia/Makassar",
            0.02 * (i as f64 + 1.0),
            -0.02,
            30,
        );
    }
    for (i, n) in ["Samarinda Ulu", "Sungai Pinang", "Palaran", "Sambutan"].iter().enumerate() {
        add(
            &format!("KEC{}", i + 1),
            &format!("Kecamatan {n}"),
            Some("PEMKAB"),
            "Asia/Makassar",
            -0.03 * (i as f64 + 1.0),
            0.03,
            25,
        );
    }
    add("KPJKT", "Kantor Penghubung di Jakarta", Some("PEMKAB"), "Asia/Jakarta", -5.6732, -10.3264, 12);
    add("KPJYP", "Kantor Penghubung di Jayapura", Some("PEMKAB"), "Asia/Jayapura", -2.0311, 23.5604, 10);
    v
}

/// The demo's logins in a store seeded earlier (a restarted demo prints them all again): the
/// operator of DISDIK, the head of SDN001 and a teacher there, found by their roles.
async fn existing_logins(store: &dyn Store) -> Result<Logins> {
    let holder = |unit: &'static str, role: Role| async move {
        let page = store
            .list_employees(
                &hadir_store::Scope::All,
                &hadir_store::EmployeeFilter { unit_code: Some(unit.into()), limit: 200, ..Default::default() },
            )
            .await?;
        for e in page.items {
            let roles = store.roles_of(e.account_id).await?;
            if roles.iter().any(|g| g.role == role && g.unit_code == unit) {
                return Ok::<_, anyhow::Error>(Some((e.unit_code, e.login, e.name)));
            }
        }
        Ok(None)
    };
    Ok(Logins {
        fresh: false,
        operator: holder("DISDIK", Role::Operator).await?,
        head: holder("SDN001", Role::Head).await?,
        employee: first_plain_employee(store, "SDN001").await?,
        history: Vec::new(),
    })
}

/// A PNS of `unit` without any role: the demo's "pegawai" login.
async fn first_plain_employee(store: &dyn Store, unit: &str) -> Result<Option<(String, String, String)>> {
    let page = store
        .list_employees(
            &hadir_store::Scope::All,
            &hadir_store::EmployeeFilter {
                unit_code: Some(unit.into()),
                category: Some(Category::Pns),
                limit: 20,
                ..Default::default()
            },
        )
        .await?;
    for e in page.items {
        if store.roles_of(e.account_id).await?.is_empty() {
            return Ok(Some((e.unit_code, e.login, e.name)));
        }
    }
    Ok(None)
}

/// Seeds the demo when the store has no employees yet. Returns the logins to print.
pub async fn seed_if_empty(store: &dyn Store) -> Result<Logins> {
    if store.count_employees().await? > 0 {
        return existing_logins(store).await;
    }
    let started = std::time::Instant::now();
    let audit = || Audit::new((None, "demo"), "seed", "demo", "-");
    let admin_hash = hadir_server::auth::password::hash(ADMIN_PASSWORD.into()).await;
    if store.account_by_username(ADMIN_USER).await.is_err() {
        store.create_admin(ADMIN_USER, "Admin BKPSDM", &admin_hash).await?;
    }
    // One hash for every demo employee: 2,000 argon2 hashes would take a minute, and the demo
    // password is printed for all to see anyway.
    let emp_hash = hadir_server::auth::password::hash(EMPLOYEE_PASSWORD.into()).await;
    let mut rng = Rng(0x0048_4144_4952);
    let mut pin = 1000u32;
    let mut seq = 0u16;
    let mut honorer = 0u32;
    let mut first_in: Vec<(String, String, String)> = Vec::new(); // (unit, login, name) of each unit's first employee
    for u in units() {
        let locations = if u.staff == 0 {
            vec![]
        } else {
            vec![NewLocation { name: format!("Kantor {}", u.name), lat: u.lat, lon: u.lon, radius_m: 100.0 }]
        };
        let nu = NewUnit {
            code: u.code.clone(),
            name: u.name.clone(),
            parent_code: u.parent.clone(),
            timezone: u.tz.into(),
            locations,
        };
        store.create_unit(&nu, audit()).await?;
        for i in 0..u.staff {
            pin += 1;
            seq = seq % 998 + 1;
            let name = format!("{} {}", rng.pick(FIRST), rng.pick(LAST));
            let birth = date(1965 + rng.below(33) as i16, 1 + rng.below(12) as i8, 1 + rng.below(28) as i8);
            let male = rng.below(2) == 0;
            let roll = rng.below(100);
            let (category, nip) = if roll < 65 || i == 0 {
                let y = (birth.year() + 22 + rng.below(12) as i16).min(2024);
                (Category::Pns, Some(make_pns(birth, (y, 1 + rng.below(12) as i8), male, seq)))
            } else if roll < 85 {
                let y = (birth.year() + 25).clamp(2019, 2025);
                (Category::Pppk, Some(make_pppk(birth, y, 1, male, seq)))
            } else {
                (Category::Honorer, None)
            };
            let login = match &nip {
                Some(n) => n.clone(),
                None => {
                    honorer += 1;
                    format!("H{honorer:05}")
                }
            };
            let ne = NewEmployee {
                nip,
                login: login.clone(),
                name: name.clone(),
                category,
                unit_code: u.code.clone(),
                position: Some(
                    if u.code.starts_with("SD") || u.code.starts_with("SMP") { "Guru" } else { "Staf" }.into(),
                ),
                tpp_base: (category != Category::Honorer).then(|| 3_000_000 + 250_000 * rng.below(12) as i64),
                device_pin: Some(pin.to_string()),
                start_date: Some(date(2025, 1, 2)),
                password_hash: emp_hash.clone(),
            };
            match store.create_employee(&ne, audit()).await {
                Ok(_) => {}
                // A generated NIP can collide with an earlier one: skip it, the demo has plenty.
                Err(hadir_store::StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
            if i == 0 {
                first_in.push((u.code.clone(), login, name));
            }
        }
    }
    let find = |code: &str| first_in.iter().find(|(c, _, _)| c == code).cloned();
    let grant = |who: &(String, String, String), role: Role| {
        let audit = Audit::new((None, "demo"), "grant_role", "account", &who.1);
        (who.clone(), role, audit)
    };
    let mut logins = Logins { fresh: true, operator: None, head: None, employee: None, history: Vec::new() };
    if let Some(op) = find("DISDIK") {
        let (w, r, a) = grant(&op, Role::Operator);
        let acc = store.account_by_username(&w.1).await?;
        store.grant_role(acc.id, r, "DISDIK", a).await?;
        logins.operator = Some(w);
    }
    if let Some(head) = find("SDN001") {
        let (w, r, a) = grant(&head, Role::Head);
        let acc = store.account_by_username(&w.1).await?;
        store.grant_role(acc.id, r, "SDN001", a).await?;
        logins.head = Some(w);
    }
    logins.employee = first_plain_employee(store, "SDN001").await?;
    seed_terminals(store).await?;
    logins.history = seed_effective_dated(store, &logins).await?;
    let admin_account = store.account_by_username(ADMIN_USER).await?.id;
    crate::demo_sessions::seed_sessions(store, admin_account).await?;
    crate::demo_history::seed_history(store).await?;
    crate::demo_kinerja::seed_kinerja(store, admin_account, logins.head.as_ref().map(|h| h.1.as_str())).await?;
    tracing::info!(employees = store.count_employees().await?, secs = started.elapsed().as_secs_f32(), "demo seeded");
    Ok(logins)
}

/// The demo regency's name, shown in the console, the app and every export.
pub const REGENCY: &str = "Pemerintah Kabupaten Contoh";

pub fn print_logins(l: &Logins, listen: &str) {
    println!("Hadir — demo {REGENCY}");
    if !l.fresh {
        println!("(data demo sudah ada; kata sandi di bawah berlaku bila belum diubah)");
    }
    println!("  Konsol admin : http://{listen}/admin   aplikasi pegawai: http://{listen}/");
    println!("  admin BKD    : {ADMIN_USER} / {ADMIN_PASSWORD}");
    let show = |label: &str, v: &Option<(String, String, String)>| {
        if let Some((unit, login, name)) = v {
            println!("  {label:<13}: {login} / {EMPLOYEE_PASSWORD}   ({name}, {unit})");
        }
    };
    show("operator", &l.operator);
    show("kepala unit", &l.head);
    show("pegawai", &l.employee);
    for h in &l.history {
        println!("  riwayat      : {h}");
    }
}

/// Facts that take effect on a date (issue 19), before the history is generated so its punches
/// follow them: a transfer from Jayapura (WIT) to Jakarta (WIB) on the 15th of the previous
/// month, a pension on the 14th of the previous month, and a 6-day school calendar for SDN001
/// from the first of this month (the previous month's Saturdays stay free); the estimated
/// Ramadan 1448 H period on the default calendar.
async fn seed_effective_dated(store: &dyn Store, logins: &Logins) -> Result<Vec<String>> {
    use hadir_store::{CalendarTarget, EmployeeFilter, EmployeeUpdate, EndReason, Scope};
    let today = hadir_server::org::today_jakarta();
    let prev = today.first_of_month().yesterday()?.first_of_month();
    let mut notes = Vec::new();
    let audit = |what: &str| Audit::new((None, "demo"), what, "employee", "-");
    let plain = |unit: &'static str| async move {
        let f = EmployeeFilter { unit_code: Some(unit.into()), limit: 50, ..Default::default() };
        for e in store.list_employees(&Scope::All, &f).await?.items {
            if store.roles_of(e.account_id).await?.is_empty() {
                return Ok::<_, anyhow::Error>(Some(e));
            }
        }
        Ok(None)
    };
    if let Some(e) = plain("KPJYP").await? {
        let from = prev.checked_add(jiff::Span::new().days(14))?;
        let u = EmployeeUpdate { unit_code: Some("KPJKT".into()), unit_from: Some(from), ..Default::default() };
        store.update_employee(e.id, &u, audit("update")).await?;
        notes.push(format!("{} ({}) pindah dari Jayapura (WIT) ke Jakarta (WIB) mulai {from}", e.name, e.login));
    }
    let skip = logins.employee.as_ref().map(|x| x.1.clone());
    let f = EmployeeFilter { unit_code: Some("SETDA".into()), limit: 50, ..Default::default() };
    let retiree = store
        .list_employees(&Scope::All, &f)
        .await?
        .items
        .into_iter()
        .skip(1)
        .find(|e| Some(&e.login) != skip.as_ref());
    if let Some(e) = retiree {
        let end = prev.checked_add(jiff::Span::new().days(13))?;
        let u = EmployeeUpdate { end: Some(Some((end, EndReason::Pensiun))), ..Default::default() };
        store.update_employee(e.id, &u, audit("deactivate")).await?;
        notes.push(format!("{} ({}) pensiun, hari terakhir {end} (tetap dalam rekap bulan itu)", e.name, e.login));
    }
    let school = store
        .create_calendar(
            &hadir_domain::Calendar::school_six_day(),
            Audit::new((None, "demo"), "create", "calendar", "-"),
        )
        .await?;
    let sd = store.unit_by_code("SDN001").await?;
    let from = today.first_of_month();
    let a = Audit::new((None, "demo"), "assign", "calendar", &school.id.to_string());
    store.assign_calendar(Some(school.id), CalendarTarget::Unit(sd.id), from, a).await?;
    notes.push(format!("SD Negeri 001 memakai kalender sekolah 6 hari mulai {from} (Sabtu sebelumnya tetap libur)"));
    // Ramadan 1448 H (estimated: the shipped holiday table puts Idul Fitri on 10 March 2027) on
    // the default calendar: 08.00–15.00, Friday to 15.30, 32 h 30 min a week.
    let (first, last) = (jiff::civil::date(2027, 2, 8), jiff::civil::date(2027, 3, 9));
    // The defaults are seeded here already (as the server does on its first start; idempotent).
    store.seed_policies(&hadir_server::context::default_policies()).await?;
    if let Some(mut c) = store.list_calendars().await?.into_iter().find(|c| c.is_default) {
        let period = hadir_domain::ScheduleOverride::ramadan("Ramadan 1448 H (perkiraan)", first, last);
        if !c.calendar.overrides.iter().any(|o| o.name == period.name) {
            c.calendar.overrides.push(period);
            let a = Audit::new((None, "demo"), "update", "calendar", &c.id.to_string());
            store.update_calendar(c.id, &c.calendar, a).await?;
            notes.push(format!("Jam kerja Ramadan 1448 H {first} s.d. {last} pada kalender standar (08.00–15.00)"));
        }
    }
    Ok(notes)
}

/// Fingerprint/face terminals: several units' terminals (active, with recent contact, one silent
/// for two hours) and one unknown serial waiting for approval.
async fn seed_terminals(store: &dyn Store) -> Result<()> {
    use hadir_store::{DeviceContact, NewDevice};
    use jiff::{Timestamp, ToSpan};
    let now = Timestamp::now();
    let terminals = [
        ("CQZ7233660123", "SETDA", None, "SpeedFace-V5L", 95, 5),
        ("BOCK201960042", "DISDIK", None, "iClock 680", 52, 2),
        ("AEYU184860311", "SDN001", None, "Solution X100-C", 31, 7),
        ("AEYU184860312", "SMPN1", None, "Solution X100-C", 41, 120),
        ("CKJH213360777", "RSUD", None, "SpeedFace-V5L", 262, 1),
        ("BJ2C194960515", "PKM1", None, "Fingerspot Revo", 31, 3),
        ("A8N5201460088", "KPJKT", Some("Asia/Jakarta"), "iClock 360", 12, 9),
    ];
    for (sn, unit, tz, model, users, minutes_ago) in terminals {
        let nd = NewDevice { sn: sn.into(), unit_code: unit.into(), timezone: tz.map(Into::into) };
        store.register_device(&nd, Audit::new((None, "demo"), "register", "device", sn)).await?;
        store
            .device_contact(&DeviceContact {
                sn: sn.into(),
                at: Some(now - minutes_ago.minutes()),
                ip: Some(format!("36.91.{}.{}", users % 200, minutes_ago + 10)),
                pushver: Some("2.4.1".into()),
                model: Some(model.into()),
                firmware: Some("Ver 8.0.4.7-20230320".into()),
                users: Some(users),
                fingerprints: Some(users * 2),
                records: Some(users * 240),
                ..Default::default()
            })
            .await?;
    }
    // A new terminal someone plugged in: it called the server, nobody registered it yet.
    store
        .device_contact(&DeviceContact {
            sn: "CQZ7241160999".into(),
            at: Some(now - 3.minutes()),
            ip: Some("36.91.40.77".into()),
            pushver: Some("2.4.1".into()),
            ..Default::default()
        })
        .await?;
    Ok(())
}
