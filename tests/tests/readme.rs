//! README's tables agree with the code where they can drift: the environment variables, their
//! defaults and ranges (against the configuration parsers), the error types (against
//! `remediation::Error`), the sample events (against `events/`) and the make targets (against
//! the Makefile). Every `events/` file README and `docs/` name exists.

use std::collections::BTreeSet;

use integration_tests::workspace;
use remediation::config::{CommonConfig, ScaleConfig};
use remediation::Error;

fn readme() -> String {
    std::fs::read_to_string(workspace().join("README.md")).unwrap()
}

/// The cells of each row of the first table after the line `heading`.
fn table(text: &str, heading: &str) -> Vec<Vec<String>> {
    let mut lines = text
        .lines()
        .skip_while(|l| l.trim() != heading)
        .skip(1)
        .skip_while(|l| !l.starts_with('|'));
    let header = lines
        .next()
        .unwrap_or_else(|| panic!("README: no table after {heading:?}"));
    assert!(
        lines.next().is_some_and(|l| l.starts_with("|---")),
        "{header}"
    );
    lines
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_owned())
                .collect()
        })
        .collect()
}

/// The text between the first pair of backticks of a cell.
fn code(cell: &str) -> String {
    cell.split('`').nth(1).unwrap_or_default().to_owned()
}

/// Every `NAME` of `pub const NAME: &str = "NAME";` in a source file: the variables it reads.
fn variables_in(source: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(workspace().join(source)).unwrap();
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("pub const "))
        .filter_map(|l| l.split_once(": &str = \""))
        .filter(|(name, value)| value.trim_end_matches("\";") == *name)
        .map(|(name, _)| name.to_owned())
        .collect()
}

fn lookup<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    }
}

/// Whether the configuration accepts `name=value` (with what `SCALE_MODE=demand` needs).
fn accepts(name: &str, value: &str) -> bool {
    let pairs = [(name, value)];
    let env = lookup(&pairs);
    CommonConfig::from_lookup(&env).is_ok() && ScaleConfig::from_lookup(&env).is_ok()
}

#[test]
fn configuration_table_names_every_variable_with_the_code_defaults_and_ranges() {
    let text = readme();
    let rows = table(&text, "## Configuration");
    let documented: BTreeSet<String> = rows.iter().map(|r| code(&r[0])).collect();
    let mut read = variables_in("shared/src/config.rs");
    read.extend(variables_in("functions/prewarm/src/files.rs"));
    read.extend(variables_in("functions/prewarm/src/ends.rs"));
    assert_eq!(documented, read, "README's Configuration table vs the code");

    let scale = ScaleConfig::from_lookup(&|_| None).unwrap();
    let common = CommonConfig::from_lookup(&|_| None).unwrap();
    let demand_pairs = [
        ("SCALE_MODE", "demand"),
        ("SCALE_CONCURRENCY_PER_INSTANCE", "4"),
    ];
    let demand = ScaleConfig::from_lookup(&lookup(&demand_pairs))
        .unwrap()
        .demand
        .unwrap()
        .headroom;
    let defaults = [
        ("DRY_RUN", common.dry_run.to_string()),
        ("SCALE_STEP", scale.step.to_string()),
        (
            "SCALE_COOLDOWN_SECONDS",
            scale.cooldown.as_secs().to_string(),
        ),
        ("SCALE_HOLD_SECONDS", scale.hold.as_secs().to_string()),
        ("SCALE_HEADROOM", demand.to_string()),
        ("SCALE_MODE", "step".to_owned()),
    ];
    assert!(scale.demand.is_none(), "the default mode is step");
    for (name, default) in defaults {
        let row = rows.iter().find(|r| code(&r[0]) == name).unwrap();
        assert_eq!(code(&row[2]), default, "{name}: README's default");
    }

    // Ranges written as `(low-high)` in the meaning: both ends accepted, just outside refused.
    let mut ranges = 0;
    for row in &rows {
        let name = code(&row[0]);
        let Some((low, high)) = row[1]
            .rsplit_once('(')
            .and_then(|(_, r)| r.strip_suffix(')'))
            .and_then(|r| r.split_once('-'))
            .and_then(|(l, h)| Some((l.parse::<f64>().ok()?, h.parse::<f64>().ok()?)))
        else {
            continue;
        };
        ranges += 1;
        let step = if low.fract() == 0.0 && high.fract() == 0.0 {
            1.0
        } else {
            0.1
        };
        assert!(accepts(&name, &low.to_string()), "{name}={low} refused");
        assert!(accepts(&name, &high.to_string()), "{name}={high} refused");
        assert!(
            !accepts(&name, &(low - step).to_string()),
            "{name} below {low} accepted"
        );
        assert!(
            !accepts(&name, &(high + step).to_string()),
            "{name} above {high} accepted"
        );
    }
    assert!(ranges >= 4, "only {ranges} ranges found in README");
}

/// One value of each error kind; the match makes a new variant a compile error here.
fn every_error() -> Vec<Error> {
    let all = vec![
        Error::InvalidEvent(String::new()),
        Error::InvalidConfig(String::new()),
        Error::Refused(String::new()),
        Error::NotFound(String::new()),
        Error::EndpointNotReady {
            endpoint: String::new(),
            status: String::new(),
        },
        Error::Busy(String::new()),
        Error::Aws {
            operation: "",
            message: String::new(),
            retryable: true,
        },
        Error::Aws {
            operation: "",
            message: String::new(),
            retryable: false,
        },
    ];
    for e in &all {
        match e {
            Error::InvalidEvent(_)
            | Error::InvalidConfig(_)
            | Error::Refused(_)
            | Error::NotFound(_)
            | Error::EndpointNotReady { .. }
            | Error::Busy(_)
            | Error::Aws { .. } => {}
        }
    }
    all
}

#[test]
fn error_types_table_is_every_error_type_and_says_which_retry() {
    let text = readme();
    let rows = table(&text, "### Error types");
    let documented: Vec<(String, bool)> =
        rows.iter().map(|r| (code(&r[0]), r[2] == "yes")).collect();
    let code_side: Vec<(String, bool)> = every_error()
        .iter()
        .map(|e| (e.error_type().to_owned(), e.is_retryable()))
        .collect();
    assert_eq!(
        documented.iter().collect::<BTreeSet<_>>(),
        code_side.iter().collect::<BTreeSet<_>>()
    );
    for row in &rows {
        assert!(matches!(row[2].as_str(), "yes" | "no"), "{row:?}");
    }
}

#[test]
fn sample_events_table_is_the_events_directory() {
    let text = readme();
    let documented: BTreeSet<String> = table(&text, "## Sample events")
        .iter()
        .map(|r| code(&r[0]))
        .collect();
    let mut files = BTreeSet::new();
    for dir in ["events", "events/fixtures"] {
        for entry in std::fs::read_dir(workspace().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                let rel = path.strip_prefix(workspace().join("events")).unwrap();
                files.insert(rel.display().to_string());
            }
        }
    }
    assert_eq!(documented, files, "README's Sample events table vs events/");
}

#[test]
fn every_sample_named_in_the_docs_exists() {
    let mut pages = vec![workspace().join("README.md")];
    for dir in ["docs"] {
        for entry in std::fs::read_dir(workspace().join(dir)).unwrap() {
            pages.push(entry.unwrap().path());
        }
    }
    let mut named = 0;
    for page in pages {
        let text = std::fs::read_to_string(&page).unwrap();
        for (i, part) in text.split("events/").enumerate().skip(1) {
            let name: String = part
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || "-_./".contains(*c))
                .collect();
            // `events/prewarm-*.json` and `events/x.json` stand for a kind, not a file.
            if !name.ends_with(".json") || name.contains('*') || name == "x.json" {
                continue;
            }
            named += 1;
            assert!(
                workspace().join("events").join(&name).is_file(),
                "{} (mention {i}): events/{name} does not exist",
                page.display()
            );
        }
    }
    assert!(named > 20, "only {named} samples named");
}

#[test]
fn commands_table_is_the_makefile_targets() {
    let text = readme();
    let documented: BTreeSet<String> = table(&text, "## Commands")
        .iter()
        .flat_map(|r| {
            r[0].split('`')
                .skip(1)
                .step_by(2)
                .map(|c| c.strip_prefix("make ").unwrap_or(c).to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    let makefile = std::fs::read_to_string(workspace().join("Makefile")).unwrap();
    let phony: BTreeSet<String> = makefile
        .lines()
        .find_map(|l| l.strip_prefix(".PHONY:"))
        .unwrap()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let defined: BTreeSet<String> = makefile
        .lines()
        .filter_map(|l| l.split_once(':').map(|(t, _)| t))
        .filter(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
        .map(str::to_owned)
        .collect();
    assert_eq!(documented, phony, "README's Commands table vs .PHONY");
    assert_eq!(phony, defined, "Makefile: .PHONY vs the targets it defines");
    assert!(text.contains("`make test`") && text.contains("`make demo`"));
}
