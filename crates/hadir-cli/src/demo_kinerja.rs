//! Daily work reports and scores for the demo (issue 22), so the validation screen and the TPP
//! payout sheet are plausible on first open: SDN001's teachers reported every counted day of
//! the previous month (validated by the head) and the last days of this month (waiting); the
//! rest of DISDIK has scores imported from e-kinerja for the previous month; the TPP policy
//! 40 / 60 with the step table ≥ 85 → 100 %, ≥ 70 → 80 %, ≥ 50 → 50 %. Deterministic.

use anyhow::Result;
use hadir_domain::DayStatus;
use hadir_server::days::today_in;
use hadir_server::tpp::PolicyBody;
use hadir_store::{ActivityDecision, ActivityFields, Audit, EmployeeFilter, KinerjaScore, NewActivity, Scope, Store};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

const TASKS: &[(&str, &str, f64, &str, u32, u32)] = &[
    ("Mengajar sesuai jadwal", "jam pelajaran", 4.0, "JP", 7 * 60 + 30, 11 * 60 + 30),
    ("Menyusun RPP dan bahan ajar", "RPP", 1.0, "dokumen", 12 * 60 + 30, 15 * 60 + 30),
    ("Mengoreksi tugas siswa", "lembar jawaban", 30.0, "lembar", 12 * 60 + 30, 15 * 60 + 45),
    ("Membimbing ekstrakurikuler", "kegiatan", 1.0, "kegiatan", 13 * 60, 15 * 60),
];

pub async fn seed_kinerja(store: &dyn Store, admin_account: i64, head_login: Option<&str>) -> Result<()> {
    let tz = TimeZone::get("Asia/Makassar")?;
    let today = today_in(&tz);
    let prev = today.first_of_month().checked_sub(1.month())?;
    let admin = (Some(admin_account), "Admin BKPSDM");
    let policy = PolicyBody { effective_from: jiff::civil::date(2020, 1, 1), ..PolicyBody::default_policy() };
    store
        .add_tpp_policy(
            policy.effective_from,
            &serde_json::to_string(&policy)?,
            Audit::new(admin, "tpp.policy", "tpp_policy", ""),
        )
        .await?;

    let mut employees = Vec::new();
    loop {
        let f = EmployeeFilter {
            offset: employees.len() as u32,
            limit: 500,
            unit_code: Some("DISDIK".into()),
            ..Default::default()
        };
        let page = store.list_employees(&Scope::All, &f).await?;
        if page.items.is_empty() {
            break;
        }
        employees.extend(page.items);
    }
    let head = match head_login {
        Some(l) => Some(store.employee_by_login(l).await?),
        None => None,
    };
    let teachers: Vec<_> = employees
        .iter()
        .filter(|e| e.unit_code == "SDN001" && head.as_ref().is_none_or(|h| h.id != e.id))
        .cloned()
        .collect();
    let ids: Vec<i64> = teachers.iter().map(|e| e.id).collect();
    let statuses = store.day_statuses_of(&ids, prev, today.yesterday()?).await?;
    let mut approve = Vec::new();
    let mut n = 0usize;
    for (emp, date, status) in statuses {
        if !matches!(status, DayStatus::Hadir | DayStatus::Dl) {
            continue;
        }
        let Some(e) = teachers.iter().find(|t| t.id == emp) else { continue };
        n += 1;
        // Two activities a day: teaching in the morning, one of the others after the break.
        for (i, t) in [TASKS[0], TASKS[1 + n % 3]].iter().enumerate() {
            let a = store
                .create_activity(
                    &NewActivity {
                        employee_id: e.id,
                        unit_id: e.unit_id,
                        date,
                        fields: ActivityFields {
                            description: t.0.into(),
                            output: t.1.into(),
                            volume: t.2,
                            volume_unit: t.3.into(),
                            start_minute: t.4,
                            end_minute: t.5,
                        },
                        created_by: e.account_id,
                    },
                    Audit::new((Some(e.account_id), &e.name), "kinerja.create", "activity", ""),
                )
                .await?;
            // The previous month is validated (a few days forgotten); this month waits.
            if date < today.first_of_month() && !(n + i).is_multiple_of(11) {
                approve.push(a.id);
            }
        }
    }
    if let (Some(h), false) = (&head, approve.is_empty()) {
        for chunk in approve.chunks(500) {
            store
                .validate_activities(
                    chunk,
                    &ActivityDecision {
                        approve: true,
                        note: None,
                        validator: h.account_id,
                        validator_name: h.name.clone(),
                    },
                )
                .await?;
        }
    }
    // Scores imported from e-kinerja for everyone else in DISDIK (60–98, deterministic).
    let month = format!("{:04}-{:02}", prev.year(), prev.month());
    let scores: Vec<KinerjaScore> = employees
        .iter()
        .filter(|e| e.unit_code != "SDN001")
        .map(|e| KinerjaScore {
            employee_id: e.id,
            month: month.clone(),
            score: 6000 + ((e.id as u32).wrapping_mul(2654435761) % 3800),
            source: "import".into(),
            note: Some("impor e-kinerja (demo)".into()),
            updated_by_name: "Admin BKPSDM".into(),
            updated_at: Timestamp::now(),
        })
        .collect();
    store.put_kinerja_scores(&scores, admin).await?;
    tracing::info!(activities = n * 2, scores = scores.len(), "demo kinerja seeded");
    Ok(())
}
