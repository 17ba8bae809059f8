//! v1HMAC request signing, as pure functions: the caller passes the Date string in, so every vector of the
//! platform's SDKs can be checked byte for byte and the transport only sends what was signed.
//!
//! The string to sign is, each line ending in `\n` (the last one too):
//! method, Content-Type (or empty), the raw Date value, the `x-gcs*` headers lower-cased, sorted and with their
//! values canonicalised (`name:value`), then the canonical resource (path, and `?query` if any).

use std::time::SystemTime;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The authorization type written after `GCS ` in the Authorization header.
pub const AUTHORIZATION_TYPE: &str = "v1HMAC";

/// Replaces each line break (`\n` or `\r\n`) and the horizontal white space after it with one space, then trims
/// both ends, as the SDKs do. Inner runs of spaces are kept.
pub fn canonicalize_header_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        let line_break = match c {
            '\n' => true,
            '\r' if chars.peek() == Some(&'\n') => {
                chars.next();
                true
            }
            _ => false,
        };
        if line_break {
            while chars
                .peek()
                .is_some_and(|&n| n.is_whitespace() && n != '\r' && n != '\n')
            {
                chars.next();
            }
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    // Java's String.trim removes every character up to U+0020; the SDKs share that rule.
    out.trim_matches(|c: char| c <= ' ').to_owned()
}

/// The canonical resource: the path, then `?` and the query when there is one. Both are used as sent
/// (percent-encoded), which is what the Python SDK signs.
pub fn canonical_resource(path: &str, query: Option<&str>) -> String {
    match query {
        Some(q) if !q.is_empty() => format!("{path}?{q}"),
        _ => path.to_owned(),
    }
}

/// Builds the v1HMAC string to sign.
///
/// `headers` may hold every request header: only those whose name starts with `x-gcs` (any case) are signed,
/// lower-cased and sorted by name. `content_type` is the Content-Type header sent with the request, `None` when
/// the request has no body. `date` is the Date header value exactly as sent.
pub fn string_to_sign<'a, I>(
    method: &str,
    content_type: Option<&str>,
    date: &str,
    headers: I,
    canonical_resource: &str,
) -> String
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut gcs: Vec<(String, String)> = headers
        .into_iter()
        .filter_map(|(name, value)| {
            let lower = name.to_ascii_lowercase();
            lower
                .starts_with("x-gcs")
                .then(|| (lower, canonicalize_header_value(value)))
        })
        .collect();
    // A stable sort keeps repeated names in the order they were given.
    gcs.sort_by(|a, b| a.0.cmp(&b.0));

    let mut s = String::with_capacity(128 + canonical_resource.len());
    s.push_str(&method.to_ascii_uppercase());
    s.push('\n');
    s.push_str(content_type.unwrap_or(""));
    s.push('\n');
    s.push_str(date);
    s.push('\n');
    for (name, value) in &gcs {
        s.push_str(name);
        s.push(':');
        s.push_str(value);
        s.push('\n');
    }
    s.push_str(canonical_resource);
    s.push('\n');
    s
}

/// Base64 (standard alphabet, padded) of HMAC-SHA256 of the string to sign, keyed with the secret's UTF-8 bytes.
/// The secret is used as text, never Base64-decoded.
pub fn signature(secret: &str, string_to_sign: &str) -> String {
    STANDARD.encode(hmac_sha256(secret.as_bytes(), string_to_sign.as_bytes()))
}

/// The Authorization header value: `GCS v1HMAC:<apiKeyId>:<signature>`.
pub fn authorization_header(api_key_id: &str, signature: &str) -> String {
    format!("GCS {AUTHORIZATION_TYPE}:{api_key_id}:{signature}")
}

/// Formats a time as an RFC 1123 HTTP date in GMT, e.g. `Mon, 07 Jul 2014 12:12:40 GMT`.
pub fn http_date(time: SystemTime) -> String {
    httpdate::fmt_http_date(time)
}

/// HMAC-SHA256 of `message` under `key`.
pub(crate) fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = new_mac(key);
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// A keyed HMAC-SHA256 instance. HMAC accepts keys of any length, so creation cannot fail.
pub(crate) fn new_mac(key: &[u8]) -> HmacSha256 {
    match <HmacSha256 as KeyInit>::new_from_slice(key) {
        Ok(mac) => mac,
        // HMAC hashes long keys and pads short ones: every length is valid, this arm is unreachable.
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    const DATE_2014_06: &str = "Fri, 06 Jun 2014 13:39:43 GMT";
    const DATE_2014_07: &str = "Mon, 07 Jul 2014 12:12:40 GMT";
    const PROCESSED: &str = "processed header value";

    /// One vector: key id and secret, the inputs of the string to sign, the expected string and header.
    #[allow(clippy::too_many_arguments)]
    fn check(
        key_id: &str,
        secret: &str,
        method: &str,
        content_type: Option<&str>,
        date: &str,
        headers: &[(&str, &str)],
        resource: &str,
        expected_string: &str,
        expected_header: &str,
    ) {
        let sts = string_to_sign(
            method,
            content_type,
            date,
            headers.iter().copied(),
            resource,
        );
        assert_eq!(sts, expected_string);
        let header = authorization_header(key_id, &signature(secret, &sts));
        assert_eq!(header, expected_header);
    }

    fn three_gcs() -> Vec<(&'static str, &'static str)> {
        vec![
            ("X-GCS-ServerMetaInfo", PROCESSED),
            ("X-GCS-ClientMetaInfo", PROCESSED),
            ("X-GCS-CustomerHeader", PROCESSED),
        ]
    }

    #[test]
    fn v1_delete_with_three_gcs_headers() {
        check(
            "apiKeyId",
            "secretApiKey",
            "DELETE",
            Some("application/json"),
            DATE_2014_06,
            &three_gcs(),
            "/v2/1/tokens/2",
            "DELETE\napplication/json\nFri, 06 Jun 2014 13:39:43 GMT\nx-gcs-clientmetainfo:processed header value\nx-gcs-customerheader:processed header value\nx-gcs-servermetainfo:processed header value\n/v2/1/tokens/2\n",
            "GCS v1HMAC:apiKeyId:jXG/ESTtRWawO4OOyxOrtWcQA8XkrZKeoHeGGIj4jws=",
        );
    }

    #[test]
    fn v2_get_without_headers() {
        check(
            "EC36A74A98D21",
            "6Kj5HT0MQKC6D8eb7W3lTg71kVKVDSt1",
            "GET",
            None,
            DATE_2014_06,
            &[],
            "/v2/1/tokens/2",
            "GET\n\nFri, 06 Jun 2014 13:39:43 GMT\n/v2/1/tokens/2\n",
            "GCS v1HMAC:EC36A74A98D21:vCos01y77soPNJOW6kDCm4Bu5b2darAZ09PP7Wa+jRA=",
        );
    }

    #[test]
    fn v3_delete_longer_path() {
        check(
            "apiKeyId",
            "secretApiKey",
            "DELETE",
            Some("application/json"),
            DATE_2014_06,
            &three_gcs(),
            "/v2/9991/tokens/123456789",
            "DELETE\napplication/json\nFri, 06 Jun 2014 13:39:43 GMT\nx-gcs-clientmetainfo:processed header value\nx-gcs-customerheader:processed header value\nx-gcs-servermetainfo:processed header value\n/v2/9991/tokens/123456789\n",
            "GCS v1HMAC:apiKeyId:eyLWp/Fa20rXs8UHlhD/13ZuqZkAVMJh9Z71n9TrFxM=",
        );
    }

    #[test]
    fn v4_get_longer_path() {
        check(
            "EC36A74A98D21",
            "6Kj5HT0MQKC6D8eb7W3lTg71kVKVDSt1",
            "GET",
            None,
            DATE_2014_06,
            &[],
            "/v2/9991/tokens/123456789",
            "GET\n\nFri, 06 Jun 2014 13:39:43 GMT\n/v2/9991/tokens/123456789\n",
            "GCS v1HMAC:EC36A74A98D21:Y3E5YaU3oQCt4osEotLGb9W0cMclIzlCpvbaD1KhWxE=",
        );
    }

    #[test]
    fn v5_minimal_user_agent_not_signed() {
        check(
            "5e45c937b9db33ae",
            "I42Zf4pVnRdroHfuHnRiJjJ2B6+22h0yQt/R3nZR8Xg=",
            "GET",
            None,
            DATE_2014_06,
            &[("User-Agent", "node-fetch")],
            "/v2/1/tokens/123456789",
            "GET\n\nFri, 06 Jun 2014 13:39:43 GMT\n/v2/1/tokens/123456789\n",
            "GCS v1HMAC:5e45c937b9db33ae:UpOoo/pmmj7tW03IbEcw2WtJURFCKL2/J6hqMc+1h1I=",
        );
    }

    #[test]
    fn v6_full_mixed_case_unsorted_headers() {
        // Content-Type and Date are among the headers too: they are not x-gcs headers, so they are not repeated.
        check(
            "5e45c937b9db33ae",
            "I42Zf4pVnRdroHfuHnRiJjJ2B6+22h0yQt/R3nZR8Xg=",
            "delete",
            Some("application/json"),
            DATE_2014_06,
            &[
                ("User-Agent", "node-fetch"),
                ("X-GCS-ServerMetaInfo", PROCESSED),
                ("X-GCS-ClientMetaInfo", PROCESSED),
                ("Content-Type", "application/json"),
                ("X-GCS-CustomerHeader", PROCESSED),
                ("Date", DATE_2014_06),
            ],
            "/v2/1/tokens/123456789",
            "DELETE\napplication/json\nFri, 06 Jun 2014 13:39:43 GMT\nx-gcs-clientmetainfo:processed header value\nx-gcs-customerheader:processed header value\nx-gcs-servermetainfo:processed header value\n/v2/1/tokens/123456789\n",
            "GCS v1HMAC:5e45c937b9db33ae:TbiTwCCsGsyFFnfWt5Rreg0cGYJeTiofxjuZNSLUuGo=",
        );
    }

    #[test]
    fn canonicalisation_vector_java_to_data_to_sign() {
        let meta = r#"{"platformIdentifier":"Windows 7/6.1 Java/1.7 (Oracle Corporation; Java HotSpot(TM) 64-Bit Server VM; 1.7.0_45)","sdkIdentifier":"1.0"}"#;
        let headers = [
            ("X-GCS-ServerMetaInfo", meta),
            ("Content-Type", "application/json"),
            ("X-GCS-ClientMetaInfo", r#"{"aap","noot"}"#),
            ("User-Agent", "Apache-HttpClient/4.3.4 (java 1.5)"),
            ("Date", DATE_2014_07),
        ];
        // Java signs the percent-decoded resource; the builder takes the resource as given.
        let sts = string_to_sign(
            "POST",
            Some("application/json"),
            DATE_2014_07,
            headers.iter().copied(),
            &canonical_resource(
                "/v2/services bla/testconnection",
                Some("aap=noot&mies=geen noot"),
            ),
        );
        let expected = format!(
            "POST\napplication/json\nMon, 07 Jul 2014 12:12:40 GMT\nx-gcs-clientmetainfo:{{\"aap\",\"noot\"}}\nx-gcs-servermetainfo:{meta}\n/v2/services bla/testconnection?aap=noot&mies=geen noot\n"
        );
        assert_eq!(sts, expected);
    }

    #[test]
    fn header_value_canonicalisation_vectors() {
        for (input, expected) in [
            ("aap\nnoot  ", "aap noot"),
            (" aap\r\n  noot", "aap noot"),
            (
                " some value  \r\n \n with  some \r\n  spaces ",
                "some value    with  some  spaces",
            ),
            ("plain", "plain"),
            ("a\t\tb", "a\t\tb"),
        ] {
            assert_eq!(canonicalize_header_value(input), expected, "{input:?}");
        }
    }

    #[test]
    fn canonicalised_values_are_signed() {
        let sts = string_to_sign(
            "GET",
            None,
            DATE_2014_06,
            [("X-GCS-Custom", " aap\r\n  noot")],
            "/x",
        );
        assert_eq!(
            sts,
            "GET\n\nFri, 06 Jun 2014 13:39:43 GMT\nx-gcs-custom:aap noot\n/x\n"
        );
    }

    #[test]
    fn d1_refund_with_idempotence_key() {
        check(
            "apiKeyId",
            "secretApiKey",
            "POST",
            Some("application/json"),
            DATE_2014_07,
            &[
                (
                    "X-GCS-ServerMetaInfo",
                    "eyJzZGtDcmVhdG9yIjoiT25saW5lUGF5bWVudHMifQ==",
                ),
                ("Content-Type", "application/json"),
                ("Date", DATE_2014_07),
                (
                    "X-GCS-Idempotence-Key",
                    "3b9c2f1e-0d7a-4c55-9d0e-7f2a1b6c8e41",
                ),
            ],
            &canonical_resource("/v2/TESTPSPID/payments/3254564310_0/refund", None),
            "POST\napplication/json\nMon, 07 Jul 2014 12:12:40 GMT\nx-gcs-idempotence-key:3b9c2f1e-0d7a-4c55-9d0e-7f2a1b6c8e41\nx-gcs-servermetainfo:eyJzZGtDcmVhdG9yIjoiT25saW5lUGF5bWVudHMifQ==\n/v2/TESTPSPID/payments/3254564310_0/refund\n",
            "GCS v1HMAC:apiKeyId:mx2x7WHB7elmMsDKNbE2pov5i/HLPUcOOUKvfpwid6E=",
        );
    }

    #[test]
    fn d2_test_connection_date_only() {
        check(
            "apiKeyId",
            "secretApiKey",
            "GET",
            None,
            DATE_2014_07,
            &[("Date", DATE_2014_07)],
            &canonical_resource("/v2/TESTPSPID/services/testconnection", Some("")),
            "GET\n\nMon, 07 Jul 2014 12:12:40 GMT\n/v2/TESTPSPID/services/testconnection\n",
            "GCS v1HMAC:apiKeyId:Xj9lWTDZB3M3q7xc9D7wf3i1bKKXFUnvdxnxZV04bLY=",
        );
    }

    #[test]
    fn http_date_is_rfc1123_gmt_with_padded_day() {
        // 2014-07-07T12:12:40Z
        let t = UNIX_EPOCH + Duration::from_secs(1_404_735_160);
        assert_eq!(http_date(t), DATE_2014_07);
        let t = UNIX_EPOCH + Duration::from_secs(1_402_061_983);
        assert_eq!(http_date(t), DATE_2014_06);
    }
}
