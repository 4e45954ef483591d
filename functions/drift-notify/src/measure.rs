//! Numbers in violation texts and the direction of a breach: what a Model Monitor description
//! or an alarm reason says about the measured value, its threshold and which side of the
//! threshold is bad.

use serde::Serialize;

/// Which side of its threshold a value broke through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// The value must stay at or below the threshold (drift distances, error rates).
    Above,
    /// The value must stay at or above the threshold (f1, accuracy, precision).
    Below,
}

impl Direction {
    /// What a comparison in a check type, description or alarm reason says:
    /// `LessThanThreshold`, `was less than the threshold`, `GreaterThanOrEqualToThreshold`,
    /// `exceeds`. `None` when the text names no comparison.
    pub fn stated_in(text: &str) -> Option<Direction> {
        let squeezed: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '_')
            .flat_map(char::to_lowercase)
            .collect();
        let below = squeezed.find("lessthan");
        let above = ["greaterthan", "exceed"]
            .iter()
            .filter_map(|word| squeezed.find(word))
            .min();
        match (below, above) {
            (Some(b), Some(a)) if a < b => Some(Direction::Above),
            (Some(_), _) => Some(Direction::Below),
            (None, Some(_)) => Some(Direction::Above),
            (None, None) => None,
        }
    }
}

/// How many times past its threshold `value` is, in the breach's direction: `value /
/// threshold` above it, `threshold / value` below it. Infinite when a value fell to zero or
/// below against a positive threshold (a collapse); `None` when the threshold is not positive
/// or a number is not finite.
pub fn ratio(value: f64, threshold: f64, direction: Direction) -> Option<f64> {
    if !(value.is_finite() && threshold.is_finite() && threshold > 0.0) {
        return None;
    }
    let r = match direction {
        Direction::Above => value / threshold,
        Direction::Below if value <= 0.0 => f64::INFINITY,
        Direction::Below => threshold / value,
    };
    (!r.is_nan()).then_some(r)
}

/// The measured value and threshold in a violation description, when it states them:
/// `Numerical distance: 0.27 exceeds numerical threshold: 0.1`,
/// `Metric weightedF2 with 0.61 was LessThanThreshold '0.7'`, `distance: 2.0E-4`.
pub fn measured(description: &str) -> (Option<f64>, Option<f64>) {
    let lower = description.to_ascii_lowercase();
    let value = ["distance", " with "]
        .iter()
        .find_map(|key| number_after(description, &lower, key));
    let threshold = number_after(description, &lower, "threshold");
    (value, threshold)
}

/// The first number within a few characters after `key` (matched in `lower`): digits with an
/// optional sign, fraction and exponent (`-1.5`, `2.0E-4`, `3e+2`). Numbers that do not fit an
/// `f64` are not numbers here.
fn number_after(text: &str, lower: &str, key: &str) -> Option<f64> {
    let start = lower.find(key)? + key.len();
    let rest = &text[start..];
    let skip = rest
        .char_indices()
        .take(4)
        .find(|(_, c)| c.is_ascii_digit() || *c == '-')
        .map(|(i, _)| i)?;
    let number = leading_number(&rest[skip..])?;
    number.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// The longest prefix of `text` that is a decimal number with an optional exponent.
fn leading_number(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    let digits = |from: usize| {
        from + bytes[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let mut end = usize::from(bytes.first() == Some(&b'-'));
    let int_end = digits(end);
    end = int_end;
    if bytes.get(end) == Some(&b'.') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit) {
        end = digits(end + 1);
    }
    if end == int_end && int_end == usize::from(bytes.first() == Some(&b'-')) {
        return None;
    }
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(bytes.get(end + 1), Some(b'+' | b'-')));
        let exp_start = end + 1 + sign;
        let exp_end = digits(exp_start);
        if exp_end > exp_start {
            end = exp_end;
        }
    }
    Some(&text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_give_value_and_threshold() {
        assert_eq!(
            measured("Numerical distance: 0.2711598746081505 exceeds numerical threshold: 0"),
            (Some(0.2711598746081505), Some(0.0))
        );
        assert_eq!(
            measured("Categorical distance: 0.35 exceeds categorical threshold: 0.1."),
            (Some(0.35), Some(0.1))
        );
        assert_eq!(
            measured("Metric weightedF2 with 0.61 +/- 0.01 was LessThanThreshold '0.7'"),
            (Some(0.61), Some(0.7))
        );
        assert_eq!(
            measured("Data type of feature age is Fractional, expected Integral"),
            (None, None)
        );
    }

    #[test]
    fn scientific_notation_as_jvm_containers_print_it() {
        assert_eq!(
            measured("Numerical distance: 2.0E-4 exceeds numerical threshold: 0.1"),
            (Some(2.0e-4), Some(0.1))
        );
        assert_eq!(
            measured("Numerical distance: 0.3 exceeds numerical threshold: 5.0E-4."),
            (Some(0.3), Some(5.0e-4))
        );
        assert_eq!(
            measured("Numerical distance: 1.5e+2 exceeds numerical threshold: 1E2"),
            (Some(150.0), Some(100.0))
        );
        // A letter e that starts a word is not an exponent.
        assert_eq!(
            measured("Categorical distance: 0.4exceeds threshold: 0.2"),
            (Some(0.4), Some(0.2))
        );
        assert_eq!(measured("distance: 2.0e"), (Some(2.0), None));
        // Numbers beyond f64 are not measurements.
        assert_eq!(
            measured("Numerical distance: 1e400 exceeds numerical threshold: 0.1"),
            (None, Some(0.1))
        );
    }

    #[test]
    fn directions_stated_in_texts() {
        for below in [
            "LessThanThreshold",
            "LessThanOrEqualToThreshold",
            "Metric f1 with 0.05 was LessThanThreshold '0.7'",
            "Threshold Crossed: 1 datapoint [0.05 (28/11/26 12:00:00)] was less than the threshold (0.7).",
            "less_than_threshold",
        ] {
            assert_eq!(Direction::stated_in(below), Some(Direction::Below), "{below}");
        }
        for above in [
            "GreaterThanThreshold",
            "Numerical distance: 0.3 exceeds numerical threshold: 0.1",
            "[0.41 (28/11/26 12:00:00)] was greater than or equal to the threshold (0.1)",
        ] {
            assert_eq!(
                Direction::stated_in(above),
                Some(Direction::Above),
                "{above}"
            );
        }
        assert_eq!(Direction::stated_in("baseline_drift_check"), None);
    }

    #[test]
    fn ratios_follow_the_direction() {
        assert_eq!(ratio(0.5, 0.1, Direction::Above), Some(5.0));
        let r = ratio(0.05, 0.7, Direction::Below).unwrap();
        assert!((r - 14.0).abs() < 1e-9, "{r}");
        assert_eq!(ratio(0.0, 0.7, Direction::Below), Some(f64::INFINITY));
        assert_eq!(ratio(0.3, 0.0, Direction::Above), None);
        assert_eq!(ratio(f64::INFINITY, 0.1, Direction::Above), None);
        assert_eq!(ratio(1e308, 1e-308, Direction::Above), Some(f64::INFINITY));
    }
}
