//! Publishing audit messages to SNS (`NOTIFY_TOPIC_ARN`); what they say is in
//! [`crate::notice`].

use aws_sdk_sns::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_sns::types::MessageAttributeValue;

use crate::error::Error;
use crate::fnv1a;
pub use crate::notice::{one_line, shorten, subject, Notice, Outcome, MAX_SUBJECT};

/// Publishes notices to `NOTIFY_TOPIC_ARN`, or only logs them when it is unset.
#[derive(Debug, Clone)]
pub struct Notifier {
    sns: aws_sdk_sns::Client,
    topic_arn: Option<String>,
    /// Attributes sent as `String.Array` (their value is a JSON array of strings), so a filter
    /// policy matches any one element.
    array_attributes: Vec<String>,
}

impl Notifier {
    pub fn new(sdk: &aws_config::SdkConfig, topic_arn: Option<String>) -> Self {
        Notifier {
            sns: aws_sdk_sns::Client::new(sdk),
            topic_arn,
            array_attributes: Vec::new(),
        }
    }

    /// At start: the topic exists and this role may use it (GetTopicAttributes). A topic that
    /// does not exist, or that the role may not use, is a configuration error naming
    /// `NOTIFY_TOPIC_ARN`, caught before any event (and so before any capacity changes); a
    /// transient failure only warns, and the first publish will say more.
    pub async fn check_topic(&self) -> Result<(), Error> {
        let Some(topic) = &self.topic_arn else {
            return Ok(());
        };
        let Err(err) = self
            .sns
            .get_topic_attributes()
            .topic_arn(topic)
            .send()
            .await
        else {
            return Ok(());
        };
        let code = err
            .as_service_error()
            .and_then(|e| e.code())
            .unwrap_or_default();
        if ["NotFound", "AuthorizationError", "InvalidParameter"].contains(&code) {
            return Err(Error::InvalidConfig(format!(
                "{}: topic {topic} cannot be used ({code}: {}); create it, or grant this role \
                 sns:Publish and sns:GetTopicAttributes on it",
                crate::config::NOTIFY_TOPIC_ARN,
                err.as_service_error()
                    .and_then(|e| e.message())
                    .unwrap_or("no message")
            )));
        }
        tracing::warn!(topic = %topic, error = %DisplayErrorContext(&err),
            "could not check the audit topic at start");
        Ok(())
    }

    /// Send the named attributes as SNS `String.Array`; their values must be JSON arrays of
    /// strings (`["a","b"]`). Other attributes stay `String`.
    pub fn with_array_attributes(mut self, names: &[&str]) -> Self {
        self.array_attributes = names.iter().map(|n| (*n).to_owned()).collect();
        self
    }

    pub async fn publish(&self, notice: &Notice) -> Result<(), Error> {
        tracing::info!(
            subject = %notice.subject,
            attributes = ?notice.attributes,
            published = self.topic_arn.is_some(),
            "audit"
        );
        let Some(topic) = &self.topic_arn else {
            return Ok(());
        };
        let mut request = self
            .sns
            .publish()
            .topic_arn(topic)
            .subject(&notice.subject)
            .message(&notice.body);
        for (name, value) in &notice.attributes {
            let data_type = if self.array_attributes.iter().any(|a| a == name) {
                "String.Array"
            } else {
                "String"
            };
            let attribute = MessageAttributeValue::builder()
                .data_type(data_type)
                .string_value(value)
                .build()
                .map_err(|err| Error::InvalidEvent(format!("message attribute {name}: {err}")))?;
            request = request.message_attributes(name, attribute);
        }
        if topic.ends_with(".fifo") {
            let group = notice
                .attributes
                .get("endpoint")
                .cloned()
                .unwrap_or_else(|| "remediation".to_owned());
            let dedup = notice
                .dedup_id
                .clone()
                .unwrap_or_else(|| format!("{:016x}", fnv1a(&notice.body)));
            request = request
                .message_group_id(group)
                .message_deduplication_id(dedup_token(&dedup));
        }
        request
            .send()
            .await
            .map_err(|err| Error::aws("Publish", err))?;
        Ok(())
    }
}

/// FIFO deduplication ids: at most 128 characters of ASCII letters, digits and punctuation.
fn dedup_token(id: &str) -> String {
    let clean: String = id.chars().filter(|c| c.is_ascii_graphic()).collect();
    if clean.len() <= 128 {
        clean
    } else {
        format!("{}{:016x}", &clean[..112], fnv1a(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedup_tokens_are_bounded() {
        assert_eq!(dedup_token("a b"), "ab");
        assert_eq!(dedup_token(&"y".repeat(500)).len(), 128);
    }
}
