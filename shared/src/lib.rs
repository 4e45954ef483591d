//! What the remediation functions share: the alarm model, configuration, the capacity core
//! (pure decisions in [`holds`], AWS calls in [`capacity`]), audit messages and SDK setup.

pub mod alarm;
pub mod audit;
pub mod capacity;
pub mod config;
pub mod demand;
pub mod error;
pub mod holds;
pub mod sdk;

pub use error::Error;

/// FNV-1a: a small, stable hash for ids that must fit AWS length limits.
pub(crate) fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf29ce484222325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}
