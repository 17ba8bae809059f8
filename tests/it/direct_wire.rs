//! Wire types against the reference's response shapes and the OpenAPI contract: decoding what the platform
//! sends, and every request body the client builds validated by the contract's schemas (strict names).

#![allow(clippy::unwrap_used, clippy::expect_used)] // reason: test set-up and helpers panic on failure, as tests do

use cadodesk::direct::error::DirectError;
use cadodesk::direct::status::{
    AuthorizationMode, HostedCheckoutStatus, PaymentStatus, PaymentStatusCategory, RefundStatus,
    StatusCategory, StatusCode, StatusCodeMeaning,
};
use cadodesk::direct::wire::*;
use cadodesk::domain::Amount;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::openapi;

/// Decodes `body` as `T`, checks the body itself and the re-encoded value against the contract's `schema`.
fn check<T: DeserializeOwned + Serialize>(schema: &str, body: Value) -> T {
    openapi::assert_valid(schema, &body);
    let value: T = serde_json::from_value(body).unwrap();
    openapi::assert_valid(schema, &serde_json::to_value(&value).unwrap());
    value
}

fn pending_capture() -> Value {
    json!({"id":"3254564310_0","status":"PENDING_CAPTURE","statusOutput":{"isCancellable":true,"statusCategory":"PENDING_MERCHANT","statusCode":5,"isAuthorized":true,"isRefundable":false},"paymentOutput":{"amountOfMoney":{"amount":1500,"currencyCode":"EUR"},"acquiredAmount":{"amount":1500,"currencyCode":"EUR"},"references":{"merchantReference":"test01"},"paymentMethod":"card","cardPaymentMethodSpecificOutput":{"paymentProductId":1,"authorisationCode":"726747","card":{"cardNumber":"************0026","expiryDate":"0530"}}}})
}

#[test]
fn pending_capture_payment() {
    let p: PaymentResponse = check("paymentResponse", pending_capture());
    assert_eq!(p.id, "3254564310_0");
    assert_eq!(p.status, Some(PaymentStatus::PendingCapture));
    let so = p.status_output.unwrap();
    assert_eq!(so.status_code, Some(StatusCode(5)));
    assert_eq!(so.status_category, Some(StatusCategory::PendingMerchant));
    assert_eq!(so.is_cancellable, Some(true));
    let out = p.payment_output.unwrap();
    assert_eq!(out.amount_of_money.as_ref().unwrap().amount, 1500);
    assert_eq!(out.payment_product_id(), Some(1));
    assert_eq!(
        out.acquired_amount.unwrap().as_eur(),
        Amount::from_cents(1500)
    );
}

#[test]
fn captured_gift_card_payment() {
    let body = json!({"id":"3254564311_0","status":"CAPTURED","statusOutput":{"isCancellable":false,"statusCategory":"COMPLETED","statusCode":9,"isAuthorized":false,"isRefundable":true,"statusCodeChangeDateTime":"20240501100000"},"paymentOutput":{"amountOfMoney":{"amount":2500,"currencyCode":"EUR"},"paymentMethod":"redirect","redirectPaymentMethodSpecificOutput":{"paymentProductId":3103},"transactionDate":"2024-05-01T10:00:00.000Z"},"hostedCheckoutSpecificOutput":{"hostedCheckoutId":"3066019730"}});
    let p: PaymentResponse = check("paymentResponse", body);
    assert_eq!(p.status, Some(PaymentStatus::Captured));
    let code = p.status_output.unwrap().status_code.unwrap();
    assert_eq!(code.meaning(), StatusCodeMeaning::Captured);
    assert_eq!(p.payment_output.unwrap().payment_product_id(), Some(3103));
    assert_eq!(
        p.hosted_checkout_specific_output
            .unwrap()
            .hosted_checkout_id
            .as_deref(),
        Some("3066019730")
    );
}

#[test]
fn cancelled_payment_in_cancel_response() {
    let body = json!({"payment":{"id":"3254564310_0","status":"CANCELLED","statusOutput":{"isAuthorized":true,"isCancellable":false,"isRefundable":false,"statusCategory":"PENDING_MERCHANT","statusCode":61},"paymentOutput":{"amountOfMoney":{"amount":1500,"currencyCode":"EUR"},"acquiredAmount":{"amount":0,"currencyCode":"EUR"}}}});
    let r: CancelPaymentResponse = check("cancelPaymentResponse", body);
    let p = r.payment.unwrap();
    assert_eq!(p.status, Some(PaymentStatus::Cancelled));
    assert_eq!(
        p.status_output.unwrap().status_code.unwrap().meaning(),
        StatusCodeMeaning::Cancelled
    );
    assert_eq!(p.payment_output.unwrap().acquired_amount.unwrap().amount, 0);
}

#[test]
fn rejected_payment_with_errors() {
    let body = json!({"id":"3254564312_0","status":"REJECTED","statusOutput":{"isCancellable":false,"statusCategory":"UNSUCCESSFUL","statusCode":2,"isAuthorized":false,"isRefundable":false,"errors":[{"category":"PAYMENT_PLATFORM_ERROR","code":"9999","errorCode":"40001134","httpStatusCode":403,"id":"AUTHENTICATION_FAILURE","message":"","retriable":false},{"category":"PAYMENT_PLATFORM_ERROR","errorCode":"50001111","id":"Error coming from a third party","message":"cardholder"}]}});
    let p: PaymentResponse = check("paymentResponse", body);
    assert_eq!(p.status, Some(PaymentStatus::Rejected));
    let so = p.status_output.unwrap();
    assert_eq!(so.status_category, Some(StatusCategory::Unsuccessful));
    assert_eq!(so.errors.len(), 2);
    assert_eq!(so.errors[0].id.as_deref(), Some("AUTHENTICATION_FAILURE"));
    assert_eq!(so.errors[0].retriable, Some(false));
    assert_eq!(so.errors[1].message.as_deref(), Some("cardholder"));
}

#[test]
fn refund_response() {
    let body = json!({"id":"3254564310_2","status":"REFUND_REQUESTED","statusOutput":{"isCancellable":false,"statusCategory":"PENDING_CONNECT_OR_3RD_PARTY","statusCode":81},"refundOutput":{"amountOfMoney":{"amount":500,"currencyCode":"EUR"},"operationReferences":{"merchantReference":"R-1"},"paymentMethod":"card","cardRefundMethodSpecificOutput":{"totalAmountPaid":1500,"totalAmountRefunded":0}}});
    let r: RefundResponse = check("refundResponse", body);
    assert_eq!(r.status, Some(RefundStatus::RefundRequested));
    let so = r.status_output.unwrap();
    assert_eq!(
        so.status_code.unwrap().meaning(),
        StatusCodeMeaning::RefundPending
    );
    let out = r.refund_output.unwrap();
    assert_eq!(out.amount_of_money.unwrap().amount, 500);
    assert_eq!(
        out.card_refund_method_specific_output
            .unwrap()
            .total_amount_paid,
        Some(1500)
    );
    let list: RefundsResponse = check(
        "refundsResponse",
        json!({"refunds":[{"id":"3254564310_2","status":"REFUNDED","statusOutput":{"statusCode":8,"statusCategory":"REFUNDED"}}]}),
    );
    assert_eq!(list.refunds[0].status, Some(RefundStatus::Refunded));
}

#[test]
fn payment_details_with_operations() {
    let body = json!({
        "id":"3254564310_0","status":"CAPTURED",
        "statusOutput":{"statusCode":9,"statusCategory":"COMPLETED","isRefundable":true},
        "paymentOutput":{"amountOfMoney":{"amount":4250,"currencyCode":"EUR"},"paymentMethod":"redirect","redirectPaymentMethodSpecificOutput":{"paymentProductId":3103}},
        "Operations":[
            {"id":"3254564310_0","amountOfMoney":{"amount":2500,"currencyCode":"EUR"},"status":"CAPTURED","statusOutput":{"statusCode":9},"paymentMethod":"redirect"},
            {"id":"3254564311_0","amountOfMoney":{"amount":1750,"currencyCode":"EUR"},"status":"CAPTURED","statusOutput":{"statusCode":9},"paymentMethod":"card"},
            {"id":"3254564311_1","amountOfMoney":{"amount":500,"currencyCode":"EUR"},"status":"REFUND_REQUESTED","statusOutput":{"statusCode":81},"paymentMethod":"card","operationReferences":{"merchantReference":"R-1"}}
        ]
    });
    let d: PaymentDetailsResponse = check("paymentDetailsResponse", body);
    assert_eq!(d.operations.len(), 3);
    let refunds: Vec<_> = d
        .operations
        .iter()
        .filter(|o| {
            o.status_output
                .as_ref()
                .and_then(|s| s.status_code)
                .is_some_and(|c| c.is_refund())
        })
        .collect();
    assert_eq!(refunds.len(), 1);
    assert_eq!(
        refunds[0]
            .operation_references
            .as_ref()
            .unwrap()
            .merchant_reference
            .as_deref(),
        Some("R-1")
    );
    // The key is capitalised: a lower-case `operations` is not the list.
    let lower: PaymentDetailsResponse =
        serde_json::from_value(json!({"id":"1_0","operations":[{"id":"1_0"}]})).unwrap();
    assert!(lower.operations.is_empty());
    assert!(
        serde_json::to_string(&d)
            .unwrap()
            .contains("\"Operations\"")
    );
}

#[test]
fn hosted_checkout_responses() {
    let created: CreateHostedCheckoutResponse = check(
        "createHostedCheckoutResponse",
        json!({"RETURNMAC":"fecab85c-9b0e-42ee-a9d9-ebb69b0c2eb0","hostedCheckoutId":"3066019730","merchantReference":"ORDER-1","redirectUrl":"https://payment.preprod.direct.worldline-solutions.com/hostedcheckout/PaymentMethods/Selection/abc","partialRedirectUrl":"preprod.direct.worldline-solutions.com/hostedcheckout/PaymentMethods/Selection/abc"}),
    );
    assert_eq!(created.hosted_checkout_id, "3066019730");
    assert_eq!(
        created.returnmac.as_deref(),
        Some("fecab85c-9b0e-42ee-a9d9-ebb69b0c2eb0")
    );

    let mut payment = pending_capture();
    payment["hostedCheckoutSpecificOutput"] = json!({"hostedCheckoutId":"3066019730"});
    let got: GetHostedCheckoutResponse = check(
        "getHostedCheckoutResponse",
        json!({"status":"PAYMENT_CREATED","createdPaymentOutput":{"paymentStatusCategory":"SUCCESSFUL","payment":payment}}),
    );
    assert_eq!(got.status, HostedCheckoutStatus::PaymentCreated);
    let out = got.created_payment_output.unwrap();
    assert_eq!(
        out.payment_status_category,
        Some(PaymentStatusCategory::Successful)
    );
    assert_eq!(out.payment.unwrap().id, "3254564310_0");

    let waiting: GetHostedCheckoutResponse =
        check("getHostedCheckoutResponse", json!({"status":"IN_PROGRESS"}));
    assert_eq!(waiting.status, HostedCheckoutStatus::InProgress);
}

#[test]
fn unknown_and_missing_fields_are_tolerated() {
    let p: PaymentResponse = serde_json::from_value(json!({
        "id":"1_0","status":"SOMETHING_NEW","brandNewField":{"x":1},
        "statusOutput":{"statusCode":12345,"statusCategory":"NEW_CATEGORY","errors":null}
    }))
    .unwrap();
    assert_eq!(
        p.status,
        Some(PaymentStatus::Unknown("SOMETHING_NEW".into()))
    );
    let so = p.status_output.unwrap();
    assert_eq!(
        so.status_category,
        Some(StatusCategory::Unknown("NEW_CATEGORY".into()))
    );
    assert_eq!(
        so.status_code.unwrap().meaning(),
        StatusCodeMeaning::Unknown
    );
    assert!(so.errors.is_empty());
    let bare: PaymentResponse = serde_json::from_value(json!({"id":"1_0"})).unwrap();
    assert!(bare.status.is_none() && bare.payment_output.is_none());
    let t: TestConnection = check("testConnection", json!({"result":"OK"}));
    assert_eq!(t.result.as_deref(), Some("OK"));
}

fn cado_request() -> CreateHostedCheckoutRequest {
    CreateHostedCheckoutRequest::bimpli_cado(CadoCheckout {
        amount: Amount::parse("42,50").unwrap(),
        merchant_reference: Some("T1-2024-0001".into()),
        customer_email: Some("jean.dupont@example.fr".into()),
        locale: "fr_FR".into(),
        return_url: "http://127.0.0.1:8080/return".into(),
        session_timeout_minutes: Some(30),
        allowed_number_of_payment_attempts: Some(3),
        complete_remaining_payment_amount: true,
        card_authorization_mode: Some(AuthorizationMode::Sale),
        webhooks_urls: vec!["https://shop.example/webhooks".into()],
    })
}

#[test]
fn request_bodies_match_the_contract() {
    let v = serde_json::to_value(cado_request()).unwrap();
    openapi::assert_valid("createHostedCheckoutRequest", &v);
    assert_eq!(
        v["order"]["amountOfMoney"],
        json!({"amount":4250,"currencyCode":"EUR"})
    );
    assert_eq!(
        v["redirectPaymentMethodSpecificInput"]["paymentProductId"],
        3103
    );
    assert_eq!(
        v["redirectPaymentMethodSpecificInput"]["paymentProduct3103SpecificInput"]["completeRemainingPaymentAmount"],
        true
    );
    assert_eq!(
        v["cardPaymentMethodSpecificInput"]["authorizationMode"],
        "SALE"
    );
    assert_eq!(v["hostedCheckoutSpecificInput"]["sessionTimeout"], 30);
    assert_eq!(
        v["order"]["customer"]["contactDetails"]["emailAddress"],
        "jean.dupont@example.fr"
    );
    assert_eq!(
        v["feedbacks"]["webhooksUrls"][0],
        "https://shop.example/webhooks"
    );

    // The smallest checkout leaves every option out.
    let minimal = CreateHostedCheckoutRequest::bimpli_cado(CadoCheckout {
        merchant_reference: None,
        customer_email: None,
        session_timeout_minutes: None,
        allowed_number_of_payment_attempts: None,
        card_authorization_mode: None,
        webhooks_urls: vec![],
        ..cado_request_fields()
    });
    let v = serde_json::to_value(minimal).unwrap();
    openapi::assert_valid("createHostedCheckoutRequest", &v);
    assert!(v.get("feedbacks").is_none() && v["order"].get("customer").is_none());
    assert!(
        v["hostedCheckoutSpecificInput"]
            .get("sessionTimeout")
            .is_none()
    );

    let refund = RefundRequest::eur(
        Amount::from_cents(1000).unwrap(),
        Some("R-2024-0001".into()),
        Some("Article rendu".into()),
    );
    let v = serde_json::to_value(&refund).unwrap();
    openapi::assert_valid("refundRequest", &v);
    assert_eq!(
        v,
        json!({"amountOfMoney":{"amount":1000,"currencyCode":"EUR"},"operationReferences":{"merchantReference":"R-2024-0001"},"reason":"Article rendu"})
    );

    openapi::assert_valid(
        "capturePaymentRequest",
        &serde_json::to_value(CapturePaymentRequest {
            amount: Some(1500),
            is_final: Some(true),
            operation_references: Some(OperationReferences {
                merchant_reference: Some("C-1".into()),
                operation_group_reference: None,
            }),
        })
        .unwrap(),
    );
    let cancel = serde_json::to_value(CancelPaymentRequest::default()).unwrap();
    assert_eq!(cancel, json!({}));
    openapi::assert_valid("cancelPaymentRequest", &cancel);
}

fn cado_request_fields() -> CadoCheckout {
    CadoCheckout {
        amount: Amount::from_cents(2000).unwrap(),
        merchant_reference: None,
        customer_email: None,
        locale: "en_GB".into(),
        return_url: "https://shop.example/return".into(),
        session_timeout_minutes: None,
        allowed_number_of_payment_attempts: None,
        complete_remaining_payment_amount: false,
        card_authorization_mode: None,
        webhooks_urls: vec![],
    }
}

/// Maps an error answer; the body is first checked against the contract's schema.
fn error(status: u16, schema: &str, body: Value, keyed: bool) -> DirectError {
    openapi::assert_valid(schema, &body);
    DirectError::from_response(
        status,
        body.to_string().as_bytes(),
        keyed,
        Some(1_714_557_600_000),
    )
}

#[test]
fn error_bodies_by_status() {
    let e = error(
        400,
        "errorResponse",
        json!({"errorId":"8a41a5dd-7366-4026-a41b-e98c56808edd","errors":[{"category":"DIRECT_PLATFORM_ERROR","errorCode":"20000000","httpStatusCode":400,"id":"INVALID_VALUE","message":"invalid amount","propertyName":"order.amountOfMoney.amount","retriable":false}]}),
        false,
    );
    assert!(matches!(e, DirectError::Validation { status: 400, .. }));
    assert_eq!(
        e.errors()[0].property_name.as_deref(),
        Some("order.amountOfMoney.amount")
    );

    let e = error(
        400,
        "refundErrorResponse",
        json!({"errorId":"e1","errors":[{"errorCode":"30001001","id":"ACTION_NOT_ALLOWED_ON_TRANSACTION","message":"ACTION_NOT_ALLOWED_ON_TRANSACTION","httpStatusCode":400}]}),
        true,
    );
    assert!(matches!(e, DirectError::Validation { .. }) && e.is_action_not_allowed());

    let e = error(
        403,
        "errorResponse",
        json!({"errorId":"e2","errors":[{"errorCode":"9002","id":"AUTHENTICATION_FAILURE","httpStatusCode":403}]}),
        false,
    );
    assert!(matches!(e, DirectError::Authorization { status: 403, .. }));

    let e = error(
        404,
        "errorResponse",
        json!({"errorId":"e3","errors":[{"errorCode":"1002","id":"UNKNOWN_PAYMENT_ID","httpStatusCode":404}]}),
        false,
    );
    assert!(matches!(e, DirectError::Reference { status: 404, .. }));

    let in_progress = json!({"errorId":"e4","errors":[{"errorCode":"1409","code":"1409","id":"DUPLICATE_REQUEST_IN_PROGRESS","httpStatusCode":409}]});
    match error(409, "errorResponse", in_progress.clone(), true) {
        DirectError::IdempotenceInProgress {
            request_timestamp_ms,
            ..
        } => assert_eq!(request_timestamp_ms, Some(1_714_557_600_000)),
        other => panic!("{other:?}"),
    }
    let closed = json!({"errorId":"e5","errors":[{"errorCode":"1007","id":"PAYMENT_CLOSED","message":"Cancellation is not allowed because payment is closed","httpStatusCode":409}]});
    assert!(matches!(
        error(409, "errorResponse", closed, true),
        DirectError::Reference { status: 409, .. }
    ));

    for status in [500, 502, 503] {
        let e = error(
            status,
            "errorResponse",
            json!({"errorId":"e6","errors":[{"errorCode":"9999","category":"DIRECT_PLATFORM_ERROR","id":"GENERIC_ERROR","httpStatusCode":status,"retriable":true}]}),
            false,
        );
        assert!(matches!(e, DirectError::Platform { .. }), "{status}");
        assert_eq!(e.errors()[0].retriable, Some(true));
    }

    // RefundPayment's contract answers a refused refund with 400; older answers used 402. Both are declines.
    for status in [400, 402] {
        let declined = error(
            status,
            "refundErrorResponse",
            json!({"errorId":"e7","errors":[{"errorCode":"30511001","id":"REFUND_REFUSED"}],"refundResult":{"id":"3254564310_2","status":"REJECTED","statusOutput":{"statusCode":83,"statusCategory":"UNSUCCESSFUL"}}}),
            true,
        );
        match declined {
            DirectError::DeclinedRefund { body, status: s } => {
                assert_eq!(s, status);
                let r = body.refund_result.unwrap();
                assert_eq!(r.status, Some(RefundStatus::Rejected));
                assert_eq!(
                    r.status_output.unwrap().status_code.unwrap().meaning(),
                    StatusCodeMeaning::RefundRefused
                );
            }
            other => panic!("{status}: {other:?}"),
        }
    }
    let mut rejected = pending_capture();
    rejected["status"] = json!("REJECTED");
    let declined = error(
        402,
        "paymentErrorResponse",
        json!({"errorId":"e8","errors":[{"errorCode":"30511001","id":"DECLINED"}],"paymentResult":{"payment":rejected}}),
        false,
    );
    assert!(matches!(
        declined,
        DirectError::DeclinedPayment { status: 402, .. }
    ));
}
