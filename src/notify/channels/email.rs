//! E-mail over SMTP with `lettre` on the project's rustls stack: STARTTLS required (or TLS
//! from the first byte), never plaintext. Each message is multipart/alternative, a text part
//! and an HTML part (a digest lists every item); finding text is HTML-escaped and defanged.
//! The Message-ID is derived from the idempotency key, so a resend after a crash carries the
//! same id. Permanent SMTP replies (5xx) fail the entry; temporary ones (4xx, connection
//! errors) retry.

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::{Secrets, backoff, facts};
use crate::config::notify::SmtpTls;
use crate::model::format_rfc3339;
use crate::notify::escape::{bound, html, plain};
use crate::notify::message::{Item, Message};
use crate::notify::outbox::{Entry, Outcome};
use crate::notify::settings::Channel;

pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    to: Vec<Mailbox>,
}

impl Smtp {
    pub fn new(c: &Channel, secrets: &Secrets) -> Result<Smtp, String> {
        let cfg = &c.config;
        let host = cfg
            .smtp_host
            .as_ref()
            .map(|h| h.get_ref().clone())
            .ok_or("no smtp_host")?;
        let mode = cfg.tls.as_ref().map_or(SmtpTls::Starttls, |t| *t.get_ref());
        let port = cfg
            .smtp_port
            .as_ref()
            .map_or(if mode == SmtpTls::Implicit { 465 } else { 587 }, |p| {
                *p.get_ref()
            });
        let mut params = TlsParameters::builder(host.clone());
        if let Some(ca) = &cfg.ca_file {
            let pem = std::fs::read(ca.get_ref())
                .map_err(|e| format!("ca_file {}: {e}", ca.get_ref().display()))?;
            let cert = Certificate::from_pem(&pem)
                .map_err(|e| format!("ca_file {}: {e}", ca.get_ref().display()))?;
            // Only that CA: a private relay's own root, not the public ones.
            params = params
                .certificate_store(CertificateStore::None)
                .add_root_certificate(cert);
        }
        let params = params.build_rustls().map_err(|e| format!("TLS: {e}"))?;
        let tls = match mode {
            SmtpTls::Starttls => Tls::Required(params),
            SmtpTls::Implicit => Tls::Wrapper(params),
        };
        let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .tls(tls)
            .timeout(Some(Duration::from_millis(c.timeout_ms)));
        if let Some(user) = &cfg.username {
            b = b.credentials(Credentials::new(
                user.get_ref().clone(),
                secrets.password.clone().unwrap_or_default(),
            ));
        }
        let from: Mailbox = cfg
            .from
            .as_ref()
            .ok_or("no from")?
            .get_ref()
            .parse()
            .map_err(|e| format!("from: {e}"))?;
        let to = cfg
            .to
            .iter()
            .flat_map(|t| t.get_ref())
            .map(|a| {
                a.get_ref()
                    .parse::<Mailbox>()
                    .map_err(|e| format!("to {:?}: {e}", a.get_ref()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Smtp {
            transport: b.build(),
            from,
            to,
        })
    }

    pub fn build(&self, m: &Message, key: &str) -> Result<lettre::Message, String> {
        let b = lettre::Message::builder()
            .from(self.from.clone())
            .subject(bound(&m.title(), 200))
            .message_id(Some(format!("<{key}@agent-hubble>")));
        let b = self.to.iter().fold(b, |b, t| b.to(t.clone()));
        b.multipart(MultiPart::alternative_plain_html(
            text_body(m, key),
            html_body(m, key),
        ))
        .map_err(|e| e.to_string())
    }

    pub async fn send(&self, e: &Entry) -> Outcome {
        let msg = match self.build(&e.message, &e.key) {
            Ok(m) => m,
            Err(reason) => return Outcome::Failed { reason },
        };
        match self.transport.send(msg).await {
            Ok(r) => Outcome::Sent {
                reference: Some(format!("SMTP {}", r.code())),
            },
            Err(err) => {
                let reason = crate::sanitize::bounded(&chain(&err), 300).into_owned();
                if err.is_permanent() {
                    Outcome::Failed { reason }
                } else {
                    Outcome::Retry {
                        after_ms: backoff(e.attempts),
                        reason,
                        pause: false,
                    }
                }
            }
        }
    }
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(i) = src {
        s.push_str(": ");
        s.push_str(&i.to_string());
        src = i.source();
    }
    s
}

fn item_text(i: &Item, out: &mut String) {
    out.push_str(&format!("{}\n", plain(&i.summary())));
    for (k, v) in facts(i) {
        out.push_str(&format!("  {k}: {}\n", plain(&v)));
    }
    if let Some(f) = &i.finding {
        if !f.description.is_empty() {
            out.push_str(&format!("  {}\n", plain(&f.description)));
        }
        if let Some(u) = &f.url {
            out.push_str(&format!("  Console: {u}\n"));
        }
    }
    out.push('\n');
}

/// The text/plain part.
pub fn text_body(m: &Message, key: &str) -> String {
    let mut out = format!("{}\n\n", plain(&m.title()));
    if let Some((s, e)) = m.window {
        out.push_str(&format!(
            "Window {} to {}\n\n",
            format_rfc3339(s),
            format_rfc3339(e)
        ));
    }
    for i in &m.items {
        item_text(i, &mut out);
    }
    out.push_str(&format!("-- \nagent-hubble · {key}\n"));
    out
}

/// The text/html part.
pub fn html_body(m: &Message, key: &str) -> String {
    let mut out = format!(
        "<!DOCTYPE html><html><body style=\"font-family:sans-serif\"><h2>{}</h2>",
        html(&m.title())
    );
    if let Some((s, e)) = m.window {
        out.push_str(&format!(
            "<p>Window {} to {}</p>",
            format_rfc3339(s),
            format_rfc3339(e)
        ));
    }
    for i in &m.items {
        out.push_str(&format!("<h3>{}</h3><table>", html(&i.summary())));
        for (k, v) in facts(i) {
            out.push_str(&format!(
                "<tr><th align=\"left\">{}</th><td>{}</td></tr>",
                html(k),
                html(&v)
            ));
        }
        out.push_str("</table>");
        if let Some(f) = &i.finding {
            if !f.description.is_empty() {
                out.push_str(&format!("<p>{}</p>", html(&f.description)));
            }
            if let Some(u) = &f.url {
                // A console URL (checked when the item was made), escaped as an attribute.
                out.push_str(&format!(
                    "<p><a href=\"{}\">Open the finding in its console</a></p>",
                    html_attr(u)
                ));
            }
        }
    }
    out.push_str(&format!(
        "<p style=\"color:#666\">agent-hubble · {}</p></body></html>",
        html(key)
    ));
    out
}

/// An attribute value: escaped, not defanged (it is a link we made).
fn html_attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
