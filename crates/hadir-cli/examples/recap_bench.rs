//! Benchmark (issue 8): the monthly recap of 20,000 employees, in memory.
//!
//! `cargo run --release -p hadir-cli --example recap_bench [-- EMPLOYEES [RUNS]]`
//!
//! Builds a month (November 2025, Perpres calendar, SKB holidays, default rules) of day records
//! per employee with the real evaluator (varied punches: on time, late, early, missing, TK),
//! then times, per run: (1) the recap compute (`monthly_recap` per employee, unit totals),
//! (2) the XLSX export (summary, one sheet per unit, day-by-day detail), (3) the CSV export.
//! Prints each run and the medians. Day evaluation is timed once, separately (in the server it
//! is the recompute worker's job and records are evaluated on read per employee).

use hadir_domain::{
    Calendar, DEFAULT_HOLIDAYS_CSV, DayInput, DayRecord, Punch, RuleSet, evaluate_day, parse_holiday_csv,
};
use hadir_server::recap::{RecapState, assemble, row_from_records};
use hadir_server::recap_export::{to_csv, to_xlsx};
use hadir_store::{Category, Employee, Unit};
use jiff::civil::date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use std::time::Instant;

const UNITS: usize = 400;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(20_000);
    let runs: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(5);
    let tz = TimeZone::get("Asia/Jakarta").unwrap();
    let cal = Calendar::perpres_21_2023();
    let holidays = parse_holiday_csv(DEFAULT_HOLIDAYS_CSV).unwrap();
    let rules = vec![RuleSet::default()];
    let now = Timestamp::now();
    let units: Vec<Unit> = (0..UNITS)
        .map(|i| Unit {
            id: i as i64 + 1,
            code: format!("U{i:03}"),
            name: format!("Unit Kerja {i}"),
            parent_id: None,
            parent_code: None,
            timezone: "Asia/Jakarta".into(),
            path: format!("/{}/", i + 1),
            locations: vec![],
        })
        .collect();
    let employees: Vec<Employee> = (0..n)
        .map(|i| Employee {
            id: i as i64 + 1,
            account_id: i as i64 + 1,
            nip: Some(format!("1986092620150510{:02}", i % 100)),
            login: format!("P{i:06}"),
            name: format!("Pegawai Nomor {i}"),
            category: if i % 10 == 9 { Category::Honorer } else { Category::Pns },
            unit_id: (i % UNITS) as i64 + 1,
            unit_code: format!("U{:03}", i % UNITS),
            unit_name: format!("Unit Kerja {}", i % UNITS),
            timezone: "Asia/Jakarta".into(),
            position: Some("Pelaksana".into()),
            tpp_base: Some(3_000_000 + (i as i64 % 50) * 100_000),
            device_pin: None,
            active: true,
            start_date: None,
            end_date: None,
            end_reason: None,
            service_start: None,
            gender: None,
            grade: None,
        })
        .collect();

    // Day records with the real evaluator.
    let t = Instant::now();
    let first = date(2025, 11, 1);
    let days: Vec<_> = (0..30).map(|k| first.checked_add(SignedDuration::from_hours(24 * k)).unwrap()).collect();
    let schedules: Vec<_> = days.iter().map(|d| cal.resolve(*d, &[]).unwrap()).collect();
    let mut records: Vec<Vec<DayRecord>> = Vec::with_capacity(n);
    let mut pid = 0i64;
    for (i, _) in employees.iter().enumerate() {
        let mut month = Vec::with_capacity(30);
        for (k, d) in days.iter().enumerate() {
            let v = (i * 31 + k * 7) % 23;
            let mut punches = Vec::new();
            let mut push = |h: i8, m: i8| {
                pid += 1;
                let at = d.at(h, m, 0, 0).to_zoned_datetime(tz.clone()).unwrap().timestamp();
                punches.push(Punch { id: pid, at, source: "mesin:BENCH".into() });
            };
            match v {
                0 => {}          // TK
                1 => push(8, 5), // no check-out
                2 => {
                    push(7, 50);
                    push(16, 0);
                } // TL1
                3 => {
                    push(7, 25);
                    push(15, 20);
                } // PSW2
                4 => {
                    push(9, 10);
                    push(16, 5);
                } // TL3
                _ => {
                    push(7, 20);
                    push(16, 40);
                } // on time
            }
            let input = DayInput {
                holidays: &holidays,
                punches: &punches,
                ..DayInput::new(*d, &tz, &schedules[k], &rules[0], now)
            };
            month.push(evaluate_day(&input));
        }
        records.push(month);
    }
    let eval_s = t.elapsed().as_secs_f64();
    println!("evaluated {} day records in {eval_s:.2} s (once)", n * 30);

    let (mut compute, mut xlsx, mut csv) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..runs {
        let t = Instant::now();
        let rows: Vec<_> =
            employees.iter().zip(&records).map(|(e, r)| row_from_records(e, r, &rules).unwrap()).collect();
        let recap = assemble(
            "Pemerintah Kabupaten Contoh",
            "2025-11",
            None,
            RecapState::Ready,
            date(2025, 12, 5),
            vec![],
            vec![],
            &units,
            rows,
            vec![],
        );
        let c = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let bytes = to_xlsx(&recap).unwrap();
        let x = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let csv_bytes = to_csv(&recap);
        let v = t.elapsed().as_secs_f64();
        println!(
            "run {run}: compute {c:.3} s, xlsx {x:.3} s ({:.1} MB, {} sheets), csv {v:.3} s ({:.1} MB); total Rp {}",
            bytes.len() as f64 / 1e6,
            recap.units.len() + 2,
            csv_bytes.len() as f64 / 1e6,
            recap.total.rupiah_applied
        );
        compute.push(c);
        xlsx.push(x);
        csv.push(v);
    }
    println!(
        "median of {runs} runs, {n} employees: compute {:.3} s (budget 5 s), xlsx {:.3} s (budget 10 s), csv {:.3} s",
        median(compute),
        median(xlsx),
        median(csv)
    );
}
