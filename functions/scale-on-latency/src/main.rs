//! Lambda entry point: read configuration, build the clients once, serve events.
// The handler's future (every AWS call of a decision, nested) is deeper than the default
// limit when the compiler lays it out.
#![recursion_limit = "256"]

use lambda_runtime::{service_fn, LambdaEvent};
use remediation::config::process_env;
use scale_on_latency::{App, Config};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = Config::from_lookup(&process_env).inspect_err(|err| {
        tracing::error!(error = %err, "configuration rejected; fix the variable and redeploy");
    })?;
    let app = App::new(&remediation::sdk::load().await, config);
    let app = &app;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        app.handle(event.payload, chrono::Utc::now()).await
    }))
    .await
}
