//! What the remediation functions share: the alarm model, configuration, the capacity core
//! (pure: [`holds`], [`record`], [`decide`]; the path: [`remediate`] over [`store::Store`];
//! AWS: [`capacity`]), audit messages and SDK setup. ARCHITECTURE.md draws the layers.

pub mod alarm;
pub mod audit;
pub mod budget;
pub mod capacity;
pub mod config;
pub mod decide;
pub mod demand;
pub mod entry;
pub mod error;
pub mod holds;
pub mod iam;
pub mod notice;
pub mod record;
pub mod remediate;
pub mod sdk;
pub mod store;

pub use error::{from_json, Error};

/// The largest event any function accepts, serialized. Lambda's own limits are 6 MB for a
/// synchronous and 1 MB for an asynchronous invoke; EventBridge events and SNS messages are
/// at most 256 KB. Anything larger is not an event these functions are meant to receive.
pub const MAX_EVENT_BYTES: usize = 1024 * 1024;

/// Refuse an event larger than [`MAX_EVENT_BYTES`] before parsing it further.
pub fn check_event_size(event: &serde_json::Value) -> Result<(), Error> {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    let _ = serde_json::to_writer(&mut count, event);
    if count.0 > MAX_EVENT_BYTES {
        return Err(Error::InvalidEvent(format!(
            "event: {} bytes, more than the {MAX_EVENT_BYTES} bytes any alarm, schedule or \
             drift event can be; refused without reading it",
            count.0
        )));
    }
    Ok(())
}

/// The bucket and key of an `s3://<bucket>/<key>` location, both non-empty.
pub fn s3_location(uri: &str) -> Option<(&str, &str)> {
    uri.strip_prefix("s3://")?
        .split_once('/')
        .filter(|(bucket, key)| !bucket.is_empty() && !key.is_empty())
}

/// SageMaker endpoint and variant names: letters, digits and hyphens, at most 63 characters,
/// starting with a letter or digit. No path characters, no wildcards.
pub fn is_sagemaker_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !name.starts_with('-')
}

/// FNV-1a: a small, stable hash for ids that must fit AWS length limits.
pub fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf29ce484222325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_above_the_size_limit_are_refused() {
        let small = serde_json::json!({"detail": "x".repeat(1000)});
        assert!(check_event_size(&small).is_ok());
        let huge = serde_json::json!({"detail": "x".repeat(MAX_EVENT_BYTES)});
        let err = check_event_size(&huge).unwrap_err();
        assert_eq!(err.error_type(), "NonRetryable.InvalidEvent");
        assert!(
            err.to_string().contains("more than the 1048576 bytes"),
            "{err}"
        );
    }

    #[test]
    fn sagemaker_names_have_no_path_characters_or_wildcards() {
        assert!(is_sagemaker_name("prod-ranker"));
        assert!(is_sagemaker_name(&"a".repeat(63)));
        for bad in [
            "",
            "-a",
            "a/b",
            "../x",
            "prod-*",
            "a?",
            "a b",
            "a.b",
            &"a".repeat(64),
        ] {
            assert!(!is_sagemaker_name(bad), "{bad}");
        }
    }

    #[test]
    fn s3_locations_need_a_bucket_and_a_key() {
        assert_eq!(
            s3_location("s3://reports/run/1.json"),
            Some(("reports", "run/1.json"))
        );
        for bad in [
            "s3://bucket",
            "s3://bucket/",
            "s3:///key",
            "https://b/k",
            "bucket/key",
        ] {
            assert_eq!(s3_location(bad), None, "{bad}");
        }
    }
}
