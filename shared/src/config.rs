//! Configuration from environment variables, read and validated once at start.
//!
//! Every parser takes a lookup function instead of reading the process environment, so tests
//! can pass a map and the binaries pass `std::env::var`.

use std::time::Duration;

use crate::demand::DemandConfig;
use crate::error::Error;

/// Reads one variable; `None` when unset.
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Reads the process environment.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

pub const NOTIFY_TOPIC_ARN: &str = "NOTIFY_TOPIC_ARN";
pub const ALLOWED_ENDPOINTS: &str = "ALLOWED_ENDPOINTS";
pub const DRY_RUN: &str = "DRY_RUN";
pub const SCALE_STEP: &str = "SCALE_STEP";
pub const SCALE_CEILING: &str = "SCALE_CEILING";
pub const SCALE_COOLDOWN_SECONDS: &str = "SCALE_COOLDOWN_SECONDS";
pub const SCALE_HOLD_SECONDS: &str = "SCALE_HOLD_SECONDS";
pub const LOCK_TABLE: &str = "LOCK_TABLE";
/// scale-on-latency: endpoints a scheduled sweep visits side by side.
pub const SWEEP_CONCURRENCY: &str = "SWEEP_CONCURRENCY";
pub const DEFAULT_SWEEP_CONCURRENCY: u32 = 16;
pub const SCALE_MODE: &str = "SCALE_MODE";
pub const SCALE_CONCURRENCY_PER_INSTANCE: &str = "SCALE_CONCURRENCY_PER_INSTANCE";
pub const SCALE_HEADROOM: &str = "SCALE_HEADROOM";
pub const SCALE_TARGET_INVOCATIONS_PER_INSTANCE: &str = "SCALE_TARGET_INVOCATIONS_PER_INSTANCE";

/// Settings every function shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommonConfig {
    pub topic_arn: Option<String>,
    pub allowlist: Allowlist,
    pub dry_run: bool,
}

impl CommonConfig {
    pub fn from_lookup(env: Lookup<'_>) -> Result<Self, Error> {
        let topic_arn = match non_blank(env, NOTIFY_TOPIC_ARN) {
            Some(arn) if !arn.starts_with("arn:") => {
                return Err(invalid(
                    NOTIFY_TOPIC_ARN,
                    &arn,
                    "an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>)",
                ))
            }
            other => other,
        };
        Ok(CommonConfig {
            topic_arn,
            allowlist: Allowlist::parse(&env(ALLOWED_ENDPOINTS).unwrap_or_default())?,
            dry_run: parse_bool(env, DRY_RUN)?.unwrap_or(false),
        })
    }
}

/// The DynamoDB table of per-variant leases (scale-on-latency and prewarm): a name of 3-255
/// letters, digits, `_`, `-` and `.`.
pub fn lock_table(env: Lookup<'_>) -> Result<String, Error> {
    let name = non_blank(env, LOCK_TABLE).ok_or_else(|| {
        Error::InvalidConfig(format!(
            "{LOCK_TABLE} is not set: name the DynamoDB table of per-variant leases (the stack \
             creates it; its partition key is `target`, a string)"
        ))
    })?;
    let valid = (3..=255).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
    if !valid {
        return Err(invalid(
            LOCK_TABLE,
            &name,
            "a DynamoDB table name (3-255 letters, digits, '_', '-', '.')",
        ));
    }
    Ok(name)
}

/// Settings of scale-on-latency.
#[derive(Debug, Clone, PartialEq)]
pub struct ScaleConfig {
    /// Instances added to MinCapacity per ALARM.
    pub step: u32,
    /// Highest MinCapacity a latency raise may set; `None`: the target's MaxCapacity.
    pub ceiling: Option<u32>,
    /// No second raise of a variant within this time.
    pub cooldown: Duration,
    /// How long a latency hold lives without an OK event before it expires.
    pub hold: Duration,
    /// `SCALE_MODE=demand`: size the raise from the variant's metrics. `None`: a fixed step.
    pub demand: Option<DemandConfig>,
}

impl ScaleConfig {
    pub fn from_lookup(env: Lookup<'_>) -> Result<Self, Error> {
        Ok(ScaleConfig {
            step: parse_u32(env, SCALE_STEP, 1, 1000)?.unwrap_or(2),
            ceiling: parse_u32(env, SCALE_CEILING, 1, 100_000)?,
            cooldown: Duration::from_secs(
                parse_u32(env, SCALE_COOLDOWN_SECONDS, 0, 86_400)?
                    .unwrap_or(300)
                    .into(),
            ),
            hold: alarm_hold(env)?,
            demand: parse_demand(env)?,
        })
    }
}

/// How long a latency alarm's hold lives without an OK (`SCALE_HOLD_SECONDS`, default 3 h).
/// prewarm reads it too: a calendar's end keeps a firing alarm's capacity that long.
pub fn alarm_hold(env: Lookup<'_>) -> Result<Duration, Error> {
    Ok(Duration::from_secs(
        parse_u32(env, SCALE_HOLD_SECONDS, 60, 7 * 86_400)?
            .unwrap_or(3 * 3600)
            .into(),
    ))
}

/// The demand-sizing variables are validated whatever the mode, so a typo never waits for the
/// day someone switches `SCALE_MODE` to find out.
fn parse_demand(env: Lookup<'_>) -> Result<Option<DemandConfig>, Error> {
    let config = DemandConfig {
        concurrency_per_instance: parse_f64(env, SCALE_CONCURRENCY_PER_INSTANCE, 0.001, 1e6)?,
        headroom: parse_f64(env, SCALE_HEADROOM, 1.0, 10.0)?.unwrap_or(1.2),
        target_invocations_per_instance: parse_f64(
            env,
            SCALE_TARGET_INVOCATIONS_PER_INSTANCE,
            0.001,
            1e9,
        )?,
    };
    match non_blank(env, SCALE_MODE)
        .map(|m| m.to_ascii_lowercase())
        .as_deref()
    {
        None | Some("step") => Ok(None),
        Some("demand") => {
            if config.concurrency_per_instance.is_none()
                && config.target_invocations_per_instance.is_none()
            {
                return Err(Error::InvalidConfig(format!(
                    "{SCALE_MODE}=demand needs {SCALE_CONCURRENCY_PER_INSTANCE} (requests one \
                     instance serves at once) or {SCALE_TARGET_INVOCATIONS_PER_INSTANCE} \
                     (invocations per instance per minute), or both"
                )));
            }
            Ok(Some(config))
        }
        Some(other) => Err(invalid(SCALE_MODE, other, "step or demand")),
    }
}

/// Which endpoints a function may touch: exact names or globs with `*` and `?`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Allowlist {
    patterns: Vec<String>,
}

impl Allowlist {
    pub fn parse(text: &str) -> Result<Self, Error> {
        let patterns: Vec<String> = text
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        if let Some(bad) = patterns.iter().find(|p| {
            !p.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-*?".contains(c))
        }) {
            return Err(invalid(
                ALLOWED_ENDPOINTS,
                bad,
                "comma-separated endpoint names or globs of letters, digits, '-', '*' and '?'",
            ));
        }
        Ok(Allowlist { patterns })
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    pub fn allows(&self, endpoint: &str) -> bool {
        self.patterns.iter().any(|p| glob_match(p, endpoint))
    }

    /// Refuse an endpoint outside the list, saying which variable to change.
    pub fn check(&self, endpoint: &str) -> Result<(), Error> {
        if self.is_empty() {
            Err(Error::Refused(format!(
                "endpoint {endpoint}: {ALLOWED_ENDPOINTS} is empty, so no endpoint may be \
                 changed; set it to a comma-separated list of names or globs (e.g. prod-*)"
            )))
        } else if self.allows(endpoint) {
            Ok(())
        } else {
            Err(Error::Refused(format!(
                "endpoint {endpoint} is not in {ALLOWED_ENDPOINTS} ({})",
                self.patterns.join(",")
            )))
        }
    }
}

/// Glob match with `*` (any run) and `?` (one character), iterative with backtracking.
fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

fn non_blank(env: Lookup<'_>, name: &str) -> Option<String> {
    env(name)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn invalid(name: &str, value: &str, expected: &str) -> Error {
    Error::InvalidConfig(format!("{name}={value:?}: expected {expected}"))
}

pub fn parse_bool(env: Lookup<'_>, name: &str) -> Result<Option<bool>, Error> {
    match non_blank(env, name).map(|v| v.to_ascii_lowercase()) {
        None => Ok(None),
        Some(v) if v == "true" || v == "1" || v == "yes" => Ok(Some(true)),
        Some(v) if v == "false" || v == "0" || v == "no" => Ok(Some(false)),
        Some(v) => Err(invalid(name, &v, "true or false")),
    }
}

pub fn parse_f64(env: Lookup<'_>, name: &str, min: f64, max: f64) -> Result<Option<f64>, Error> {
    let Some(text) = non_blank(env, name) else {
        return Ok(None);
    };
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && (min..=max).contains(&v) => Ok(Some(v)),
        _ => Err(invalid(
            name,
            &text,
            &format!("a number from {min} to {max}"),
        )),
    }
}

pub fn parse_u32(env: Lookup<'_>, name: &str, min: u32, max: u32) -> Result<Option<u32>, Error> {
    let Some(text) = non_blank(env, name) else {
        return Ok(None);
    };
    match text.parse::<u32>() {
        Ok(v) if (min..=max).contains(&v) => Ok(Some(v)),
        _ => Err(invalid(
            name,
            &text,
            &format!("a whole number from {min} to {max}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn defaults_follow_the_contract() {
        let common = CommonConfig::from_lookup(&env(&[])).unwrap();
        assert_eq!(common.topic_arn, None);
        assert!(common.allowlist.is_empty());
        assert!(!common.dry_run);
        let scale = ScaleConfig::from_lookup(&env(&[])).unwrap();
        assert_eq!(scale.step, 2);
        assert_eq!(scale.ceiling, None);
        assert_eq!(scale.cooldown, Duration::from_secs(300));
        assert_eq!(scale.hold, Duration::from_secs(3 * 3600));
        assert_eq!(scale.demand, None);
    }

    #[test]
    fn demand_mode_needs_a_sizing_rule_and_has_defaults() {
        let err = ScaleConfig::from_lookup(&env(&[(SCALE_MODE, "demand")])).unwrap_err();
        assert!(
            err.to_string().contains(SCALE_CONCURRENCY_PER_INSTANCE),
            "{err}"
        );
        let scale = ScaleConfig::from_lookup(&env(&[
            (SCALE_MODE, "Demand"),
            (SCALE_CONCURRENCY_PER_INSTANCE, "4"),
        ]))
        .unwrap();
        assert_eq!(
            scale.demand,
            Some(DemandConfig {
                concurrency_per_instance: Some(4.0),
                headroom: 1.2,
                target_invocations_per_instance: None,
            })
        );
        // Step mode ignores valid demand settings.
        let step = ScaleConfig::from_lookup(&env(&[(SCALE_HEADROOM, "1.5")])).unwrap();
        assert_eq!(step.demand, None);
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (name, value) in [
            (SCALE_STEP, "0"),
            (SCALE_STEP, "two"),
            (SCALE_STEP, "-1"),
            (SCALE_CEILING, "0"),
            (SCALE_COOLDOWN_SECONDS, "5m"),
            (SCALE_HOLD_SECONDS, "10"),
            (SCALE_MODE, "burst"),
            (SCALE_HEADROOM, "0.5"),
            (SCALE_HEADROOM, "NaN"),
            (SCALE_CONCURRENCY_PER_INSTANCE, "0"),
            (SCALE_CONCURRENCY_PER_INSTANCE, "four"),
            (SCALE_TARGET_INVOCATIONS_PER_INSTANCE, "-5"),
        ] {
            let err = ScaleConfig::from_lookup(&env(&[(name, value)])).unwrap_err();
            assert!(matches!(err, Error::InvalidConfig(_)), "{name}={value}");
            assert!(err.to_string().contains(name), "{err}");
        }
        for (name, value) in [
            (DRY_RUN, "maybe"),
            (NOTIFY_TOPIC_ARN, "my-topic"),
            (ALLOWED_ENDPOINTS, "prod/*"),
        ] {
            let err = CommonConfig::from_lookup(&env(&[(name, value)])).unwrap_err();
            assert!(err.to_string().contains(name), "{err}");
        }
    }

    #[test]
    fn allowlist_globs() {
        let list = Allowlist::parse(" prod-* , staging-ep-?, exact ").unwrap();
        assert!(list.allows("prod-ranker"));
        assert!(list.allows("staging-ep-1"));
        assert!(list.allows("exact"));
        assert!(!list.allows("staging-ep-10"));
        assert!(!list.allows("exactly"));
        assert!(!list.allows("dev-prod-x"));
        assert!(Allowlist::parse("*").unwrap().allows("anything"));
        assert!(Allowlist::parse("a*b*c").unwrap().allows("aXbYbZc"));
        assert!(!Allowlist::parse("a*b*c").unwrap().allows("aXbY"));
    }

    #[test]
    fn empty_allowlist_refuses_and_names_the_variable() {
        let err = Allowlist::parse("").unwrap().check("prod").unwrap_err();
        assert!(matches!(err, Error::Refused(_)));
        assert!(err.to_string().contains(ALLOWED_ENDPOINTS));
        let err = Allowlist::parse("prod-*")
            .unwrap()
            .check("dev")
            .unwrap_err();
        assert!(err.to_string().contains("dev"));
    }
}
