//! A receipt on the customer's phone: in sandbox mode, the embedded sandbox serves it (`/receipts/{id}`) and the
//! counter shows its address as a QR code; the first time or as a duplicate, it is journaled like a print (`to`:
//! `phone`). With real credentials there is no page to serve (no e-mail server is assumed): the PDF is saved where
//! the shop chooses, as `cadodesk receipt … -o FILE` does.

use anyhow::Context as _;
use base64::Engine as _;
use serde_json::json;

use crate::i18n::Lang;
use crate::till::{ReceiptFormat, ReceiptTarget, Records};

/// How long the sandbox has to keep the receipt.
const PUBLISH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Publishes `target`'s receipt (its lines and its 80 mm PDF) on the sandbox at `sandbox_url`, journals it, and
/// returns the address the phone opens.
pub async fn publish(
    records: &Records,
    sandbox_url: &str,
    target: &ReceiptTarget,
    duplicate: bool,
    lang: Lang,
) -> anyhow::Result<String> {
    let prepared = records.prepare_receipt(target, duplicate, ReceiptFormat::Pdf, lang)?;
    let body = json!({
        "title": prepared.title(),
        "lines": prepared.lines(),
        "pdf": base64::engine::general_purpose::STANDARD.encode(&prepared.bytes),
    });
    let base = sandbox_url.trim_end_matches('/');
    let answer = reqwest::Client::builder()
        .timeout(PUBLISH_TIMEOUT)
        .build()?
        .post(format!("{base}/sandbox/receipts"))
        .json(&body)
        .send()
        .await
        .with_context(|| {
            format!("the sandbox at {base} did not take the receipt: is it running?")
        })?;
    let status = answer.status();
    let v: serde_json::Value = answer
        .json()
        .await
        .with_context(|| format!("the sandbox at {base} answered {status} without JSON"))?;
    let url = match v.get("url").and_then(|u| u.as_str()) {
        Some(u) if status.is_success() => u.to_string(),
        _ => anyhow::bail!("the sandbox at {base} refused the receipt ({status}): {v}"),
    };
    records.receipt_handed_out(&prepared, "phone")?;
    Ok(url)
}
