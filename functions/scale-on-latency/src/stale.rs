//! Stale deliveries: an ALARM older than the hold duration (a failed event replayed from the
//! failed-events queue hours later, a sample invoked by hand) is checked against the alarm's
//! state now before it may raise. Fresh events cost no call.

use aws_sdk_cloudwatch::types::AlarmType;
use chrono::{DateTime, Utc};
use remediation::alarm::{Alarm, AlarmState};
use remediation::config::SCALE_HOLD_SECONDS;
use remediation::Error;

use crate::{App, FUNCTION};

impl App {
    /// Why `alarm` must change nothing: an ALARM older than `SCALE_HOLD_SECONDS` whose alarm
    /// is no longer in ALARM (or no longer exists). `None`: act as usual, also for an old
    /// ALARM that still fires.
    pub(crate) async fn stale(
        &self,
        alarm: &Alarm,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, Error> {
        let (Some(at), AlarmState::Alarm) = (alarm.time, alarm.state) else {
            return Ok(None);
        };
        let hold = self.config.scale.hold;
        let age = now - at;
        if age <= chrono::Duration::from_std(hold).unwrap_or(chrono::Duration::MAX) {
            return Ok(None);
        }
        let state_now = self.alarm_state(&alarm.name).await?;
        let still = state_now.as_deref() == Some("ALARM");
        tracing::info!(function = FUNCTION, alarm = %alarm.name, since = %at, age_s = age.num_seconds(),
            state_now = state_now.as_deref().unwrap_or("no such alarm"), acting = still,
            "old ALARM checked against the alarm's state now");
        if still {
            return Ok(None);
        }
        Ok(Some(format!(
            "stale delivery: this ALARM is from {}, {} ago, longer than {SCALE_HOLD_SECONDS}={}; \
             the alarm is {} now (DescribeAlarms); no capacity change",
            remediation::holds::rfc3339(at),
            span(age),
            hold.as_secs(),
            state_now.map_or("gone (no such alarm)".to_owned(), |s| format!("in {s}"))
        )))
    }

    /// The alarm's state now (`ALARM`, `OK`, `INSUFFICIENT_DATA`), metric or composite;
    /// `None` when no alarm has this name.
    async fn alarm_state(&self, name: &str) -> Result<Option<String>, Error> {
        let out = self
            .cloudwatch
            .describe_alarms()
            .alarm_names(name)
            .alarm_types(AlarmType::MetricAlarm)
            .alarm_types(AlarmType::CompositeAlarm)
            .send()
            .await
            .map_err(|err| Error::aws("DescribeAlarms", err))?;
        let metric = out.metric_alarms().iter().filter_map(|a| a.state_value());
        let composite = out
            .composite_alarms()
            .iter()
            .filter_map(|a| a.state_value());
        Ok(metric
            .chain(composite)
            .next()
            .map(|s| s.as_str().to_owned()))
    }
}

/// A duration as `2d 3h`, `5h 12m` or `40m`.
fn span(d: chrono::Duration) -> String {
    let (days, hours, minutes) = (d.num_days(), d.num_hours() % 24, d.num_minutes() % 60);
    match (days, hours) {
        (0, 0) => format!("{minutes}m"),
        (0, _) => format!("{hours}h {minutes}m"),
        _ => format!("{days}d {hours}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_as_days_hours_minutes() {
        let d = chrono::Duration::minutes;
        assert_eq!(span(d(40)), "40m");
        assert_eq!(span(d(5 * 60 + 12)), "5h 12m");
        assert_eq!(span(d(2 * 24 * 60 + 3 * 60 + 7)), "2d 3h");
    }
}
