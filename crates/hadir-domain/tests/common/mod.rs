//! Test fixture: one employee, one unit zone, a calendar and its inputs; `eval(date)` runs
//! `evaluate_day` with everything filled in.
#![allow(dead_code)]

use hadir_domain::*;
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

pub struct Fx {
    pub tz: TimeZone,
    pub calendar: Calendar,
    pub roster: Vec<RosterEntry>,
    pub rules: RuleSet,
    pub holidays: Vec<Holiday>,
    pub start_date: Option<Date>,
    pub punches: Vec<Punch>,
    pub absences: Vec<ApprovedAbsence>,
    pub presence: Vec<PresenceEntry>,
    pub outages: Vec<OutageWindow>,
    pub corrections: Vec<Correction>,
    /// Default: long after any test date, so days are closed.
    pub now: Timestamp,
}

impl Fx {
    pub fn new(zone: &str) -> Fx {
        Fx {
            tz: TimeZone::get(zone).unwrap(),
            calendar: Calendar::perpres_21_2023(),
            roster: Vec::new(),
            rules: RuleSet::default(),
            holidays: parse_holiday_csv(DEFAULT_HOLIDAYS_CSV).unwrap(),
            start_date: None,
            punches: Vec::new(),
            absences: Vec::new(),
            presence: Vec::new(),
            outages: Vec::new(),
            corrections: Vec::new(),
            now: "2030-01-01T00:00:00Z".parse().unwrap(),
        }
    }

    pub fn wib() -> Fx {
        Fx::new("Asia/Jakarta")
    }

    /// The instant of local `hh:mm` (or `hh:mm:ss`) on `date` in the fixture's zone.
    pub fn at(&self, date: Date, hm: &str) -> Timestamp {
        let parts: Vec<i8> = hm.split(':').map(|p| p.parse().unwrap()).collect();
        date.at(parts[0], parts[1], *parts.get(2).unwrap_or(&0), 0)
            .to_zoned_datetime(self.tz.clone())
            .unwrap()
            .timestamp()
    }

    /// Adds punches at local times on `date`; ids continue from the existing ones.
    pub fn punch(&mut self, date: Date, times: &[&str]) -> &mut Fx {
        for t in times {
            let id = self.punches.len() as i64 + 1;
            let at = self.at(date, t);
            self.punches.push(Punch { id, at, source: "mesin:SN1".into() });
        }
        self
    }

    pub fn eval(&self, date: Date) -> DayRecord {
        let schedule = self.calendar.resolve(date, &self.roster).unwrap();
        let input = DayInput {
            holidays: &self.holidays,
            start_date: self.start_date,
            punches: &self.punches,
            absences: &self.absences,
            presence_entries: &self.presence,
            outages: &self.outages,
            corrections: &self.corrections,
            ..DayInput::new(date, &self.tz, &schedule, &self.rules, self.now)
        };
        evaluate_day(&input)
    }
}

pub fn cp<'r>(r: &'r DayRecord, name: &str) -> &'r CheckpointResult {
    r.checkpoints.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("no checkpoint {name} in {r:#?}"))
}

pub fn pct(h: u32) -> Percent {
    Percent::from_hundredths(h)
}
