//! One error type for the tool. Every message names where the problem is: the file and line
//! and field of a trace, the calendar entry and field, or the flag.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A row of a trace CSV is wrong; nothing is simulated or written.
    #[error("{file}: line {line}, field {field}: {message}")]
    Trace {
        file: String,
        line: usize,
        field: &'static str,
        message: String,
    },

    /// The calendar is not one prewarm's `sync-calendar` accepts, or it cannot be simulated.
    #[error("calendar {file}: {message}")]
    Calendar { file: String, message: String },

    /// A command-line flag is missing, unknown or has a bad value.
    #[error("flag {flag}: {message}")]
    Flag { flag: String, message: String },

    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    /// The chart could not be drawn.
    #[error("chart {}: {message}", path.display())]
    Chart { path: PathBuf, message: String },
}

impl Error {
    pub fn flag(flag: &str, message: impl Into<String>) -> Error {
        Error::Flag {
            flag: flag.to_owned(),
            message: message.into(),
        }
    }

    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
