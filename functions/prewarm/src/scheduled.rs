//! Application Auto Scaling scheduled actions on SageMaker variants: list, put, delete. The
//! calendar's only AWS calls besides the reads every action makes.

use aws_sdk_applicationautoscaling::types::{
    ScalableDimension, ScalableTargetAction, ServiceNamespace,
};
use chrono::DateTime;
use remediation::Error;

use crate::calendar::ScheduledAction;
use crate::App;

impl App {
    /// Every SageMaker scheduled action (DescribeScheduledActions, all pages).
    pub(crate) async fn scheduled_actions(&self) -> Result<Vec<ScheduledAction>, Error> {
        let mut pages = self
            .autoscaling
            .describe_scheduled_actions()
            .service_namespace(ServiceNamespace::Sagemaker)
            .into_paginator()
            .send();
        let mut found = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|err| Error::aws("DescribeScheduledActions", err))?;
            for a in page.scheduled_actions() {
                let target = a.scalable_target_action();
                found.push(ScheduledAction {
                    name: a.scheduled_action_name().to_owned(),
                    resource_id: a.resource_id().to_owned(),
                    dimension: a
                        .scalable_dimension()
                        .map(|d| d.as_str().to_owned())
                        .unwrap_or_default(),
                    schedule: a.schedule().to_owned(),
                    timezone: a.timezone().map(str::to_owned),
                    min_capacity: target
                        .and_then(|t| t.min_capacity())
                        .and_then(|n| u32::try_from(n).ok()),
                    max_capacity: target
                        .and_then(|t| t.max_capacity())
                        .and_then(|n| u32::try_from(n).ok()),
                    start_time: a
                        .start_time()
                        .and_then(|t| DateTime::from_timestamp(t.secs(), t.subsec_nanos())),
                });
            }
        }
        Ok(found)
    }

    pub(crate) async fn put_scheduled_action(&self, action: &ScheduledAction) -> Result<(), Error> {
        let capacity = |n: Option<u32>| n.and_then(|n| i32::try_from(n).ok());
        self.autoscaling
            .put_scheduled_action()
            .service_namespace(ServiceNamespace::Sagemaker)
            .scheduled_action_name(&action.name)
            .resource_id(&action.resource_id)
            .scalable_dimension(ScalableDimension::from(action.dimension.as_str()))
            .schedule(&action.schedule)
            .set_timezone(action.timezone.clone())
            .set_start_time(action.start_time.map(|t| {
                aws_sdk_applicationautoscaling::primitives::DateTime::from_secs(t.timestamp())
            }))
            .scalable_target_action(
                ScalableTargetAction::builder()
                    .set_min_capacity(capacity(action.min_capacity))
                    .set_max_capacity(capacity(action.max_capacity))
                    .build(),
            )
            .send()
            .await
            .map_err(|err| Error::aws("PutScheduledAction", err))?;
        Ok(())
    }

    pub(crate) async fn delete_scheduled_action(
        &self,
        action: &ScheduledAction,
    ) -> Result<(), Error> {
        self.autoscaling
            .delete_scheduled_action()
            .service_namespace(ServiceNamespace::Sagemaker)
            .scheduled_action_name(&action.name)
            .resource_id(&action.resource_id)
            .scalable_dimension(ScalableDimension::from(action.dimension.as_str()))
            .send()
            .await
            .map_err(|err| Error::aws("DeleteScheduledAction", err))?;
        Ok(())
    }
}
