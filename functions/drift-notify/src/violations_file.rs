//! Model Monitor's `constraint_violations.json`, read into [`Violation`]s.

use remediation::Error;
use serde::Deserialize;

use crate::finding::Violation;
use crate::measure::{measured, Direction};

/// The file Model Monitor writes next to its report when a job completes with violations.
/// Data quality names a `feature_name`; model quality and bias name a `metric_name` (bias also
/// a `facet` and `facet_value`).
#[derive(Debug, Deserialize)]
struct ViolationsFile {
    violations: Vec<ViolationEntry>,
}

#[derive(Debug, Deserialize)]
struct ViolationEntry {
    #[serde(default)]
    feature_name: Option<String>,
    #[serde(default)]
    metric_name: Option<String>,
    #[serde(default)]
    facet: Option<String>,
    #[serde(default)]
    facet_value: Option<serde_json::Value>,
    constraint_check_type: String,
    #[serde(default)]
    description: Option<String>,
}

/// Parse `constraint_violations.json`; `location` names the file in errors.
pub fn parse_violations(bytes: &[u8], location: &str) -> Result<Vec<Violation>, Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let file: ViolationsFile =
        serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
            let path = err.path().to_string();
            let field = if path == "." { "file".to_owned() } else { path };
            Error::InvalidEvent(format!(
                "{location} is not a Model Monitor constraint_violations.json: {field}: {}",
                err.into_inner()
            ))
        })?;
    Ok(file
        .violations
        .into_iter()
        .map(|entry| {
            let base = entry
                .feature_name
                .or(entry.metric_name)
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| "(unnamed)".to_owned());
            let feature = match (entry.facet, entry.facet_value) {
                (Some(facet), Some(value)) => {
                    let value = value
                        .as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| value.to_string());
                    format!("{base} ({facet}={value})")
                }
                _ => base,
            };
            let (value, threshold) = entry
                .description
                .as_deref()
                .map(measured)
                .unwrap_or((None, None));
            let direction = Direction::stated_in(&entry.constraint_check_type)
                .or_else(|| entry.description.as_deref().and_then(Direction::stated_in));
            Violation {
                feature,
                check_type: entry.constraint_check_type,
                value,
                threshold,
                direction,
                description: entry.description,
            }
        })
        .collect())
}
