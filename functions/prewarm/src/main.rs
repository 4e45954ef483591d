//! Lambda entry point: read configuration (a bad value is reported to the Runtime API as
//! `NonRetryable.InvalidConfig`), build the clients once, serve events parsed by the shared
//! entry point.

// The handler's future (four actions, each with its AWS calls) inside the runtime's service
// nests deeper than the compiler's default layout limit.
#![recursion_limit = "256"]

use prewarm::{App, Config};
use remediation::config::process_env;
use remediation::entry;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = entry::config_or_report(Config::from_lookup(&process_env)).await?;
    let app = App::new(&remediation::sdk::load().await, config);
    entry::config_or_report(app.path.notifier.check_topic().await).await?;
    entry::serve(|event, deadline| app.handle_until(event, chrono::Utc::now(), deadline)).await
}
