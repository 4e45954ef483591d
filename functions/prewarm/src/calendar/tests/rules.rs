//! The calendar's rules: when recurring actions start, what is refused (monthly days, periods,
//! cron fields, the horizon, overlaps) and the 200-action limit.

use super::*;

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// The StartTime of an entry's two actions.
fn start_times(extra: Value) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let (raise, restore) = schedules(extra.clone());
    let e = one(extra);
    let cap = Capacity { min: 2, max: 20 };
    let (list, _) = actions(&e, T, &raise, &restore, cap, None, 2);
    (list[0].start_time, list[1].start_time)
}

/// A recurring entry starting 2027-06-04 must not run on the first Fridays before it: each
/// action starts at midnight local time of the day it first runs.
#[test]
fn recurring_actions_start_on_the_day_of_their_first_occurrence() {
    let first_friday = json!({"start": "2027-06-04T18:00", "end": "2027-06-04T20:00",
        "recurrence": "monthly:first-friday"});
    let midnight_edt = Some(utc("2027-06-04T04:00:00Z"));
    assert_eq!(start_times(first_friday), (midnight_edt, midnight_edt));
    // The raise runs the evening before (lead across midnight), the end the morning after.
    let (raise, end) = start_times(json!({"start": "2026-12-04T00:10",
        "end": "2026-12-05T01:00", "recurrence": "weekly"}));
    assert_eq!(raise, Some(utc("2026-12-03T05:00:00Z")));
    assert_eq!(end, Some(utc("2026-12-05T05:00:00Z")));
    // In Berlin, in winter: midnight is 23:00 UTC the day before.
    let (raise, _) = start_times(json!({"timezone": "Europe/Berlin", "recurrence": "daily"}));
    assert_eq!(raise, Some(utc("2026-12-03T23:00:00Z")));
    // Santiago's clocks jump from 00:00 to 01:00 on 2027-09-05: the day starts at 01:00 -03.
    let (raise, _) = start_times(
        json!({"timezone": "America/Santiago", "recurrence": "daily",
        "start": "2027-09-05T18:00", "end": "2027-09-05T20:00"}),
    );
    assert_eq!(raise, Some(utc("2027-09-05T04:00:00Z")));
    // One-off actions run once: no StartTime.
    assert_eq!(start_times(json!({})), (None, None));
}

/// Actions written before StartTime existed differ only by it: the sync updates them.
#[test]
fn a_recurring_action_without_its_start_time_is_updated() {
    let e = one(json!({"recurrence": "weekly"}));
    let (raise, restore) = schedules(json!({"recurrence": "weekly"}));
    let (desired, _) = actions(
        &e,
        T,
        &raise,
        &restore,
        Capacity { min: 2, max: 20 },
        None,
        2,
    );
    let old: Vec<ScheduledAction> = desired
        .iter()
        .map(|a| ScheduledAction {
            start_time: None,
            ..a.clone()
        })
        .collect();
    let changes = diff(desired.clone(), &old);
    assert_eq!(changes.update, desired);
    assert!(changes.create.is_empty() && changes.delete.is_empty());
    assert_eq!(diff(desired.clone(), &desired).unchanged, desired);
}

fn refusal(extra: Value) -> String {
    let err = timing(&one(extra.clone()), now()).unwrap_err();
    assert_eq!(
        err.error_type(),
        "NonRetryable.InvalidEvent",
        "{extra}: {err}"
    );
    err.to_string()
}

/// `monthly` on the 29th to 31st would skip the months without that day; an end past
/// midnight on such a day, or in the next month, would end on a different day each month.
#[test]
fn monthly_entries_stay_on_days_every_month_has() {
    for day in ["2027-01-29", "2027-01-30", "2027-01-31"] {
        let err = refusal(
            json!({"recurrence": "monthly", "start": format!("{day}T18:00"),
            "end": format!("{day}T20:00")}),
        );
        assert!(
            err.contains(&format!(
                "start: {day} is day {} of its month, which not every month has",
                &day[8..]
            )),
            "{err}"
        );
        assert!(err.contains("such as monthly:fourth-"), "{err}");
    }
    // 2027-01-29 is a Friday.
    assert!(
        refusal(json!({"recurrence": "monthly", "start": "2027-01-29T18:00",
        "end": "2027-01-29T20:00"}))
        .contains("monthly:fourth-friday")
    );
    // The 28th until 02:00 on the 29th: the end would skip February.
    let err = refusal(json!({"recurrence": "monthly", "start": "2026-12-28T22:00",
        "end": "2026-12-29T02:00"}));
    assert!(
        err.contains("end: 2026-12-29: with recurrence monthly, the event must end by day 28"),
        "{err}"
    );
    // The 27th until the 2nd of the next month.
    let err = refusal(json!({"recurrence": "monthly", "start": "2026-12-27T22:00",
        "end": "2027-01-02T02:00"}));
    assert!(
        err.contains("end: 2027-01-02: with recurrence monthly"),
        "{err}"
    );
    // Past midnight on a day every month has: the end action runs on the next day.
    let (raise, restore) = schedules(json!({"recurrence": "monthly", "start": "2026-12-04T22:00",
        "end": "2026-12-05T02:00"}));
    assert_eq!(raise.0, "cron(45 21 4 * ? *)");
    assert_eq!(restore.0, "cron(0 2 5 * ? *)");
    // Several days within the month: from the 4th to the 20th.
    let (_, restore) = schedules(json!({"recurrence": "monthly", "end": "2026-12-20T20:00"}));
    assert_eq!(restore.0, "cron(0 20 20 * ? *)");
}

/// One occurrence must end before the next is raised, lead included, with room for its end
/// to be decided late: otherwise the earlier occurrence's end drops the next one to its
/// baseline.
#[test]
fn a_recurring_event_ends_before_its_next_raise() {
    // Daily from 17:30 (18:00 less 30 minutes' lead) to 17:30 the next day: 24 hours.
    let err = refusal(json!({"recurrence": "daily", "lead_minutes": 30,
        "end": "2026-12-05T17:30"}));
    assert!(
        err.contains(
            "end: an event that repeats daily may last at most 24 hours less 20 minutes, \
             lead_minutes included (one occurrence must end 20 minutes before the next is \
             raised, as its end may be decided up to 15 minutes late)"
        ),
        "{err}"
    );
    // To 17:11: the next is raised 19 minutes later. To 17:10 (below): 20 minutes.
    let daily = json!({"recurrence": "daily", "lead_minutes": 30, "end": "2026-12-05T17:11"});
    assert!(refusal(daily).contains("at most 24 hours less 20 minutes"));
    let (raise, restore) = schedules(json!({"recurrence": "daily", "lead_minutes": 30,
        "end": "2026-12-05T17:10"}));
    assert_eq!(
        (raise.0.as_str(), restore.0.as_str()),
        ("cron(30 17 * * ? *)", "cron(10 17 * * ? *)")
    );
    let err = refusal(json!({"recurrence": "weekly", "lead_minutes": 60,
        "end": "2026-12-11T17:00"}));
    assert!(
        err.contains("repeats weekly may last at most 7 days less 20 minutes"),
        "{err}"
    );
    // A cron is held to the days it runs on: on weekdays, an end at 23:55 and the next
    // raise at 00:00 are 5 minutes apart; on Mondays only, 7 days less 5 minutes.
    let weekdays = json!({"recurrence": "cron(0 0 ? * MON-FRI *)", "lead_minutes": 0,
        "start": "2026-12-07T00:00", "end": "2026-12-07T23:55"});
    let err = refusal(weekdays);
    assert!(
        err.contains("repeats cron may last at most 1 day less 20 minutes"),
        "{err}"
    );
    let (raise, restore) = schedules(json!({"recurrence": "cron(0 0 ? * MON *)",
        "lead_minutes": 0, "start": "2026-12-07T00:00", "end": "2026-12-07T23:55"}));
    assert_eq!(
        (raise.0.as_str(), restore.0.as_str()),
        ("cron(0 0 ? * MON *)", "cron(55 23 ? * MON *)")
    );
}

/// A recurring raise or end at a time the clocks skip on one of its days is refused, as a
/// one-off's is: Scheduler would skip that occurrence's end.
#[test]
fn a_recurring_time_in_a_daylight_saving_gap_is_refused() {
    let daily = json!({"recurrence": "daily", "lead_minutes": 0, "start": "2026-12-04T01:00",
        "end": "2026-12-04T02:30"});
    let err = refusal(daily);
    assert!(
        err.contains("end: 02:30 does not exist in America/New_York on 2027-03-14"),
        "{err}"
    );
    let lead = json!({"recurrence": "daily", "lead_minutes": 15, "start": "2026-12-04T03:10",
        "end": "2026-12-04T05:00"});
    assert!(
        refusal(lead).contains("lead_minutes: 02:55 does not exist in America/New_York"),
        "lead into the gap"
    );
    // Fridays at 02:30 never meet New York's gap, which is on a Sunday.
    let (raise, _) = schedules(json!({"recurrence": "weekly", "lead_minutes": 0,
        "start": "2026-12-04T02:30", "end": "2026-12-04T04:00"}));
    assert_eq!(raise.0, "cron(30 2 ? * FRI *)");
}

/// The day fields of a cron, read as Application Auto Scaling reads them.
#[test]
fn cron_days_match_the_days_aws_runs_them_on() {
    let cases = [
        (["?", "*", "FRI#1", "*"], "2026-12-04", true),
        (["?", "*", "FRI#1", "*"], "2026-12-11", false),
        (["?", "*", "MON-FRI", "*"], "2026-12-07", true),
        (["?", "*", "MON-FRI", "*"], "2026-12-05", false),
        (["?", "*", "2-6", "*"], "2026-12-07", true),
        (["?", "*", "1,7", "*"], "2026-12-05", true),
        // The last Friday of December 2026 is the 25th.
        (["?", "*", "6L", "*"], "2026-12-25", true),
        (["?", "*", "6L", "*"], "2026-12-18", false),
        (["L", "*", "?", "*"], "2027-02-28", true),
        (["L", "*", "?", "*"], "2028-02-28", false),
        // 2027-05-15 is a Saturday: 15W is Friday the 14th; 1W (a Saturday) is Monday the 3rd.
        (["15W", "*", "?", "*"], "2027-05-14", true),
        (["15W", "*", "?", "*"], "2027-05-15", false),
        (["1W", "*", "?", "*"], "2027-05-03", true),
        // 2027-10-31 is a Sunday: the last weekday is Friday the 29th.
        (["LW", "*", "?", "*"], "2027-10-29", true),
        (["LW", "*", "?", "*"], "2027-10-31", false),
        (["1,15", "JAN-MAR", "?", "2027"], "2027-03-15", true),
        (["1,15", "JAN-MAR", "?", "2027"], "2027-04-15", false),
        (["1,15", "1-3", "?", "2026-2027"], "2028-01-15", false),
        // Steps count from the first value: the 1st, 11th, 21st and 31st.
        (["*/10", "*", "?", "*"], "2027-01-21", true),
        (["*/10", "*", "?", "*"], "2027-01-20", false),
        (["?", "*", "FRI", "2027/2"], "2029-01-05", true),
        (["?", "*", "FRI", "2027/2"], "2028-01-07", false),
    ];
    for (fields, day, expected) in cases {
        let days = CronDays::parse(fields[0], fields[1], fields[2], fields[3]).unwrap();
        let date = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
        assert_eq!(days.matches(date), expected, "{fields:?} on {day}");
        assert_eq!(days.to_string(), fields.join(" "));
    }
}

/// A cron the calendar cannot read would fail at PutScheduledAction, after other writes; its
/// `start` is its first occurrence, as for the other recurrences.
#[test]
fn cron_recurrences_are_read_before_anything_is_written() {
    let cases = [
        (
            "cron(0 18 32 * ? *)",
            "day-of-month field \"32\" that is not understood",
        ),
        (
            "cron(0 18 ? 13 FRI *)",
            "month field \"13\" that is not understood",
        ),
        (
            "cron(0 18 ? * FRX *)",
            "day-of-week field \"FRX\" that is not understood",
        ),
        ("cron(0 18 ? * FRI#6 *)", "day-of-week field \"FRI#6\""),
        ("cron(0 18 ? * FRI-MON *)", "day-of-week field \"FRI-MON\""),
        ("cron(0 18 ? * FRI 1969)", "year field \"1969\""),
        ("cron(0 18 ? JAN/0 FRI *)", "month field \"JAN/0\""),
    ];
    for (recurrence, expected) in cases {
        let err = parse(&json!([entry(json!({"recurrence": recurrence}))])).unwrap_err();
        assert_eq!(err.error_type(), "NonRetryable.InvalidEvent");
        assert!(
            err.to_string().starts_with(&format!(
                "invalid event: calendar[0].recurrence: \"{recurrence}\" has a {expected}"
            )),
            "{err}"
        );
    }
    // 2026-12-04 is the first Friday, not the second.
    let err = refusal(json!({"recurrence": "cron(0 18 ? * FRI#2 *)"}));
    assert!(
        err.contains("start: 2026-12-04 is not a day the cron runs on (? * FRI#2 *)"),
        "{err}"
    );
    let (raise, restore) = schedules(json!({"recurrence": "cron(0 18 ? * MON-FRI *)"}));
    assert_eq!(
        (raise.0.as_str(), restore.0.as_str()),
        ("cron(45 17 ? * MON-FRI *)", "cron(0 20 ? * MON-FRI *)")
    );
}

/// `check` on a calendar of `entry(...)` variations at `at`: `Ok`, or the error's text.
fn checked(extras: &[Value], at: DateTime<Utc>) -> Result<(), String> {
    let list: Vec<Value> = extras.iter().map(|e| entry(e.clone())).collect();
    let entries = parse(&Value::Array(list)).unwrap();
    check(&entries, at).map_err(|err| {
        assert_eq!(err.error_type(), "NonRetryable.InvalidEvent", "{err}");
        err.to_string()
    })
}

/// A raise is limited to 90 days ahead; so is a calendar: a one-off event ends within them, a
/// recurring entry's first event is raised within them. now() is 2026-11-28T12:00Z, so the
/// horizon is 2027-02-26T12:00Z (07:00 in New York).
#[test]
fn calendar_entries_are_held_to_the_horizon_of_a_raise() {
    let one_off = |end: &str| json!({"start": "2027-02-26T05:00", "end": end});
    assert_eq!(checked(&[one_off("2027-02-26T07:00")], now()), Ok(()));
    assert_eq!(
        checked(&[one_off("2027-02-26T07:01")], now()),
        Err(
            "invalid event: calendar[0].end: 2027-02-26T07:01 in America/New_York is more \
             than 90 days ahead (now 2026-11-28T12:00:00Z); like a raise's expiry, a one-off \
             event must end within 90 days: sync it nearer the time"
                .to_owned()
        )
    );
    let years = json!({"name": "typo", "start": "2030-12-04T18:00", "end": "2030-12-04T20:00"});
    let err = checked(&[json!({"name": "ok"}), years], now()).unwrap_err();
    assert!(
        err.starts_with("invalid event: calendar[1].end: 2030-12-04T20:00"),
        "{err}"
    );
    // An event that is over is no concern of the horizon.
    let over = json!({"start": "2026-11-01T18:00", "end": "2026-11-01T20:00"});
    assert_eq!(checked(&[over], now()), Ok(()));

    // Recurring: the first event, 2027-03-05 17:45 in New York, is raised too far ahead.
    let monthly = |day: &str| {
        json!({"recurrence": "monthly:first-friday", "start": format!("{day}T18:00"),
               "end": format!("{day}T20:00")})
    };
    assert_eq!(
        checked(&[monthly("2027-03-05")], now()),
        Err(
            "invalid event: calendar[0].start: the first event is raised at \
             2027-03-05T22:45:00Z, more than 90 days ahead (now 2026-11-28T12:00:00Z); a \
             recurring entry's start is its first event and must be raised within 90 days: \
             sync it nearer the time"
                .to_owned()
        )
    );
    assert_eq!(checked(&[monthly("2027-02-05")], now()), Ok(()));
    // A recurring entry that started long ago repeats now.
    assert_eq!(checked(&[monthly("2024-11-01")], now()), Ok(()));
}

/// Two events on one variant, lead included, must be 20 minutes apart: the first to end (its
/// end decided up to 15 minutes late) would drop the other to its baseline.
#[test]
fn overlapping_entries_on_one_variant_are_refused_naming_both() {
    // "a" from 17:45 (lead 15) to 20:00 on 2026-12-04 in New York.
    let a = json!({"name": "a"});
    let b = |lead: u32| {
        json!({"name": "b", "start": "2026-12-04T20:10", "end": "2026-12-04T22:00",
               "lead_minutes": lead})
    };
    assert_eq!(
        checked(&[a.clone(), b(15)], now()),
        Err(
            "invalid event: calendar[1].start: entry \"b\" overlaps entry \"a\" (calendar[0]) \
             on prod-ranker/AllTraffic: \"b\" is raised at 2026-12-05T00:55:00Z (lead \
             included), not 20 minutes or more after \"a\" ends at 2026-12-05T01:00:00Z, and \
             the first to end (its end may be decided up to 15 minutes late) would drop the \
             other to its baseline. Give a variant one event at a time: move one, or merge \
             them into one entry"
                .to_owned()
        )
    );
    // Listed the other way round: the later entry in the list is the one named first.
    let err = checked(&[b(15), a.clone()], now()).unwrap_err();
    assert!(
        err.contains("calendar[1].start: entry \"a\" overlaps entry \"b\" (calendar[0])"),
        "{err}"
    );
    // Raised the minute "a" ends: both actions at once, in no particular order.
    assert!(checked(&[a.clone(), b(10)], now()).is_err());
    // Raised 5 minutes after "a" ends: a late end of "a" would land in "b".
    assert!(checked(&[a.clone(), b(5)], now()).is_err());
    // 20 minutes after: no end of "a" is decided that late.
    let later = |start: &str| json!({"name": "b", "start": start, "end": "2026-12-04T22:00", "lead_minutes": 0});
    assert_eq!(
        checked(&[a.clone(), later("2026-12-04T20:20")], now()),
        Ok(())
    );
    assert!(checked(&[a.clone(), later("2026-12-04T20:19")], now()).is_err());
    // Other variants and other endpoints are not concerned; no variant means every variant.
    let mut other = b(15);
    other["variant"] = json!("Canary");
    assert_eq!(checked(&[a.clone(), other.clone()], now()), Ok(()));
    other["variant"] = Value::Null;
    let err = checked(&[a.clone(), other.clone()], now()).unwrap_err();
    assert!(err.contains("on prod-ranker/AllTraffic"), "{err}");
    other["endpoint"] = json!("prod-search");
    assert_eq!(checked(&[a.clone(), other], now()), Ok(()));
    let mut everywhere = b(15);
    everywhere["variant"] = Value::Null;
    let mut again = a.clone();
    again["variant"] = Value::Null;
    let err = checked(&[again, everywhere], now()).unwrap_err();
    assert!(
        err.contains("on prod-ranker (every production variant)"),
        "{err}"
    );
}

#[test]
fn overlaps_with_recurring_entries_are_found_on_the_day_they_happen() {
    // Weekly on Fridays 18:00-20:00 from 2026-12-04; a one-off on Friday 2026-12-18 at 19:00.
    let weekly = json!({"name": "weekly", "recurrence": "weekly", "lead_minutes": 0});
    let on = |day: &str| {
        json!({"name": "once", "start": format!("{day}T19:00"), "end": format!("{day}T21:00"),
               "lead_minutes": 0})
    };
    let err = checked(&[weekly.clone(), on("2026-12-18")], now()).unwrap_err();
    assert!(
        err.contains(
            "\"once\" is raised at 2026-12-19T00:00:00Z (lead included), not 20 minutes \
                      or more after \"weekly\" ends at 2026-12-19T01:00:00Z"
        ),
        "{err}"
    );
    assert_eq!(checked(&[weekly.clone(), on("2026-12-17")], now()), Ok(()));
    // A one-off that is over is left out, whatever it overlapped.
    assert_eq!(checked(&[weekly, on("2026-11-20")], now()), Ok(()));

    // New York at 12:00 is 18:00 in Berlin, except in the weeks when one of the two cities
    // is on summer time and the other not yet: then it is 17:00, and "ny" (12:00-13:00 New
    // York) meets "berlin" (17:15-17:35 Berlin), first on Monday 2027-03-15.
    let ny = json!({"name": "ny", "recurrence": "weekly", "start": "2026-12-07T12:00",
        "end": "2026-12-07T13:00", "lead_minutes": 0});
    let berlin = json!({"name": "berlin", "recurrence": "weekly", "timezone": "Europe/Berlin",
        "start": "2026-12-07T17:15", "end": "2026-12-07T17:35", "lead_minutes": 0});
    let err = checked(&[ny.clone(), berlin.clone()], now()).unwrap_err();
    assert!(
        err.contains(
            "\"berlin\" is raised at 2027-03-15T16:15:00Z (lead included), not 20 minutes \
                      or more after \"ny\" ends at 2027-03-15T17:00:00Z"
        ),
        "{err}"
    );
    let mut later = berlin;
    later["start"] = json!("2026-12-07T18:15");
    later["end"] = json!("2026-12-07T18:45");
    assert!(checked(&[ny.clone(), later], now())
        .unwrap_err()
        .contains("\"berlin\" is raised at 2026-12-07T17:15:00Z"));
    let mut evening = json!({"name": "berlin", "recurrence": "weekly",
        "timezone": "Europe/Berlin", "start": "2026-12-07T19:30", "end": "2026-12-07T19:45"});
    evening["lead_minutes"] = json!(0);
    assert_eq!(checked(&[ny, evening], now()), Ok(()));

    // The 13th of every month and every Friday meet on the next Friday the 13th, 2027-08-13.
    let thirteenth = json!({"name": "thirteenth", "recurrence": "monthly",
        "timezone": "Europe/Berlin", "start": "2026-12-13T18:00", "end": "2026-12-13T20:00",
        "lead_minutes": 0});
    let fridays = json!({"name": "fridays", "recurrence": "weekly",
        "timezone": "Europe/Berlin", "start": "2026-12-04T19:00", "end": "2026-12-04T21:00",
        "lead_minutes": 0});
    let err = checked(&[thirteenth, fridays], now()).unwrap_err();
    assert!(
        err.contains(
            "\"fridays\" is raised at 2027-08-13T17:00:00Z (lead included), not 20 \
                      minutes or more after \"thirteenth\" ends at 2027-08-13T18:00:00Z"
        ),
        "{err}"
    );
    // First and third Fridays never meet; nor do weekdays and a Saturday cron.
    let nth = |name: &str, nth: &str, day: &str| {
        json!({"name": name, "recurrence": format!("monthly:{nth}-friday"),
               "start": format!("{day}T18:00"), "end": format!("{day}T20:00")})
    };
    assert_eq!(
        checked(
            &[
                nth("first", "first", "2026-12-04"),
                nth("third", "third", "2026-12-18")
            ],
            now()
        ),
        Ok(())
    );
    let weekdays = json!({"name": "weekdays", "recurrence": "cron(0 18 ? * MON-FRI *)"});
    let saturdays = json!({"name": "saturdays", "recurrence": "cron(0 18 ? * SAT *)",
        "start": "2026-12-05T18:00", "end": "2026-12-05T20:00"});
    assert_eq!(checked(&[weekdays, saturdays], now()), Ok(()));
}

/// `count` actions named `prefix<n>` on the target `resource`.
fn many(prefix: &str, resource: &str, count: usize) -> Vec<ScheduledAction> {
    (0..count)
        .map(|n| ScheduledAction {
            name: format!("{prefix}{n}"),
            resource_id: resource.to_owned(),
            dimension: "sagemaker:variant:DesiredInstanceCount".to_owned(),
            schedule: "at(2026-12-04T18:00:00)".to_owned(),
            timezone: Some("Etc/UTC".to_owned()),
            min_capacity: Some(4),
            max_capacity: None,
            start_time: None,
        })
        .collect()
}

/// At most 200 scheduled actions per scalable target: this calendar's after the sync plus
/// those of others on the same target; this function's stale actions are deleted first.
#[test]
fn a_target_holds_at_most_200_scheduled_actions() {
    let (v, w) = ("endpoint/e/variant/v", "endpoint/e/variant/w");
    assert_eq!(too_many(&many("prewarm-a", v, 200), &[]), None);
    assert_eq!(
        too_many(&many("prewarm-a", v, 202), &[]),
        Some(TooMany {
            resource_id: v.to_owned(),
            calendar: 202,
            others: 0
        })
    );
    // Someone else's action on the same target counts; on another target it does not.
    let theirs = many("nightly-", v, 1);
    let full = too_many(&many("prewarm-a", v, 200), &theirs).unwrap();
    assert_eq!((full.calendar, full.others), (200, 1));
    assert_eq!(
        full.to_string(),
        "too many scheduled actions: endpoint/e/variant/v would hold 201 (200 of this \
         calendar, two per entry on it, and 1 not made by it), more than the 200 Application Auto \
         Scaling allows per scalable target; nothing was synced. Remove entries on this \
         variant (or other scheduled actions of its target)"
    );
    assert_eq!(
        too_many(&many("prewarm-a", v, 200), &many("nightly-", w, 5)),
        None
    );
    // This function's actions that the calendar drops are deleted before anything is put.
    assert_eq!(
        too_many(&many("prewarm-a", v, 200), &many("prewarm-old", v, 150)),
        None
    );
    // Per target: the first one over the limit is named.
    let mut both = many("prewarm-a", v, 10);
    both.extend(many("prewarm-a", w, 201));
    assert_eq!(too_many(&both, &[]).unwrap().resource_id, w);
    assert_eq!(MAX_ACTIONS_PER_TARGET, 200);
}
