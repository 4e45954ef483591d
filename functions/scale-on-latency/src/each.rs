//! The outcomes of several targets, each decided on its own: a failure is logged and kept, and
//! the others go on.

use remediation::audit::Outcome;
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

    /// The outcomes, or, when a target failed, the first failure, so that Lambda retries the
    /// event: the retry finds what succeeded done (a duplicate) and redoes only what failed.
    pub(crate) fn finish(self) -> Result<Vec<Outcome>, Error> {
        match self.errors.into_iter().next() {
            None => Ok(self.outcomes),
            Some((_, err)) => Err(err),
        }
    }
}
