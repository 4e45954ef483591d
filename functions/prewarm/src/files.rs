//! Which local files a payload may name (a calendar given as a path), decided before any file
//! is opened.
//!
//! A path is a convenience for local runs (`cargo run`, tests, a calendar kept next to the
//! code). In Lambda it is attack surface with no use: anyone allowed to invoke the function
//! could make it open any file in its sandbox and learn from the error which ones exist. So:
//! - outside Lambda (no `AWS_LAMBDA_RUNTIME_API`, which Lambda and its emulators set), any path
//!   is read, as before;
//! - with `CALENDAR_DIR` set (in Lambda or not), only paths inside that directory are read: a
//!   relative path is taken from it, an absolute one must lie under it, and `..` is refused;
//! - in Lambda without `CALENDAR_DIR`, every path is refused.
//!
//! The check is lexical: it touches no file, so a refused path says nothing about whether the
//! file exists, and the message never repeats the path. The directory is the operator's (a
//! Lambda layer, `/opt/calendars`); what it contains, links included, is trusted.

use std::path::{Component, Path, PathBuf};

use remediation::config::Lookup;
use remediation::Error;

use crate::payload::{CalendarSource, Request, SyncCalendar};

/// The directory a calendar given as a path may be read from.
pub const CALENDAR_DIR: &str = "CALENDAR_DIR";
/// Set by Lambda (and by local Runtime API emulators) in the function's environment: the
/// process serves invocations that anyone allowed to invoke the function can send.
pub const LAMBDA_RUNTIME_API: &str = "AWS_LAMBDA_RUNTIME_API";

/// Where local files may be read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalFiles {
    /// Outside Lambda, no directory configured: any path.
    Anywhere,
    /// Only inside this absolute directory.
    Under(PathBuf),
    /// In Lambda, no directory configured: none.
    Refused,
}

impl LocalFiles {
    /// `CALENDAR_DIR` from the configuration; `in_lambda`: whether the process serves a Lambda
    /// Runtime API (see [`LocalFiles::in_lambda`]).
    pub fn from_lookup(env: Lookup<'_>, in_lambda: bool) -> Result<Self, Error> {
        let dir = env(CALENDAR_DIR).filter(|d| !d.trim().is_empty());
        match dir {
            Some(dir) => {
                let path = PathBuf::from(dir.trim());
                if !path.is_absolute() || has_parent(&path) {
                    return Err(Error::InvalidConfig(format!(
                        "{CALENDAR_DIR}={dir:?}: expected an absolute directory without '..', \
                         such as /opt/calendars"
                    )));
                }
                Ok(LocalFiles::Under(path))
            }
            None if in_lambda => Ok(LocalFiles::Refused),
            None => Ok(LocalFiles::Anywhere),
        }
    }

    /// Whether this process runs under a Lambda Runtime API. Not configuration: Lambda sets the
    /// variable itself, and a function cannot unset it.
    pub fn in_lambda() -> bool {
        std::env::var_os(LAMBDA_RUNTIME_API).is_some_and(|v| !v.is_empty())
    }

    /// The request, with a calendar path resolved against the policy, or refused with
    /// `NonRetryable.InvalidEvent`. Opens nothing.
    pub fn admit(&self, request: Request) -> Result<Request, Error> {
        match request {
            Request::SyncCalendar(SyncCalendar {
                source: CalendarSource::File(path),
            }) => Ok(Request::SyncCalendar(SyncCalendar {
                source: CalendarSource::File(self.resolve(&path)?),
            })),
            other => Ok(other),
        }
    }

    fn resolve(&self, path: &Path) -> Result<PathBuf, Error> {
        match self {
            LocalFiles::Anywhere => Ok(path.to_path_buf()),
            LocalFiles::Refused => Err(Error::InvalidEvent(format!(
                "calendar: a file path is not read in Lambda; give the calendar inline (a list \
                 of entries) or as s3://<bucket>/<key>, or set {CALENDAR_DIR} to a directory \
                 deployed with the function"
            ))),
            LocalFiles::Under(dir) => {
                let full = dir.join(path);
                if has_parent(path) || !full.starts_with(dir) || full == *dir {
                    return Err(Error::InvalidEvent(format!(
                        "calendar: only a file inside {CALENDAR_DIR} is read; give a path \
                         relative to it, without '..'"
                    )));
                }
                Ok(full)
            }
        }
    }
}

fn has_parent(path: &Path) -> bool {
    path.components().any(|c| matches!(c, Component::ParentDir))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sync(path: &str) -> Request {
        Request::SyncCalendar(SyncCalendar {
            source: CalendarSource::File(path.into()),
        })
    }

    fn policy(dir: Option<&str>, in_lambda: bool) -> Result<LocalFiles, Error> {
        let dir = dir.map(str::to_owned);
        LocalFiles::from_lookup(
            &move |name| (name == CALENDAR_DIR).then(|| dir.clone()).flatten(),
            in_lambda,
        )
    }

    #[test]
    fn outside_lambda_any_path_in_lambda_none_unless_a_directory_is_configured() {
        assert_eq!(policy(None, false).unwrap(), LocalFiles::Anywhere);
        assert_eq!(policy(None, true).unwrap(), LocalFiles::Refused);
        assert_eq!(policy(Some("  "), true).unwrap(), LocalFiles::Refused);
        for in_lambda in [false, true] {
            assert_eq!(
                policy(Some("/opt/calendars"), in_lambda).unwrap(),
                LocalFiles::Under("/opt/calendars".into())
            );
        }
        for bad in ["calendars", "/opt/../etc"] {
            let e = policy(Some(bad), true).unwrap_err();
            assert_eq!(e.error_type(), "NonRetryable.InvalidConfig");
            assert!(e.to_string().contains("CALENDAR_DIR="), "{e}");
        }
    }

    #[test]
    fn in_lambda_every_path_is_refused_with_one_message() {
        let refused = LocalFiles::Refused;
        let messages: Vec<String> = ["/proc/self/environ", "/no/such/file", "cal.json"]
            .iter()
            .map(|p| refused.admit(sync(p)).unwrap_err())
            .inspect(|e| assert_eq!(e.error_type(), "NonRetryable.InvalidEvent"))
            .map(|e| e.to_string())
            .collect();
        assert!(messages.iter().all(|m| *m == messages[0]), "{messages:?}");
        assert!(messages[0].contains("calendar: a file path is not read in Lambda"));
        assert!(!messages[0].contains("environ"));
    }

    #[test]
    fn a_directory_admits_only_what_lies_inside_it() {
        let under = LocalFiles::Under("/opt/calendars".into());
        let admitted = |p: &str| match under.admit(sync(p)) {
            Ok(Request::SyncCalendar(SyncCalendar {
                source: CalendarSource::File(path),
            })) => Ok(path),
            Ok(other) => panic!("{other:?}"),
            Err(e) => Err(e.to_string()),
        };
        assert_eq!(
            admitted("promo.json").unwrap(),
            PathBuf::from("/opt/calendars/promo.json")
        );
        assert_eq!(
            admitted("/opt/calendars/team/promo.json").unwrap(),
            PathBuf::from("/opt/calendars/team/promo.json")
        );
        for outside in [
            "/etc/passwd",
            "../../etc/passwd",
            "team/../../x.json",
            "/opt/calendars/../secret",
            "/opt/calendars-other/x.json",
            "/opt/calendars",
        ] {
            let e = admitted(outside).unwrap_err();
            assert!(
                e.contains("only a file inside CALENDAR_DIR"),
                "{outside}: {e}"
            );
            assert!(!e.contains("passwd") && !e.contains("secret"), "{e}");
        }
    }

    #[test]
    fn other_requests_pass_unchanged() {
        let inline = Request::SyncCalendar(SyncCalendar {
            source: CalendarSource::Inline(serde_json::json!([])),
        });
        assert_eq!(LocalFiles::Refused.admit(inline.clone()).unwrap(), inline);
        let s3 = Request::SyncCalendar(SyncCalendar {
            source: CalendarSource::S3 {
                bucket: "b".into(),
                key: "k".into(),
            },
        });
        assert_eq!(LocalFiles::Refused.admit(s3.clone()).unwrap(), s3);
    }
}
