//! The error mapping, checked against the platform's documented bodies.

use super::*;

fn map(status: u16, body: &str, keyed: bool) -> DirectError {
    DirectError::from_response(status, body.as_bytes(), keyed, Some(1_700_000_000_000))
}

const E400: &str = r#"{"errorId":"8a41a5dd-7366-4026-a41b-e98c56808edd","errors":[{"category":"DIRECT_PLATFORM_ERROR","code":"20000000","errorCode":null,"httpStatusCode":400,"id":"PARAMETER_NOT_FOUND_IN_REQUEST","message":"The parameter shown above was not found in the request received by OnlinePayments.","propertyName":"bin","retriable":null}]}"#;

#[test]
fn statuses_map_to_variants() {
    let e = map(400, E400, false);
    assert!(matches!(e, DirectError::Validation { status: 400, .. }));
    assert_eq!(e.errors()[0].property_name.as_deref(), Some("bin"));
    assert_eq!(e.error_id(), Some("8a41a5dd-7366-4026-a41b-e98c56808edd"));
    assert!(e.localize(Lang::Fr).contains("« bin »"));

    let body = r#"{"errorId":"x","errors":[{"errorCode":"9002","id":"AUTHENTICATION_FAILURE"}]}"#;
    assert!(matches!(
        map(403, body, false),
        DirectError::Authorization { .. }
    ));
    assert!(matches!(
        map(404, body, false),
        DirectError::Reference { .. }
    ));
    assert!(matches!(
        map(410, body, false),
        DirectError::Reference { .. }
    ));
    assert!(matches!(
        map(409, body, true),
        DirectError::Reference { .. }
    ));
    assert!(matches!(
        map(502, body, false),
        DirectError::Platform { status: 502, .. }
    ));
    assert!(matches!(
        map(422, body, false),
        DirectError::Api { status: 422, .. }
    ));
}

#[test]
fn conflict_in_progress_needs_a_key() {
    let body = r#"{"errorId":"x","errors":[{"errorCode":"1409","code":"1409","id":"DUPLICATE_REQUEST_IN_PROGRESS","httpStatusCode":409}]}"#;
    let e = map(409, body, true);
    match &e {
        DirectError::IdempotenceInProgress {
            request_timestamp_ms,
            ..
        } => assert_eq!(*request_timestamp_ms, Some(1_700_000_000_000)),
        other => panic!("{other:?}"),
    }
    assert!(e.is_outcome_unknown());
    assert!(matches!(
        map(409, body, false),
        DirectError::Reference { .. }
    ));
}

#[test]
fn declines_are_told_by_their_body() {
    let refund = r#"{"errorId":"r","errors":[{"errorCode":"30001101","id":"REFUND_REFUSED"}],"refundResult":{"id":"3254564310_2","status":"REJECTED","statusOutput":{"statusCode":83}}}"#;
    match map(402, refund, true) {
        DirectError::DeclinedRefund { body, .. } => {
            assert_eq!(body.refund_result.unwrap().id, "3254564310_2")
        }
        other => panic!("{other:?}"),
    }
    let payment = r#"{"errorId":"p","errors":[],"paymentResult":{"payment":{"id":"1_0","status":"REJECTED"}}}"#;
    assert!(matches!(
        map(400, payment, false),
        DirectError::DeclinedPayment { .. }
    ));
}

#[test]
fn a_declined_refund_is_told_by_its_refund_result_as_a_400_or_the_older_402() {
    // The contract's form (RefundPayment answers 400 with a RefundErrorResponse) and the older 402 form.
    let body = r#"{"errorId":"d","errors":[{"errorCode":"30521001","httpStatusCode":400,"id":"REFUND_DECLINED","category":"PAYMENT_PLATFORM_ERROR"}],"refundResult":{"id":"3254564310_1","status":"REJECTED","statusOutput":{"statusCode":83,"statusCategory":"UNSUCCESSFUL"},"refundOutput":{"amountOfMoney":{"amount":1000,"currencyCode":"EUR"}}}}"#;
    for status in [400, 402] {
        let e = map(status, body, true);
        match &e {
            DirectError::DeclinedRefund { status: s, body } => {
                assert_eq!(*s, status);
                let refund = body.refund_result.as_ref().expect("the refused refund");
                assert_eq!(refund.id, "3254564310_1");
                assert_eq!(
                    refund.status,
                    Some(crate::direct::status::RefundStatus::Rejected)
                );
            }
            other => panic!("{status}: {other:?}"),
        }
        assert!(!e.is_outcome_unknown(), "{status}");
        assert_eq!(e.error_id(), Some("d"));
    }
    // A 400 without `refundResult` stays a validation error.
    let plain = r#"{"errorId":"v","errors":[{"errorCode":"21000020","httpStatusCode":400,"id":"INVALID_VALUE"}]}"#;
    assert!(matches!(
        map(400, plain, true),
        DirectError::Validation { .. }
    ));
}

#[test]
fn action_not_allowed_is_recognised() {
    let body = r#"{"errorId":"x","errors":[{"errorCode":"30001001","id":"ACTION_NOT_ALLOWED_ON_TRANSACTION","message":"ACTION_NOT_ALLOWED_ON_TRANSACTION","httpStatusCode":400}]}"#;
    let e = map(400, body, true);
    assert!(e.is_action_not_allowed());
    assert!(
        e.localize(Lang::Fr)
            .contains("ce paiement ne le permet pas")
    );
}

#[test]
fn non_json_bodies() {
    assert!(matches!(
        map(502, "<html>Bad gateway</html>", false),
        DirectError::Platform { status: 502, .. }
    ));
    assert!(matches!(map(404, "", false), DirectError::Reference { .. }));
    assert!(matches!(
        map(400, "oops", false),
        DirectError::Undecodable { status: 400, .. }
    ));
}

#[test]
fn authorization_message_for_the_cashier() {
    let e = map(403, r#"{"errors":[]}"#, false);
    assert_eq!(
        e.localize(Lang::Fr),
        "Identifiants refusés par Worldline : vérifiez l'identifiant marchand (PSPID), l'identifiant de clé et le secret API dans Réglages."
    );
    assert!(e.localize(Lang::En).contains("Settings"));
}

#[test]
fn unclear_answers_to_a_keyed_request_are_unknown_and_clear_refusals_are_not() {
    let odd = r#"{"errorId":"x","errors":[{"errorCode":"30001999","id":"DUPLICATE_OPERATION"}]}"#;
    for e in [
        map(429, odd, true),
        map(422, odd, true),
        map(409, odd, true),
        map(400, "<html>proxy</html>", true),
    ] {
        let u = e.with_outcome_unknown();
        assert!(u.is_outcome_unknown(), "{u:?}");
        assert!(matches!(u, DirectError::Uncertain { .. }), "{u:?}");
    }
    for e in [
        map(400, E400, true),
        map(403, odd, true),
        map(404, odd, true),
    ] {
        assert!(!e.with_outcome_unknown().is_outcome_unknown());
    }
}

#[test]
fn unknown_outcome_says_so() {
    let e = DirectError::Timeout {
        outcome_unknown: false,
    }
    .with_outcome_unknown();
    assert!(e.is_outcome_unknown());
    assert!(e.to_string().contains("same idempotence key"));
    assert!(e.localize(Lang::Fr).contains("Ne la refaites pas"));
}
