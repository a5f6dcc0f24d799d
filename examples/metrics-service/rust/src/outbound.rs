//! The service's two outbound calls: `alerts.ts`'s `sendAlert` and
//! `webhook.ts`'s `forwardEvent`.
//!
//! `@sendgrid/mail` is a Node-only SDK; its Rust stand-in is the call it
//! makes, `POST /v3/mail/send` on SendGrid's REST API, with the JSON body
//! the SDK builds (field order included). axios becomes reqwest.

use std::time::Duration;

use anyhow::Context as _;
use http::HeaderValue;
use tracing::{error, warn};

use crate::body::latin1;
use crate::js::string::{JsStr, write_json_string};
use crate::validate::alert::Alert;
use crate::validate::event::Level;

/// What POST /alerts answers in `{"status": …}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    Logged,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Logged => "logged",
        }
    }
}

/// Settings and the HTTP client for the calls; the client exists only if a call is configured.
pub struct Outbound {
    client: Option<reqwest::Client>,
    sendgrid_api_key: Option<String>,
    sendgrid_api_url: String,
    alert_from: String,
    webhook_url: Option<String>,
}

impl Outbound {
    pub fn new(config: &crate::config::Config) -> anyhow::Result<Self> {
        let needed = config.sendgrid_api_key.is_some() || config.webhook_url.is_some();
        let client = if needed {
            Some(
                reqwest::Client::builder()
                    .user_agent(concat!("metrics-service-rust/", env!("CARGO_PKG_VERSION")))
                    .build()
                    .context("building the HTTP client")?,
            )
        } else {
            None
        };
        Ok(Self {
            client,
            sendgrid_api_key: config.sendgrid_api_key.clone(),
            sendgrid_api_url: config.sendgrid_api_url.trim_end_matches('/').to_owned(),
            alert_from: config.alert_from.clone(),
            webhook_url: config.webhook_url.clone(),
        })
    }

    /// `sendAlert(alert)`: email it through SendGrid, or only log it when no key is set.
    pub async fn send_alert(&self, alert: &Alert) -> anyhow::Result<Outcome> {
        let (Some(key), Some(client)) = (&self.sendgrid_api_key, &self.client) else {
            warn!(
                alert.to = %alert.to,
                alert.subject = %alert.subject,
                alert.body = alert.body.as_ref().map(|b| b.to_string()),
                alert.severity = alert.severity.as_str(),
                "SENDGRID_API_KEY not set; alert logged only"
            );
            return Ok(Outcome::Logged);
        };
        client
            .post(format!("{}/v3/mail/send", self.sendgrid_api_url))
            .bearer_auth(key)
            .header(http::header::ACCEPT, "application/json")
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(sendgrid_mail(&self.alert_from, alert))
            .send()
            .await
            .context("calling SendGrid")?
            .error_for_status()
            .context("SendGrid refused the mail")?;
        Ok(Outcome::Sent)
    }

    /// `void forwardEvent({ level, message, requestId })`.
    ///
    /// `tokio::spawn` is the explicit form of Node's `void forwardEvent(...)`:
    /// the response does not wait for the webhook, and a failure is logged by
    /// the task, never returned. (A Rust future that is not spawned or awaited
    /// never runs at all; a JS promise starts on creation.)
    pub fn forward_event(&self, level: Level, message: &JsStr, request_id: &HeaderValue) {
        let (Some(url), Some(client)) = (&self.webhook_url, &self.client) else {
            return;
        };
        let mut payload = Vec::with_capacity(64 + message.as_wtf8().len());
        payload.extend_from_slice(b"{\"level\":");
        write_json_string(&mut payload, level.as_str().as_bytes());
        payload.extend_from_slice(b",\"message\":");
        write_json_string(&mut payload, message.as_wtf8());
        payload.extend_from_slice(b",\"requestId\":");
        write_json_string(&mut payload, latin1(request_id.as_bytes()).as_bytes());
        payload.push(b'}');
        let request = client
            .post(url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .timeout(Duration::from_secs(2))
            .body(payload);
        tokio::spawn(async move {
            let result = match request.send().await {
                Ok(response) => response.error_for_status().map(drop),
                Err(err) => Err(err),
            };
            if let Err(err) = result {
                error!(err = %err, "webhook forward failed");
            }
        });
    }
}

/// The body `@sendgrid/mail` sends for
/// `{ to, from, subject: "[severity] subject", text: body ?? subject }`.
fn sendgrid_mail(from: &str, alert: &Alert) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(b"{\"from\":");
    email_address(&mut out, from);
    out.extend_from_slice(b",\"subject\":");
    let mut subject = format!("[{}] ", alert.severity.as_str()).into_bytes();
    subject.extend_from_slice(alert.subject.as_wtf8());
    write_json_string(&mut out, &subject);
    out.extend_from_slice(b",\"personalizations\":[{\"to\":[");
    email_address(&mut out, &alert.to.to_string_lossy());
    out.extend_from_slice(b"]}],\"content\":[{\"value\":");
    let text = alert.body.as_ref().unwrap_or(&alert.subject);
    write_json_string(&mut out, text.as_wtf8());
    out.extend_from_slice(b",\"type\":\"text/plain\"}]}");
    out
}

/// `new EmailAddress(str).toJSON()`: `"Name <a@b.c>"` becomes `{"email":"a@b.c","name":"Name"}`.
fn email_address(out: &mut Vec<u8>, s: &str) {
    let (name, email) = match s.split_once('<') {
        None => ("", s),
        Some((name, rest)) => {
            // `str.split('<')` keeps only the text up to a second '<'; `.replace('>', '')`
            // removes the first '>'.
            let email = rest.split('<').next().unwrap_or_default();
            (name, email)
        }
    };
    let email = email.replacen('>', "", 1);
    let (name, email) = (js_trim(name), js_trim(&email));
    out.extend_from_slice(b"{\"email\":");
    write_json_string(out, email.as_bytes());
    if !name.is_empty() {
        out.extend_from_slice(b",\"name\":");
        write_json_string(out, name.as_bytes());
    }
    out.push(b'}');
}

fn js_trim(s: &str) -> &str {
    s.trim_matches(|c: char| crate::js::string::is_js_whitespace(u32::from(c)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::alert::Severity;

    /// The body `@sendgrid/mail` 8.1.6 sent to a local listener for the same mail.
    #[test]
    fn mail_body_matches_the_sdk() {
        let alert = Alert {
            to: JsStr::from_static("a@b.co"),
            subject: JsStr::from_static("Disk \u{2028} \"x\""),
            body: Some(JsStr::from_static("body")),
            severity: Severity::Warn,
        };
        let body = sendgrid_mail("alerts@example.com", &alert);
        assert_eq!(
            String::from_utf8(body).unwrap(),
            "{\"from\":{\"email\":\"alerts@example.com\"},\"subject\":\"[warn] Disk \u{2028} \\\"x\\\"\",\"personalizations\":[{\"to\":[{\"email\":\"a@b.co\"}]}],\"content\":[{\"value\":\"body\",\"type\":\"text/plain\"}]}"
        );
        let body = sendgrid_mail("Alerts Team <alerts@example.com>", &alert);
        assert!(
            String::from_utf8(body)
                .unwrap()
                .starts_with(r#"{"from":{"email":"alerts@example.com","name":"Alerts Team"},"#)
        );
    }
}
