//! EventBridge event-pattern matching, for the subset of the pattern language this project's
//! rules use, written from the EventBridge user guide ("Content filtering in Amazon
//! EventBridge event patterns", "Comparison operators for use in event patterns"):
//!
//! - a pattern is an object; every field in it must match (AND), `$or` takes a list of
//!   patterns of which one must match;
//! - a field whose pattern is an object is a nested object of the event; an array of objects
//!   in the event matches when one of its elements does (each element on its own);
//! - a field whose pattern is a list matches when one of the list's matchers accepts one of
//!   the field's values (an array in the event is a list of values);
//! - matchers: exact values (strings case-sensitive, numbers by numeric value, `null`,
//!   booleans), `prefix`, `suffix`, `equals-ignore-case`, `anything-but` (a value, a list, or
//!   a prefix/suffix), `numeric` comparisons, and `exists`, which only sees leaf values (an
//!   object is not a value, so `exists: true` does not match it).
//!
//! Unsupported operators (`wildcard`, `cidr`) are an error, not a silent mismatch. No
//! credentials are needed: `aws events test-event-pattern` answers the same questions against
//! AWS, and docs/deploy.md says how to run it.

use std::fmt;

use serde_json::{Map, Value};

/// A pattern this implementation cannot evaluate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidPattern(pub String);

impl fmt::Display for InvalidPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid or unsupported event pattern: {}", self.0)
    }
}

impl std::error::Error for InvalidPattern {}

type Outcome = Result<bool, InvalidPattern>;

/// Does `event` match `pattern`?
pub fn matches(pattern: &Value, event: &Value) -> Outcome {
    let Value::Object(fields) = pattern else {
        return Err(InvalidPattern(format!(
            "a pattern is an object, not {pattern}"
        )));
    };
    match_object(fields, event)
}

fn match_object(fields: &Map<String, Value>, event: &Value) -> Outcome {
    for (key, want) in fields {
        let ok = if key == "$or" {
            match_any_pattern(want, event)?
        } else {
            match_field(key, want, event.get(key))?
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

fn match_any_pattern(alternatives: &Value, event: &Value) -> Outcome {
    let Some(list) = alternatives.as_array().filter(|l| l.len() >= 2) else {
        return Err(InvalidPattern(format!(
            "$or takes a list of at least two patterns, not {alternatives}"
        )));
    };
    for alternative in list {
        if matches(alternative, event)? {
            return Ok(true);
        }
    }
    Ok(false)
}

fn match_field(key: &str, want: &Value, got: Option<&Value>) -> Outcome {
    match want {
        Value::Object(nested) => match got {
            Some(Value::Array(items)) => {
                for item in items {
                    if match_field(key, want, Some(item))? {
                        return Ok(true);
                    }
                }
                // An empty array or no element matching: as if the object were absent only
                // when nothing is there at all.
                if items.is_empty() {
                    match_object(nested, &Value::Null)
                } else {
                    Ok(false)
                }
            }
            Some(object @ Value::Object(_)) => match_object(nested, object),
            // A missing field (or a leaf where an object was expected) has none of the
            // nested fields: only `exists: false` can match there.
            Some(_) | None => match_object(nested, &Value::Null),
        },
        Value::Array(matchers) if !matchers.is_empty() => {
            let mut values = Vec::new();
            leaf_values(got, &mut values);
            for matcher in matchers {
                if match_leaf(matcher, &values)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        other => Err(InvalidPattern(format!(
            "{key}: a field's pattern is a non-empty list or an object, not {other}"
        ))),
    }
}

/// The leaf values of a field: a scalar, or the scalars of an array (nested arrays too).
fn leaf_values<'a>(got: Option<&'a Value>, out: &mut Vec<&'a Value>) {
    match got {
        None | Some(Value::Object(_)) => {}
        Some(Value::Array(items)) => items.iter().for_each(|i| leaf_values(Some(i), out)),
        Some(scalar) => out.push(scalar),
    }
}

fn match_leaf(matcher: &Value, values: &[&Value]) -> Outcome {
    let Value::Object(op) = matcher else {
        return Ok(values.iter().any(|v| equal(matcher, v)));
    };
    if op.len() != 1 {
        return Err(InvalidPattern(format!(
            "a matcher object has exactly one operator: {matcher}"
        )));
    }
    let (name, arg) = op.iter().next().expect("one operator");
    if name == "exists" {
        let Some(want) = arg.as_bool() else {
            return Err(InvalidPattern(format!("exists takes true or false: {arg}")));
        };
        let present = !values.is_empty();
        return Ok(want == present);
    }
    if !matches!(
        name.as_str(),
        "prefix" | "suffix" | "equals-ignore-case" | "anything-but" | "numeric"
    ) {
        return Err(InvalidPattern(format!(
            "operator {name:?} is not implemented here"
        )));
    }
    for value in values {
        if match_operator(name, arg, value)? {
            return Ok(true);
        }
    }
    Ok(false)
}

fn match_operator(name: &str, arg: &Value, value: &Value) -> Outcome {
    match name {
        "prefix" | "suffix" | "equals-ignore-case" => string_test(name, arg, value),
        "anything-but" => anything_but(arg, value),
        "numeric" => numeric(arg, value),
        other => Err(InvalidPattern(format!(
            "operator {other:?} is not implemented here"
        ))),
    }
}

/// `prefix`, `suffix` and `equals-ignore-case`; the first two also take
/// `{"equals-ignore-case": "..."}`.
fn string_test(name: &str, arg: &Value, value: &Value) -> Outcome {
    let (text, ignore_case) = match arg {
        Value::String(s) => (s.as_str(), name == "equals-ignore-case"),
        Value::Object(o) if name != "equals-ignore-case" && o.len() == 1 => {
            match o.get("equals-ignore-case").and_then(Value::as_str) {
                Some(s) => (s, true),
                None => return Err(InvalidPattern(format!("{name}: {arg}"))),
            }
        }
        _ => return Err(InvalidPattern(format!("{name} takes a string: {arg}"))),
    };
    let Some(got) = value.as_str() else {
        return Ok(false);
    };
    let (got, text) = if ignore_case {
        (got.to_lowercase(), text.to_lowercase())
    } else {
        (got.to_owned(), text.to_owned())
    };
    Ok(match name {
        "prefix" => got.starts_with(&text),
        "suffix" => got.ends_with(&text),
        _ => got == text,
    })
}

fn anything_but(arg: &Value, value: &Value) -> Outcome {
    match arg {
        Value::Array(list) => Ok(!list.iter().any(|x| equal(x, value))),
        Value::Object(o) if o.len() == 1 => {
            let (name, inner) = o.iter().next().expect("one operator");
            match name.as_str() {
                "prefix" | "suffix" | "equals-ignore-case" if value.is_string() => {
                    Ok(!string_test(name, inner, value)?)
                }
                "prefix" | "suffix" | "equals-ignore-case" => Ok(false),
                other => Err(InvalidPattern(format!(
                    "anything-but with {other:?} is not implemented here"
                ))),
            }
        }
        Value::String(_) | Value::Number(_) => Ok(!equal(arg, value)),
        other => Err(InvalidPattern(format!("anything-but: {other}"))),
    }
}

fn numeric(arg: &Value, value: &Value) -> Outcome {
    let Some(terms) = arg.as_array().filter(|t| t.len() == 2 || t.len() == 4) else {
        return Err(InvalidPattern(format!(
            "numeric takes one or two [operator, number] pairs: {arg}"
        )));
    };
    let mut holds = true;
    for pair in terms.chunks(2) {
        let (Some(op), Some(bound)) = (pair[0].as_str(), pair[1].as_f64()) else {
            return Err(InvalidPattern(format!("numeric: {arg}")));
        };
        let compare: fn(f64, f64) -> bool = match op {
            "<" => |a, b| a < b,
            "<=" => |a, b| a <= b,
            "=" => |a, b| a == b,
            ">" => |a, b| a > b,
            ">=" => |a, b| a >= b,
            other => return Err(InvalidPattern(format!("numeric operator {other:?}"))),
        };
        holds &= value.as_f64().is_some_and(|got| compare(got, bound));
    }
    Ok(holds)
}

/// Exact matching: numbers by value (300 matches 3.0e2), everything else by JSON equality.
fn equal(want: &Value, got: &Value) -> bool {
    match (want, got) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => want == got,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn yes(pattern: Value, event: Value) {
        assert_eq!(matches(&pattern, &event), Ok(true), "{pattern} vs {event}");
    }

    fn no(pattern: Value, event: Value) {
        assert_eq!(matches(&pattern, &event), Ok(false), "{pattern} vs {event}");
    }

    // The examples below follow the EventBridge user guide's content-filtering page.

    #[test]
    fn exact_values_are_case_sensitive_and_lists_are_or() {
        let p = json!({"source": ["aws.ec2"], "detail": {"state": ["running", "stopped"]}});
        yes(
            p.clone(),
            json!({"source": "aws.ec2", "detail": {"state": "stopped"}}),
        );
        no(
            p.clone(),
            json!({"source": "aws.ec2", "detail": {"state": "Running"}}),
        );
        no(
            p.clone(),
            json!({"source": "aws.s3", "detail": {"state": "running"}}),
        );
        no(p, json!({"source": "aws.ec2"}));
        // Numbers by value, null and the empty string as values.
        yes(json!({"x": [300]}), json!({"x": 3.0e2}));
        yes(json!({"x": [null]}), json!({"x": null}));
        no(json!({"x": [null]}), json!({}));
        yes(json!({"x": [""]}), json!({"x": ""}));
    }

    #[test]
    fn arrays_in_the_event_match_when_any_value_does() {
        let p = json!({"resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-b"]});
        yes(
            p.clone(),
            json!({"resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-a",
                                  "arn:aws:ec2:us-east-1:123456789012:instance/i-b"]}),
        );
        no(p, json!({"resources": []}));
        // Arrays of objects: one element must match the whole nested pattern on its own.
        let p = json!({"metrics": {"name": ["a"], "ns": ["x"]}});
        yes(
            p.clone(),
            json!({"metrics": [{"name": "b", "ns": "y"}, {"name": "a", "ns": "x"}]}),
        );
        no(
            p,
            json!({"metrics": [{"name": "a", "ns": "y"}, {"name": "b", "ns": "x"}]}),
        );
    }

    #[test]
    fn prefix_suffix_and_ignoring_case() {
        let p = json!({"time": [{"prefix": "2017-10-02"}]});
        yes(p.clone(), json!({"time": "2017-10-02T18:43:48Z"}));
        no(p, json!({"time": "2017-10-03T18:43:48Z"}));
        yes(
            json!({"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}),
            json!({"service": "eventbridge"}),
        );
        yes(
            json!({"FileName": [{"suffix": ".png"}]}),
            json!({"FileName": "image.png"}),
        );
        no(
            json!({"FileName": [{"suffix": ".png"}]}),
            json!({"FileName": "image.PNG"}),
        );
        yes(
            json!({"name": [{"equals-ignore-case": "alice"}]}),
            json!({"name": "ALICE"}),
        );
        no(json!({"n": [{"prefix": "1"}]}), json!({"n": 12}));
    }

    #[test]
    fn anything_but() {
        let p = json!({"detail": {"state": [{"anything-but": "initializing"}]}});
        yes(p.clone(), json!({"detail": {"state": "running"}}));
        no(p.clone(), json!({"detail": {"state": "initializing"}}));
        // A missing field is not "anything but".
        no(p, json!({"detail": {}}));
        let p = json!({"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}});
        yes(p.clone(), json!({"detail": {"state": "running"}}));
        no(p, json!({"detail": {"state": "stopped"}}));
        let p = json!({"detail": {"state": [{"anything-but": {"prefix": "init"}}]}});
        yes(p.clone(), json!({"detail": {"state": "running"}}));
        no(p, json!({"detail": {"state": "initializing"}}));
        yes(
            json!({"x-limit": [{"anything-but": 123}]}),
            json!({"x-limit": 124}),
        );
        no(
            json!({"x-limit": [{"anything-but": 123}]}),
            json!({"x-limit": 123}),
        );
    }

    #[test]
    fn numeric_ranges() {
        let p = json!({"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}});
        yes(p.clone(), json!({"detail": {"c-count": 5}}));
        yes(p.clone(), json!({"detail": {"c-count": 0.5}}));
        no(p.clone(), json!({"detail": {"c-count": 0}}));
        no(p.clone(), json!({"detail": {"c-count": 6}}));
        no(p, json!({"detail": {"c-count": "5"}}));
        yes(json!({"x": [{"numeric": ["=", 300]}]}), json!({"x": 300.0}));
    }

    #[test]
    fn exists_only_sees_leaf_values() {
        let p = json!({"detail": {"state": [{"exists": true}]}});
        yes(p.clone(), json!({"detail": {"state": "running"}}));
        no(p.clone(), json!({"detail": {}}));
        no(
            p.clone(),
            json!({"detail": {"state": {"nested": "object"}}}),
        );
        let absent = json!({"detail": {"state": [{"exists": false}]}});
        yes(absent.clone(), json!({"detail": {"other": 1}}));
        yes(absent.clone(), json!({"source": "no detail at all"}));
        no(absent, json!({"detail": {"state": "running"}}));
    }

    #[test]
    fn or_takes_any_alternative_at_any_level() {
        let p = json!({"detail": {"$or": [
            {"c-count": [{"numeric": [">", 0, "<=", 5]}]},
            {"d-count": [{"numeric": ["<", 10]}]},
            {"x-limit": [{"anything-but": [100, 200, 300]}]}
        ]}});
        yes(p.clone(), json!({"detail": {"c-count": 3}}));
        yes(p.clone(), json!({"detail": {"d-count": 9}}));
        yes(p.clone(), json!({"detail": {"x-limit": 301}}));
        no(
            p.clone(),
            json!({"detail": {"c-count": 6, "d-count": 10, "x-limit": 300}}),
        );
        no(p, json!({"detail": {}}));
        let top = json!({"source": ["a"], "$or": [{"x": ["1"]}, {"y": ["2"]}]});
        yes(top.clone(), json!({"source": "a", "y": "2"}));
        no(top, json!({"source": "b", "y": "2"}));
    }

    #[test]
    fn unsupported_or_malformed_patterns_are_errors() {
        for p in [
            json!({"ip": [{"cidr": "10.0.0.0/24"}]}),
            json!({"f": [{"wildcard": "*.png"}]}),
            json!({"f": "not a list"}),
            json!({"f": []}),
            json!({"$or": [{"a": ["1"]}]}),
            json!({"f": [{"numeric": ["~", 1]}]}),
            json!(["not an object"]),
        ] {
            assert!(matches(&p, &json!({"f": "x"})).is_err(), "{p}");
        }
    }
}
