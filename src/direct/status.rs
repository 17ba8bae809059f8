//! Every status field of the platform as its own exhaustive enum. Each has an `Unknown(String)` arm: a value the
//! platform adds later is kept and shown as it is, never a decoding failure.
//!
//! `statusCode` is the legacy numeric code; [`StatusCode::meaning`] groups the codes the till acts on.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::i18n::{Lang, Localize};

/// Declares a string enum with an `Unknown(String)` arm, its wire names, serde and `Display`.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal => ($fr:literal, $en:literal), )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version does not know, kept verbatim.
            Unknown(String),
        }

        impl $name {
            /// The value as the platform writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )+
                    $name::Unknown(s) => s.as_str(),
                }
            }

            /// Reads a wire value; anything unrecognised becomes `Unknown`.
            pub fn from_wire(s: &str) -> Self {
                match s {
                    $( $wire => $name::$variant, )+
                    other => $name::Unknown(other.to_owned()),
                }
            }

            /// Whether the value is one this version knows.
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Unknown(_))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = String::deserialize(deserializer)?;
                Ok($name::from_wire(&s))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Localize for $name {
            fn localize(&self, lang: Lang) -> String {
                match self {
                    $( $name::$variant => lang.pick($fr, $en).to_owned(), )+
                    $name::Unknown(s) => match lang {
                        Lang::Fr => format!("statut inconnu ({s})"),
                        Lang::En => format!("unknown status ({s})"),
                    },
                }
            }
        }
    };
}

wire_enum! {
    /// `getHostedCheckoutResponse.status`: where the customer is on the hosted page.
    pub enum HostedCheckoutStatus {
        /// The customer has not finished yet.
        InProgress = "IN_PROGRESS" => ("en cours", "in progress"),
        /// A payment exists (authorised, captured or rejected): see `createdPaymentOutput`.
        PaymentCreated = "PAYMENT_CREATED" => ("paiement créé", "payment created"),
        /// The customer cancelled, or the session expired.
        CancelledByConsumer = "CANCELLED_BY_CONSUMER" => ("annulé par le client", "cancelled by the customer"),
    }
}

wire_enum! {
    /// `createdPaymentOutput.paymentStatusCategory`: the outcome of the payment a hosted checkout created.
    pub enum PaymentStatusCategory {
        /// Authorised or captured.
        Successful = "SUCCESSFUL" => ("réussi", "successful"),
        /// Refused.
        Rejected = "REJECTED" => ("refusé", "rejected"),
        /// Not known yet.
        StatusUnknown = "STATUS_UNKNOWN" => ("en attente de résultat", "outcome not known yet"),
    }
}

wire_enum! {
    /// The contract's `statusValue`: `status` of a payment, an operation or a capture.
    pub enum PaymentStatus {
        /// Created, nothing else happened yet.
        Created = "CREATED" => ("créé", "created"),
        /// Cancelled.
        Cancelled = "CANCELLED" => ("annulé", "cancelled"),
        /// Refused.
        Rejected = "REJECTED" => ("refusé", "rejected"),
        /// The capture was refused.
        RejectedCapture = "REJECTED_CAPTURE" => ("encaissement refusé", "capture rejected"),
        /// The customer was redirected (to the gift-card page, 3-D Secure…).
        Redirected = "REDIRECTED" => ("redirigé", "redirected"),
        /// Waiting for the customer to pay.
        PendingPayment = "PENDING_PAYMENT" => ("en attente de paiement", "pending payment"),
        /// Waiting for the merchant to complete it.
        PendingCompletion = "PENDING_COMPLETION" => ("en attente de finalisation", "pending completion"),
        /// Authorised, waiting for capture.
        PendingCapture = "PENDING_CAPTURE" => ("autorisé, à encaisser", "authorised, pending capture"),
        /// Authorisation asked, no answer yet.
        AuthorizationRequested = "AUTHORIZATION_REQUESTED" => ("autorisation demandée", "authorisation requested"),
        /// Capture asked, no answer yet.
        CaptureRequested = "CAPTURE_REQUESTED" => ("encaissement demandé", "capture requested"),
        /// Captured: the money is taken.
        Captured = "CAPTURED" => ("encaissé", "captured"),
        /// Reversed.
        Reversed = "REVERSED" => ("contrepassé", "reversed"),
        /// A refund was asked and is pending.
        RefundRequested = "REFUND_REQUESTED" => ("remboursement demandé", "refund requested"),
        /// Refunded.
        Refunded = "REFUNDED" => ("remboursé", "refunded"),
    }
}

wire_enum! {
    /// `status` of a refund (`refundResponse.status`). The contract types it as `statusValue`; a refund only
    /// ever takes these values, any other is kept as `Unknown`.
    pub enum RefundStatus {
        /// Created, not sent on yet.
        Created = "CREATED" => ("créé", "created"),
        /// Sent to the issuer, pending.
        RefundRequested = "REFUND_REQUESTED" => ("remboursement en cours", "refund pending"),
        /// Done: the money is back on the card.
        Refunded = "REFUNDED" => ("remboursé", "refunded"),
        /// Refused.
        Rejected = "REJECTED" => ("remboursement refusé", "refund refused"),
        /// Cancelled before it was processed.
        Cancelled = "CANCELLED" => ("remboursement annulé", "refund cancelled"),
    }
}

wire_enum! {
    /// The contract's `statusCategoryValue`: a coarse grouping of statuses.
    pub enum StatusCategory {
        /// Created.
        Created = "CREATED" => ("créé", "created"),
        /// Cancelled, rejected or capture rejected.
        Unsuccessful = "UNSUCCESSFUL" => ("échec", "unsuccessful"),
        /// Waiting for the customer.
        PendingPayment = "PENDING_PAYMENT" => ("en attente du client", "waiting for the customer"),
        /// Waiting for the merchant (capture, completion).
        PendingMerchant = "PENDING_MERCHANT" => ("en attente du commerçant", "waiting for the merchant"),
        /// Waiting for the platform or a third party (acquirer, issuer).
        PendingConnectOr3rdParty = "PENDING_CONNECT_OR_3RD_PARTY" => ("en attente de la banque", "waiting for the bank"),
        /// Completed: captured.
        Completed = "COMPLETED" => ("terminé", "completed"),
        /// Reversed.
        Reversed = "REVERSED" => ("contrepassé", "reversed"),
        /// Refunded.
        Refunded = "REFUNDED" => ("remboursé", "refunded"),
    }
}

wire_enum! {
    /// `cardPaymentMethodSpecificInput.authorizationMode`: how the card paying the remainder is authorised.
    pub enum AuthorizationMode {
        /// Authorised, to be captured in full within 7 days.
        FinalAuthorization = "FINAL_AUTHORIZATION" => ("autorisation finale", "final authorisation"),
        /// Pre-authorised, to be captured within 30 days.
        PreAuthorization = "PRE_AUTHORIZATION" => ("pré-autorisation", "pre-authorisation"),
        /// Captured at approval.
        Sale = "SALE" => ("vente (encaissement immédiat)", "sale (captured at once)"),
    }
}

/// The numeric `statusCode` (legacy code reused by the platform).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StatusCode(pub i32);

/// What a `statusCode` means to the till. The codes come from the legacy list the platform still uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusCodeMeaning {
    /// 0: invalid or incomplete.
    Invalid,
    /// 4, 40, 41, 46: stored or waiting for the customer or for authentication.
    Pending,
    /// 5, 50–56: authorised (or the authorisation is being decided); not captured.
    Authorized,
    /// 91, 92, 99: capture being processed or uncertain.
    CapturePending,
    /// 9, 95: captured, the money is taken.
    Captured,
    /// 1, 6, 61, 62, 64, 7, 71, 72, 74, 75: cancelled by the customer, or authorised then cancelled.
    Cancelled,
    /// 63, 73: a cancellation was refused.
    CancellationRefused,
    /// 2, 57, 59, 93, 94: refused by the acquirer or the issuer.
    Rejected,
    /// 81, 82: refund pending or uncertain.
    RefundPending,
    /// 8, 85: refunded.
    Refunded,
    /// 83, 84: refund refused.
    RefundRefused,
    /// A code not in the list.
    Unknown,
}

impl StatusCode {
    /// Captured.
    pub const CAPTURED: StatusCode = StatusCode(9);
    /// Refunded.
    pub const REFUNDED: StatusCode = StatusCode(8);
    /// Refund pending.
    pub const REFUND_PENDING: StatusCode = StatusCode(81);
    /// Authorised.
    pub const AUTHORIZED: StatusCode = StatusCode(5);

    /// The meaning the till gives this code.
    pub fn meaning(self) -> StatusCodeMeaning {
        use StatusCodeMeaning as M;
        match self.0 {
            0 => M::Invalid,
            4 | 40 | 41 | 46 => M::Pending,
            5 | 50 | 51 | 52 | 55 | 56 => M::Authorized,
            91 | 92 | 99 => M::CapturePending,
            9 | 95 => M::Captured,
            1 | 6 | 61 | 62 | 64 | 7 | 71 | 72 | 74 | 75 => M::Cancelled,
            63 | 73 => M::CancellationRefused,
            2 | 57 | 59 | 93 | 94 => M::Rejected,
            81 | 82 => M::RefundPending,
            8 | 85 => M::Refunded,
            83 | 84 => M::RefundRefused,
            _ => M::Unknown,
        }
    }

    /// Whether the code is one of the refund codes (8, 81–85): such an operation is a refund, not a tender.
    pub fn is_refund(self) -> bool {
        matches!(
            self.meaning(),
            StatusCodeMeaning::RefundPending
                | StatusCodeMeaning::Refunded
                | StatusCodeMeaning::RefundRefused
        )
    }
}

impl StatusCodeMeaning {
    /// Whether the state can still change on its own (the till keeps polling while it is not final).
    pub fn is_final(self) -> bool {
        !matches!(
            self,
            StatusCodeMeaning::Pending
                | StatusCodeMeaning::Authorized
                | StatusCodeMeaning::CapturePending
                | StatusCodeMeaning::RefundPending
                | StatusCodeMeaning::Unknown
        )
    }
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Localize for StatusCodeMeaning {
    fn localize(&self, lang: Lang) -> String {
        use StatusCodeMeaning as M;
        let (fr, en) = match self {
            M::Invalid => ("invalide ou incomplet", "invalid or incomplete"),
            M::Pending => ("en attente", "pending"),
            M::Authorized => ("autorisé", "authorised"),
            M::CapturePending => ("encaissement en cours", "capture in progress"),
            M::Captured => ("encaissé", "captured"),
            M::Cancelled => ("annulé", "cancelled"),
            M::CancellationRefused => ("annulation refusée", "cancellation refused"),
            M::Rejected => ("refusé", "rejected"),
            M::RefundPending => ("remboursement en cours", "refund pending"),
            M::Refunded => ("remboursé", "refunded"),
            M::RefundRefused => ("remboursement refusé", "refund refused"),
            M::Unknown => ("code inconnu", "unknown code"),
        };
        lang.pick(fr, en).to_owned()
    }
}

impl Localize for StatusCode {
    fn localize(&self, lang: Lang) -> String {
        format!("{} ({})", self.meaning().localize(lang), self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_round_trip_and_unknown_is_kept() {
        for s in [
            "CREATED",
            "CANCELLED",
            "REJECTED",
            "REJECTED_CAPTURE",
            "REDIRECTED",
            "PENDING_PAYMENT",
            "PENDING_COMPLETION",
            "PENDING_CAPTURE",
            "AUTHORIZATION_REQUESTED",
            "CAPTURE_REQUESTED",
            "CAPTURED",
            "REVERSED",
            "REFUND_REQUESTED",
            "REFUNDED",
        ] {
            let v: PaymentStatus = serde_json::from_value(serde_json::json!(s)).unwrap();
            assert!(v.is_known(), "{s}");
            assert_eq!(serde_json::to_value(&v).unwrap(), serde_json::json!(s));
        }
        let v: PaymentStatus = serde_json::from_str("\"PAID\"").unwrap();
        assert_eq!(v, PaymentStatus::Unknown("PAID".into()));
        assert_eq!(serde_json::to_string(&v).unwrap(), "\"PAID\"");
        assert!(v.localize(Lang::Fr).contains("PAID"));
    }

    #[test]
    fn every_enum_reads_its_values() {
        assert_eq!(
            HostedCheckoutStatus::from_wire("CANCELLED_BY_CONSUMER"),
            HostedCheckoutStatus::CancelledByConsumer
        );
        assert_eq!(
            HostedCheckoutStatus::from_wire("CLIENT_NOT_ELIGIBLE_FOR_SELECTED_PAYMENT_PRODUCT"),
            HostedCheckoutStatus::Unknown(
                "CLIENT_NOT_ELIGIBLE_FOR_SELECTED_PAYMENT_PRODUCT".into()
            )
        );
        assert_eq!(
            PaymentStatusCategory::from_wire("STATUS_UNKNOWN"),
            PaymentStatusCategory::StatusUnknown
        );
        assert_eq!(
            StatusCategory::from_wire("PENDING_CONNECT_OR_3RD_PARTY"),
            StatusCategory::PendingConnectOr3rdParty
        );
        assert_eq!(
            RefundStatus::from_wire("REFUND_REQUESTED"),
            RefundStatus::RefundRequested
        );
        assert_eq!(AuthorizationMode::Sale.as_str(), "SALE");
    }

    #[test]
    fn status_codes_the_till_uses() {
        use StatusCodeMeaning as M;
        for (code, meaning) in [
            (9, M::Captured),
            (8, M::Refunded),
            (81, M::RefundPending),
            (82, M::RefundPending),
            (83, M::RefundRefused),
            (84, M::RefundRefused),
            (1, M::Cancelled),
            (6, M::Cancelled),
            (61, M::Cancelled),
            (2, M::Rejected),
            (93, M::Rejected),
            (5, M::Authorized),
            (91, M::CapturePending),
            (46, M::Pending),
            (1000, M::Unknown),
        ] {
            assert_eq!(StatusCode(code).meaning(), meaning, "{code}");
        }
        assert!(StatusCode(81).is_refund());
        assert!(!StatusCode(9).is_refund());
        assert!(M::Captured.is_final());
        assert!(!M::RefundPending.is_final());
        assert_eq!(StatusCode(9).localize(Lang::Fr), "encaissé (9)");
    }
}
