//! A journal event in one French and one English sentence: the checkout's story, the journal screen.

use crate::domain::{Amount, TenderKind};
use crate::i18n::Lang;
use crate::ledger::{Event, PinOutcome};

/// An event's amount for a sentence; cents that are not an amount are shown as they are, never as zero.
fn money(c: i64, lang: Lang) -> String {
    match Amount::from_cents(c) {
        Some(a) => a.display(lang),
        None => lang
            .pick(
                "montant illisible ({c} centimes)",
                "unreadable amount ({c} cents)",
            )
            .replace("{c}", &c.to_string()),
    }
}

fn short(hex: &str) -> &str {
    hex.get(..16).unwrap_or(hex)
}

/// A journal event in a sentence, French and English.
pub fn describe(ev: &Event) -> (String, String) {
    match ev {
        Event::CheckoutRequested {
            amount_cents,
            merchant_reference,
            ..
        } => (
            format!(
                "Commande {merchant_reference} de {} demandée",
                money(*amount_cents, Lang::Fr)
            ),
            format!(
                "Checkout {merchant_reference} for {} requested",
                money(*amount_cents, Lang::En)
            ),
        ),
        Event::CheckoutCreated {
            hosted_checkout_id, ..
        } => (
            format!("Page de paiement créée ({hosted_checkout_id})"),
            format!("Payment page created ({hosted_checkout_id})"),
        ),
        Event::CheckoutFailed { failure, .. } => (
            format!("Création refusée : {failure}"),
            format!("Creation failed: {failure}"),
        ),
        Event::CheckoutStatusSeen {
            state,
            platform_status,
            ..
        } => {
            let s = state;
            (
                format!("État : {} ({platform_status})", s.label(Lang::Fr)),
                format!("State: {} ({platform_status})", s.code()),
            )
        }
        Event::TenderSeen {
            payment_id,
            product_id,
            captured_cents,
            status,
            ..
        } => {
            let kind = TenderKind::from_product(*product_id);
            (
                format!(
                    "{} {payment_id} : {status}, encaissé {}",
                    kind.label(Lang::Fr),
                    money(*captured_cents, Lang::Fr)
                ),
                format!(
                    "{} {payment_id}: {status}, captured {}",
                    kind.label(Lang::En),
                    money(*captured_cents, Lang::En)
                ),
            )
        }
        Event::RefundRequested {
            number,
            amount_cents,
            payment_id,
            reason,
            ..
        } => (
            format!(
                "Remboursement n°{number} de {} demandé sur {payment_id} ({reason})",
                money(*amount_cents, Lang::Fr)
            ),
            format!(
                "Refund n°{number} of {} requested on {payment_id} ({reason})",
                money(*amount_cents, Lang::En)
            ),
        ),
        Event::RefundAnswered {
            state,
            refund_id,
            failure,
            ..
        } => {
            let s = state;
            let id = refund_id.as_deref().unwrap_or("—");
            let why = failure
                .as_deref()
                .map(|f| format!(" : {f}"))
                .unwrap_or_default();
            let why_en = failure
                .as_deref()
                .map(|f| format!(": {f}"))
                .unwrap_or_default();
            (
                format!("Remboursement {id} : {}{why}", s.label(Lang::Fr)),
                format!("Refund {id}: {}{why_en}", s.code()),
            )
        }
        Event::RefundImported {
            refund_id,
            amount_cents,
            ..
        } => (
            format!(
                "Remboursement externe {refund_id} de {} importé",
                money(*amount_cents, Lang::Fr)
            ),
            format!(
                "External refund {refund_id} of {} imported",
                money(*amount_cents, Lang::En)
            ),
        ),
        Event::RefundCorrected {
            refund_id,
            previous_state,
            state,
            ..
        } => {
            let id = refund_id.as_deref().unwrap_or("—");
            let (before, s) = (previous_state, state);
            (
                format!(
                    "Remboursement {id} corrigé : {} → {} (vu sur la plateforme)",
                    before.label(Lang::Fr),
                    s.label(Lang::Fr)
                ),
                format!(
                    "Refund {id} corrected: {} → {} (seen on the platform)",
                    before.code(),
                    s.code()
                ),
            )
        }
        Event::CheckoutAbandoned { reason, .. } => (
            format!("Vente annulée à la caisse : {reason} (sa page n'est plus proposée)"),
            format!("Sale cancelled at the till: {reason} (its page is no longer offered)"),
        ),
        Event::RefundClosed { reason, .. } => (
            format!("Demande de remboursement close par l'opérateur : {reason}"),
            format!("Refund intent closed by the operator: {reason}"),
        ),
        Event::ExportMade { from, to, rows, .. } => (
            format!("Export du {from} au {to} ({rows} lignes)"),
            format!("Export {from} to {to} ({rows} rows)"),
        ),
        Event::ReconcileDone { from, to, .. } => (
            format!("Rapprochement du {from} au {to}"),
            format!("Reconciliation {from} to {to}"),
        ),
        Event::SettingChanged { key, .. } => (
            format!("Réglage modifié : {key}"),
            format!("Setting changed: {key}"),
        ),
        Event::TillIdentified { code, shop, .. } => (
            format!(
                "Caisse {code}{}",
                shop.as_deref()
                    .map(|s| format!(" ({s})"))
                    .unwrap_or_default()
            ),
            format!(
                "Till {code}{}",
                shop.as_deref()
                    .map(|s| format!(" ({s})"))
                    .unwrap_or_default()
            ),
        ),
        Event::ClosingMade { closing } => {
            let (fr, en) = match closing.kind {
                crate::domain::closing::ClosingKind::Day => ("journalière", "daily"),
                crate::domain::closing::ClosingKind::Month => ("mensuelle", "monthly"),
                crate::domain::closing::ClosingKind::Year => ("annuelle", "yearly"),
            };
            let total =
                Amount::from_cents(closing.period_total_cents.abs()).unwrap_or(Amount::ZERO);
            let sign = if closing.period_total_cents < 0 {
                "-"
            } else {
                ""
            };
            (
                format!(
                    "Clôture {fr} n°{} ({}) : {sign}{}",
                    closing.number,
                    closing.label,
                    total.fr()
                ),
                format!(
                    "Closing {en} no. {} ({}): {sign}{}",
                    closing.number,
                    closing.label,
                    total.en()
                ),
            )
        }
        Event::AppStarted {
            version,
            previous_stop_clean,
        } => {
            let (fr, en) = if *previous_stop_clean {
                ("", "")
            } else {
                (
                    " (l'arrêt précédent n'a pas été propre)",
                    " (the previous stop was not clean)",
                )
            };
            (
                format!("Démarrage de cadodesk {version}{fr}"),
                format!("cadodesk {version} started{en}"),
            )
        }
        Event::AppStopped { version } => (
            format!("Arrêt de cadodesk {version}"),
            format!("cadodesk {version} stopped"),
        ),
        Event::IntegrityChecked {
            entries,
            ok,
            problem,
        } => {
            let problem = problem.as_deref().unwrap_or_default();
            if *ok {
                (
                    format!("Contrôle d'intégrité : {entries} écritures, intactes"),
                    format!("Integrity check: {entries} entries, intact"),
                )
            } else {
                (
                    format!("Contrôle d'intégrité : ÉCHEC ({problem})"),
                    format!("Integrity check: FAILED ({problem})"),
                )
            }
        }
        Event::ForeignTenderSeen {
            till,
            merchant_reference,
            payment_id,
            ..
        } => (
            format!(
                "Vente {merchant_reference} de la caisse {till} reprise pour rembourser {payment_id}"
            ),
            format!("Sale {merchant_reference} of till {till} taken in to refund {payment_id}"),
        ),
        Event::CentralAcknowledged { seq, .. } => (
            format!("Serveur central : écritures reçues jusqu'à la n°{seq}"),
            format!("Central ledger: entries received up to no. {seq}"),
        ),
        Event::ReceiptPrinted {
            document,
            receipt_kind,
            copy,
            format,
            to,
            ..
        } => {
            let (fr, en) = if receipt_kind == "refund" {
                ("Note de remboursement", "Refund note")
            } else {
                ("Ticket", "Receipt")
            };
            let (fr_copy, en_copy) = if *copy == 0 {
                (String::new(), String::new())
            } else {
                (format!(" (duplicata {copy})"), format!(" (copy {copy})"))
            };
            (
                format!("{fr} n° {document}{fr_copy} imprimé ({format}, {to})"),
                format!("{en} no. {document}{en_copy} printed ({format}, {to})"),
            )
        }
        Event::ArchiveMade {
            from, to, closings, ..
        } => (
            format!("Archive du {from} au {to} ({closings} clôtures)"),
            format!("Archive {from} to {to} ({closings} closings)"),
        ),
        Event::BackupMade { file, last_seq, .. } => (
            format!("Sauvegarde du journal vérifiée : {file} (jusqu'à l'écriture n°{last_seq})"),
            format!("Ledger backup checked: {file} (up to entry no. {last_seq})"),
        ),
        Event::JournalKey { public_key, home } => (
            format!(
                "Clé de scellement du journal : {} ({home})",
                short(public_key)
            ),
            format!("Journal sealing key: {} ({home})", short(public_key)),
        ),
        Event::JournalKeyRotated {
            public_key,
            endorsement,
            ..
        } => {
            let (fr, en) = if endorsement.is_some() {
                ("signée par la clé précédente", "signed by the previous key")
            } else {
                (
                    "SANS la signature de la clé précédente",
                    "WITHOUT the previous key's signature",
                )
            };
            (
                format!("Nouvelle clé de scellement {} ({fr})", short(public_key)),
                format!("New sealing key {} ({en})", short(public_key)),
            )
        }
        Event::ManagerPin {
            action, outcome, ..
        } => {
            let (fr_action, en_action) = match action.as_str() {
                "refund" => ("un remboursement", "a refund"),
                "refund_close" => ("la clôture d'un remboursement", "closing a refund"),
                _ => ("un changement du code PIN", "a PIN change"),
            };
            let (fr, en) = match outcome {
                PinOutcome::Accepted => ("donné", "given"),
                PinOutcome::Wrong => ("incorrect", "wrong"),
                PinOutcome::Missing => ("manquant", "missing"),
                PinOutcome::Locked => ("bloqué", "locked"),
            };
            (
                format!("Code responsable {fr} pour {fr_action}"),
                format!("Manager PIN {en} for {en_action}"),
            )
        }
    }
}
