//! Lambda entry point: the shared start (configuration, a bad value reported to the Runtime
//! API as `NonRetryable.InvalidConfig`; the clients, built once; the audit topic checked), then
//! events served by the shared entry point.

// The handler's future (four actions, each with its AWS calls) inside the runtime's service
// nests deeper than the compiler's default layout limit.
#![recursion_limit = "256"]

use prewarm::{App, Config};
use remediation::entry::{self, Handler};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let app = entry::start(Config::from_lookup, App::new, |app| &app.path.notifier).await?;
    entry::serve(|event, deadline| app.handle_until(event, chrono::Utc::now(), deadline)).await
}
