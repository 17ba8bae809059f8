//! v1HMAC verification as the platform does it, accepting every official SDK's variant (the Node GET content-type
//! quirk, Java's unpadded Date, Java's percent-decoded path). Pure functions of the request parts.

use base64::Engine as _;
use hmac::{Hmac, KeyInit as _, Mac as _};
use sha2::Sha256;

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthError {
    /// No `Authorization` header, or not of the `GCS v1HMAC:key:signature` form.
    Malformed,
    /// The key id is not known.
    UnknownKey,
    /// The signature matches none of the accepted string-to-sign forms.
    BadSignature,
}

/// The parts of a request that the signature covers.
pub(crate) struct SignedParts<'a> {
    /// Upper-case method.
    pub method: &'a str,
    /// The received Content-Type header, if any.
    pub content_type: Option<&'a str>,
    /// The received Date header, verbatim.
    pub date: &'a str,
    /// Every header as (lower-case name, value).
    pub headers: Vec<(String, String)>,
    /// The request target as received: path and query, still percent-encoded.
    pub target: &'a str,
}

/// Base64 of HMAC-SHA256(secret, message).
pub(crate) fn hmac_base64(secret: &[u8], message: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        // HMAC takes keys of any length; this branch cannot be reached.
        return String::new();
    };
    mac.update(message);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// A header value as the SDKs canonicalise it: each line break and the blanks after it become one space, then
/// both ends are trimmed. Inner runs of spaces stay.
pub(crate) fn canonical_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars().peekable();
    while let Some(c) = chars.next() {
        let newline = match c {
            '\r' if chars.peek() == Some(&'\n') => {
                chars.next();
                true
            }
            '\n' => true,
            _ => false,
        };
        if newline {
            while matches!(chars.peek(), Some(' ' | '\t')) {
                chars.next();
            }
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out.trim().to_string()
}

/// The string to sign for one choice of content type and resource.
pub(crate) fn string_to_sign(
    method: &str,
    content_type: &str,
    date: &str,
    headers: &[(String, String)],
    resource: &str,
) -> String {
    let mut gcs: Vec<(String, String)> = headers
        .iter()
        .filter(|(n, _)| n.to_ascii_lowercase().starts_with("x-gcs"))
        .map(|(n, v)| (n.to_ascii_lowercase(), canonical_value(v)))
        .collect();
    gcs.sort();
    let mut s = format!("{method}\n{content_type}\n{date}\n");
    for (n, v) in gcs {
        s.push_str(&n);
        s.push(':');
        s.push_str(&v);
        s.push('\n');
    }
    s.push_str(resource);
    s.push('\n');
    s
}

/// Percent-decodes a request target (`%20` → space); invalid escapes are kept as they are.
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Splits `GCS v1HMAC:<keyId>:<signature>`.
pub(crate) fn parse_authorization(value: &str) -> Option<(&str, &str)> {
    let rest = value.strip_prefix("GCS v1HMAC:")?;
    let (key, sig) = rest.split_once(':')?;
    if key.is_empty() || sig.is_empty() {
        return None;
    }
    Some((key, sig))
}

/// Constant-time comparison, so the time taken does not reveal how much of a guess was right.
fn same(a: &str, b: &str) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.bytes()
        .zip(b.bytes())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// How far the Date header may be from the sandbox's clock, as the platform refuses stale requests.
pub(crate) const DATE_TOLERANCE_MS: i64 = 15 * 60 * 1000;

/// Whether the Date header (RFC 1123, with the day padded or not) is within [`DATE_TOLERANCE_MS`] of `now_ms`.
pub(crate) fn date_is_fresh(date: &str, now_ms: i64) -> bool {
    chrono::DateTime::parse_from_rfc2822(date.trim())
        .is_ok_and(|d| (d.timestamp_millis() - now_ms).abs() <= DATE_TOLERANCE_MS)
}

/// Checks the `Authorization` header against the one key the sandbox knows. GET signs an empty content type (the
/// Node SDK sends one but does not sign it); other methods sign the received value. The resource is tried raw, then
/// percent-decoded (the Java SDK signs the decoded form).
pub(crate) fn verify(
    authorization: Option<&str>,
    parts: &SignedParts<'_>,
    key_id: &str,
    secret: &str,
) -> Result<(), AuthError> {
    let (got_key, got_sig) = authorization
        .and_then(parse_authorization)
        .ok_or(AuthError::Malformed)?;
    if got_key != key_id {
        return Err(AuthError::UnknownKey);
    }
    let content_type = if parts.method == "GET" {
        ""
    } else {
        parts.content_type.unwrap_or("")
    };
    let decoded = percent_decode(parts.target);
    let mut resources = vec![parts.target];
    if decoded != parts.target {
        resources.push(&decoded);
    }
    for resource in resources {
        let s = string_to_sign(
            parts.method,
            content_type,
            parts.date,
            &parts.headers,
            resource,
        );
        if same(&hmac_base64(secret.as_bytes(), s.as_bytes()), got_sig) {
            return Ok(());
        }
    }
    Err(AuthError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_date_more_than_fifteen_minutes_away_is_stale() {
        let at = |s: &str| {
            chrono::DateTime::parse_from_rfc2822(s)
                .expect("date")
                .timestamp_millis()
        };
        let now = at("Thu, 26 Nov 2026 15:00:00 GMT");
        assert!(date_is_fresh("Thu, 26 Nov 2026 15:00:00 GMT", now));
        assert!(date_is_fresh("Thu, 26 Nov 2026 15:15:00 GMT", now));
        assert!(date_is_fresh("Thu, 26 Nov 2026 14:45:00 GMT", now));
        assert!(!date_is_fresh("Thu, 26 Nov 2026 15:15:01 GMT", now));
        assert!(!date_is_fresh("Thu, 26 Nov 2026 14:44:59 GMT", now));
        // Java's unpadded day reads the same.
        assert!(date_is_fresh(
            "Fri, 6 Nov 2026 15:00:00 GMT",
            at("Fri, 06 Nov 2026 15:05:00 GMT")
        ));
        assert!(!date_is_fresh("not a date", now));
    }

    #[test]
    fn official_vectors() {
        let three = h(&[
            ("X-GCS-ServerMetaInfo", "processed header value"),
            ("X-GCS-ClientMetaInfo", "processed header value"),
            ("X-GCS-CustomerHeader", "processed header value"),
            ("User-Agent", "ignored"),
        ]);
        let date = "Fri, 06 Jun 2014 13:39:43 GMT";
        let cases = [
            (
                "secretApiKey",
                string_to_sign("DELETE", "application/json", date, &three, "/v2/1/tokens/2"),
                "jXG/ESTtRWawO4OOyxOrtWcQA8XkrZKeoHeGGIj4jws=",
            ),
            (
                "6Kj5HT0MQKC6D8eb7W3lTg71kVKVDSt1",
                string_to_sign("GET", "", date, &[], "/v2/1/tokens/2"),
                "vCos01y77soPNJOW6kDCm4Bu5b2darAZ09PP7Wa+jRA=",
            ),
            (
                "secretApiKey",
                string_to_sign(
                    "DELETE",
                    "application/json",
                    date,
                    &three,
                    "/v2/9991/tokens/123456789",
                ),
                "eyLWp/Fa20rXs8UHlhD/13ZuqZkAVMJh9Z71n9TrFxM=",
            ),
            (
                "I42Zf4pVnRdroHfuHnRiJjJ2B6+22h0yQt/R3nZR8Xg=",
                string_to_sign("GET", "", date, &[], "/v2/1/tokens/123456789"),
                "UpOoo/pmmj7tW03IbEcw2WtJURFCKL2/J6hqMc+1h1I=",
            ),
            (
                "I42Zf4pVnRdroHfuHnRiJjJ2B6+22h0yQt/R3nZR8Xg=",
                string_to_sign(
                    "DELETE",
                    "application/json",
                    date,
                    &three,
                    "/v2/1/tokens/123456789",
                ),
                "TbiTwCCsGsyFFnfWt5Rreg0cGYJeTiofxjuZNSLUuGo=",
            ),
        ];
        for (secret, s, expected) in cases {
            assert_eq!(
                hmac_base64(secret.as_bytes(), s.as_bytes()),
                expected,
                "{s}"
            );
        }
    }

    #[test]
    fn derived_refund_vector_verifies() {
        let headers = h(&[
            (
                "x-gcs-servermetainfo",
                "eyJzZGtDcmVhdG9yIjoiT25saW5lUGF5bWVudHMifQ==",
            ),
            ("content-type", "application/json"),
            (
                "x-gcs-idempotence-key",
                "3b9c2f1e-0d7a-4c55-9d0e-7f2a1b6c8e41",
            ),
        ]);
        let parts = SignedParts {
            method: "POST",
            content_type: Some("application/json"),
            date: "Mon, 07 Jul 2014 12:12:40 GMT",
            headers,
            target: "/v2/TESTPSPID/payments/3254564310_0/refund",
        };
        let auth = "GCS v1HMAC:apiKeyId:mx2x7WHB7elmMsDKNbE2pov5i/HLPUcOOUKvfpwid6E=";
        assert_eq!(
            verify(Some(auth), &parts, "apiKeyId", "secretApiKey"),
            Ok(())
        );
        assert_eq!(
            verify(Some(auth), &parts, "apiKeyId", "other"),
            Err(AuthError::BadSignature)
        );
        assert_eq!(
            verify(Some(auth), &parts, "otherKey", "secretApiKey"),
            Err(AuthError::UnknownKey)
        );
        assert_eq!(
            verify(Some("Bearer x"), &parts, "apiKeyId", "secretApiKey"),
            Err(AuthError::Malformed)
        );
    }

    #[test]
    fn get_signs_an_empty_content_type_even_when_one_is_sent() {
        let parts = SignedParts {
            method: "GET",
            content_type: Some("application/json"),
            date: "Mon, 07 Jul 2014 12:12:40 GMT",
            headers: vec![],
            target: "/v2/TESTPSPID/services/testconnection",
        };
        let auth = "GCS v1HMAC:apiKeyId:Xj9lWTDZB3M3q7xc9D7wf3i1bKKXFUnvdxnxZV04bLY=";
        assert_eq!(
            verify(Some(auth), &parts, "apiKeyId", "secretApiKey"),
            Ok(())
        );
    }

    #[test]
    fn decoded_resource_is_accepted() {
        let headers = h(&[
            (
                "X-GCS-ServerMetaInfo",
                "{\"platformIdentifier\":\"x\",\"sdkIdentifier\":\"1.0\"}",
            ),
            ("X-GCS-ClientMetaInfo", "{\"aap\",\"noot\"}"),
        ]);
        let decoded = "/v2/services bla/testconnection?aap=noot&mies=geen noot";
        let s = string_to_sign(
            "POST",
            "application/json",
            "Mon, 7 Jul 2014 12:12:40 GMT",
            &headers,
            decoded,
        );
        let sig = hmac_base64(b"secret", s.as_bytes());
        let parts = SignedParts {
            method: "POST",
            content_type: Some("application/json"),
            date: "Mon, 7 Jul 2014 12:12:40 GMT",
            headers,
            target: "/v2/services%20bla/testconnection?aap=noot&mies=geen%20noot",
        };
        let auth = format!("GCS v1HMAC:k:{sig}");
        assert_eq!(verify(Some(&auth), &parts, "k", "secret"), Ok(()));
    }

    #[test]
    fn canonical_values() {
        assert_eq!(canonical_value("aap\nnoot  "), "aap noot");
        assert_eq!(canonical_value(" aap\r\n  noot"), "aap noot");
        assert_eq!(
            canonical_value(" some value  \r\n \n with  some \r\n  spaces "),
            "some value    with  some  spaces"
        );
    }

    #[test]
    fn webhook_vector() {
        assert_eq!(
            hmac_base64(b"hello+world", b""),
            "FHbwt14Rjkjdn51x5EiyjgVQ7gN6ftgh5Y2l0KpQmLw="
        );
    }
}
