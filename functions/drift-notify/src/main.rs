//! Lambda entry point: the shared start (configuration, a bad value reported to the Runtime
//! API as `NonRetryable.InvalidConfig`; the clients, built once; the audit topic checked), then
//! events served by the shared entry point.

use drift_notify::{App, Config};
use remediation::entry;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let app = entry::start(Config::from_lookup, App::new, |app| &app.notifier).await?;
    entry::serve(|event, _deadline| app.handle(event, chrono::Utc::now())).await
}
