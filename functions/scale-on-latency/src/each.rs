//! The outcomes of several targets, each decided on its own: a failure is logged and kept, and
//! the others go on.

use std::fmt::Write as _;

use remediation::audit::{shorten, Outcome};
use remediation::decide::Action;
use remediation::Error;

use crate::FUNCTION;

#[derive(Default)]
pub(crate) struct Each {
    outcomes: Vec<Outcome>,
    errors: Vec<(String, Error)>,
}

impl Each {
    /// The outcome of `target` (`endpoint/variant`).
    pub(crate) fn push(&mut self, target: &str, outcome: Result<Outcome, Error>) {
        match outcome {
            Ok(outcome) => self.outcomes.push(outcome),
            Err(err) => self.failed(target, err),
        }
    }

    pub(crate) fn failed(&mut self, target: &str, err: Error) {
        tracing::error!(function = FUNCTION, target, error = %err, error_type = err.error_type(),
            "target failed; the others go on");
        self.errors.push((target.to_owned(), err));
    }

    /// The outcomes, or, when a target failed, the failure of the first target by name, so
    /// that Lambda retries the event: the retry finds what succeeded done (a duplicate) and
    /// redoes only what failed. Among several targets, its message names the target and says
    /// what became of the others (their outcomes are published and logged).
    pub(crate) fn finish(mut self) -> Result<Vec<Outcome>, Error> {
        self.errors.sort_by(|a, b| a.0.cmp(&b.0));
        let several = self.errors.len() + self.outcomes.len() > 1;
        let mut errors = self.errors.into_iter();
        let Some((target, first)) = errors.next() else {
            return Ok(self.outcomes);
        };
        if !several {
            return Err(first);
        }
        let others: Vec<String> = errors.map(|(target, _)| target).collect();
        let changed = (self.outcomes.iter())
            .filter(|o| o.action != Action::Unchanged)
            .count();
        Err(first.map_message(|message| {
            let mut message = format!("{target}: {message}");
            if !others.is_empty() {
                let names = shorten(&others.join(", "), 300);
                let _ = write!(message, "; {} more target(s) failed: {names}", others.len());
            }
            let _ = write!(
                message,
                "; {} other target(s) succeeded, {changed} of them changed (published)",
                self.outcomes.len()
            );
            message
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(target: &str) -> Result<Outcome, Error> {
        Err(Error::Aws {
            operation: "RegisterScalableTarget",
            message: format!("ThrottlingException: rate exceeded on {target}"),
            retryable: true,
        })
    }

    #[test]
    fn one_target_fails_as_it_is() {
        let mut each = Each::default();
        each.push("prod-a/AllTraffic", failed("a"));
        let err = each.finish().unwrap_err();
        assert_eq!(
            err.to_string(),
            "RegisterScalableTarget failed: ThrottlingException: rate exceeded on a"
        );
    }

    #[test]
    fn among_several_the_failure_names_its_target_and_the_others() {
        let mut each = Each::default();
        each.push("prod-c/AllTraffic", failed("c"));
        each.push(
            "prod-b/AllTraffic",
            Ok(Outcome::unchanged(
                "prod-b",
                Some("AllTraffic"),
                "nothing to do".to_owned(),
            )),
        );
        each.push("prod-a/AllTraffic", failed("a"));
        let mut restored = Outcome::unchanged("prod-d", Some("AllTraffic"), String::new());
        restored.action = Action::Restored;
        each.push("prod-d/AllTraffic", Ok(restored));
        let err = each.finish().unwrap_err();
        assert_eq!(err.error_type(), "Retryable.AwsError");
        assert_eq!(
            err.to_string(),
            "RegisterScalableTarget failed: prod-a/AllTraffic: ThrottlingException: rate \
             exceeded on a; 1 more target(s) failed: prod-c/AllTraffic; 2 other target(s) \
             succeeded, 1 of them changed (published)"
        );
    }
}
