//! Transactions: every checkout in a virtualised, sortable, filterable table, with a detail panel for the
//! selected one (tenders, refunds, timeline, Worldline ids) from which refunds start.

use chrono::NaiveDate;
use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};

use crate::domain::SaleStatus;
use crate::ui::app::Cx;
use crate::ui::cancel_sale::{CancelSale, cancelled_ui};
use crate::ui::model::{Checkout, CheckoutQuery, CheckoutRow, UiError, local_time};
use crate::ui::refund::RefundDialog;
use crate::ui::text;
use crate::ui::widgets;
use crate::ui::worker::{Command, Event, Origin};

/// Columns the table can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// Creation time.
    Date,
    /// Reference.
    Reference,
    /// Sale amount.
    Amount,
    /// Status.
    Status,
    /// Paid.
    Paid,
    /// Refunded.
    Refunded,
    /// Still refundable.
    Refundable,
    /// Operator.
    Operator,
}

/// The Transactions screen's state.
pub struct TransactionsPanel {
    /// "From" date as typed (YYYY-MM-DD).
    pub from: String,
    /// "To" date as typed.
    pub to: String,
    /// Status filter: what the sale is now (refunded in part or in full among them).
    pub status: Option<SaleStatus>,
    /// Search text.
    pub search: String,
    date_error: Option<String>,
    rows: Vec<CheckoutRow>,
    /// Display order: indexes into `rows`.
    order: Vec<usize>,
    sort: SortKey,
    descending: bool,
    loading: bool,
    list_error: Option<UiError>,
    selected: Option<String>,
    detail: Option<Checkout>,
    detail_error: Option<UiError>,
    /// The last receipt handed out: its number, copy and where it went.
    receipt_done: Option<(String, u32, String)>,
    /// The refund dialog, opened from the detail panel.
    pub refund: RefundDialog,
    /// "Annuler la vente", in the detail panel.
    pub cancel: CancelSale,
}

impl Default for TransactionsPanel {
    fn default() -> Self {
        TransactionsPanel {
            from: String::new(),
            to: String::new(),
            status: None,
            search: String::new(),
            date_error: None,
            rows: Vec::new(),
            order: Vec::new(),
            sort: SortKey::Date,
            descending: true,
            loading: false,
            list_error: None,
            selected: None,
            detail: None,
            detail_error: None,
            receipt_done: None,
            refund: RefundDialog::default(),
            cancel: CancelSale::default(),
        }
    }
}

fn parse_date(s: &str) -> Result<Option<NaiveDate>, ()> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
        .map(Some)
        .map_err(|_| ())
}

impl TransactionsPanel {
    /// Replaces the rows (the worker's answer, or a benchmark's data set).
    pub fn set_rows(&mut self, rows: Vec<CheckoutRow>) {
        self.rows = rows;
        self.loading = false;
        self.resort();
    }

    /// The rows loaded.
    pub fn rows(&self) -> &[CheckoutRow] {
        &self.rows
    }

    /// The rows shown, in display order: those the status filter keeps.
    pub fn shown(&self) -> impl Iterator<Item = &CheckoutRow> {
        self.order.iter().filter_map(|&i| self.rows.get(i))
    }

    /// Is a list being loaded?
    pub fn loading(&self) -> bool {
        self.loading
    }

    /// The checkout shown in the detail panel.
    pub fn detail(&self) -> Option<&Checkout> {
        self.detail.as_ref()
    }

    /// Selects a checkout and asks for its detail.
    pub fn select(&mut self, id: &str, cx: &mut Cx<'_>) {
        self.selected = Some(id.to_string());
        self.detail_error = None;
        if self.detail.as_ref().is_none_or(|d| d.id != id) {
            self.detail = None;
        }
        cx.send(Command::LoadCheckout { id: id.to_string() });
    }

    /// The command that loads the table with the current filters (dates already checked).
    pub fn reload_command(&mut self) -> Command {
        self.loading = true;
        Command::LoadCheckouts(self.query())
    }

    fn query(&self) -> CheckoutQuery {
        CheckoutQuery {
            from: parse_date(&self.from).ok().flatten(),
            to: parse_date(&self.to).ok().flatten(),
            status: self.status.and_then(SaleStatus::checkout_state),
            text: {
                let t = self.search.trim();
                (!t.is_empty()).then(|| t.to_string())
            },
        }
    }

    /// Takes the worker's news.
    pub fn on_event(&mut self, event: &Event, commands: &mut Vec<Command>) {
        self.refund.on_event(event, commands);
        self.cancel.on_event(event);
        match event {
            Event::Checkouts(rows) => {
                self.list_error = None;
                self.set_rows(rows.clone());
            }
            Event::CheckoutUpdated(checkout) => {
                if self.selected.as_deref() == Some(checkout.id.as_str()) {
                    self.detail = Some((**checkout).clone());
                    self.detail_error = None;
                }
                self.refund.checkout_updated(checkout);
                if let Some(row) = self.rows.iter_mut().find(|r| r.id == checkout.id) {
                    row.status = checkout.status;
                    row.paid = checkout.paid();
                    row.refunded = checkout.refunded();
                    row.refundable = checkout.refundable();
                    // A sale refunded since the list was loaded may leave the status filter.
                    self.resort();
                }
            }
            Event::CheckoutCreated(_) => {
                // A new sale belongs in the table; reload quietly so it is there when staff look.
                commands.push(self.reload_command());
            }
            Event::RefundRecorded(_) => commands.push(self.reload_command()),
            Event::Failed { origin, error } => match origin {
                Origin::List => {
                    self.loading = false;
                    self.list_error = Some(error.clone());
                }
                Origin::Detail | Origin::Receipt => self.detail_error = Some(error.clone()),
                _ => {}
            },
            Event::ReceiptDone { document, copy, to } => {
                self.detail_error = None;
                self.receipt_done = Some((document.clone(), *copy, to.clone()));
            }
            _ => {}
        }
    }

    fn resort(&mut self) {
        let rows = &self.rows;
        // The ledger narrows the list to a checkout state; what the refunds made of each sale is judged here.
        let status = self.status;
        let mut order: Vec<usize> = (0..rows.len())
            .filter(|&i| status.is_none_or(|s| rows[i].sale_status() == s))
            .collect();
        let key = self.sort;
        order.sort_by(|&a, &b| {
            let (a, b) = (&rows[a], &rows[b]);
            match key {
                SortKey::Date => a.created_at.cmp(&b.created_at),
                SortKey::Reference => a.reference.cmp(&b.reference),
                SortKey::Amount => a.amount.cmp(&b.amount),
                SortKey::Status => {
                    let rank = |s: SaleStatus| SaleStatus::ALL.iter().position(|t| *t == s);
                    rank(a.sale_status()).cmp(&rank(b.sale_status()))
                }
                SortKey::Paid => a.paid.cmp(&b.paid),
                SortKey::Refunded => a.refunded.cmp(&b.refunded),
                SortKey::Refundable => a.refundable.cmp(&b.refundable),
                SortKey::Operator => a.operator.cmp(&b.operator),
            }
            .then_with(|| a.id.cmp(&b.id))
        });
        if self.descending {
            order.reverse();
        }
        self.order = order;
    }

    fn sort_by(&mut self, key: SortKey) {
        if self.sort == key {
            self.descending = !self.descending;
        } else {
            self.sort = key;
            self.descending = false;
        }
        self.resort();
    }

    /// Draws the screen.
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>) {
        let lang = cx.lang;
        self.filters_ui(ui, cx);
        if let Some(e) = &self.list_error {
            widgets::error_ui(ui, lang, e, "list");
        }
        ui.separator();
        egui::Panel::right("transaction-detail")
            .resizable(true)
            .default_size(430.0)
            .min_size(320.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("detail-scroll")
                    .show(ui, |ui| self.detail_ui(ui, cx));
            });
        self.table_ui(ui, cx);
        self.refund.ui(ui, cx);
    }

    fn filters_ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>) {
        let lang = cx.lang;
        let mut apply = false;
        ui.horizontal_wrapped(|ui| {
            apply |= widgets::date_range_ui(ui, lang, &mut self.from, &mut self.to, "transactions");
            let before = self.status;
            let l = ui.label(text::STATUS.get(lang));
            egui::ComboBox::from_id_salt("status-filter")
                .selected_text(
                    self.status
                        .map_or(text::ANY_STATUS.get(lang), |s| s.label(lang)),
                )
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.status, None, text::ANY_STATUS.get(lang));
                    for s in SaleStatus::ALL {
                        ui.selectable_value(&mut self.status, Some(s), s.label(lang));
                    }
                })
                .response
                .labelled_by(l.id);
            apply |= before != self.status;
            let l = ui.label(text::SEARCH.get(lang));
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut self.search)
                        .id_salt("transactions-search")
                        .hint_text(text::SEARCH_HINT.get(lang))
                        .desired_width(220.0),
                )
                .labelled_by(l.id);
            apply |= r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            apply |= ui.button(text::APPLY.get(lang)).clicked();
            if ui.button(text::REFRESH.get(lang)).clicked() {
                apply = true;
            }
            if self.loading {
                widgets::busy_ui(ui);
            }
            ui.label(format!("{} {}", self.order.len(), text::ROWS.get(lang)));
        });
        // Once shown, the error goes as soon as both dates read as dates.
        if self.date_error.is_some()
            && parse_date(&self.from).is_ok()
            && parse_date(&self.to).is_ok()
        {
            self.date_error = None;
        }
        if let Some(e) = &self.date_error {
            widgets::field_error_ui(ui, e);
        }
        if apply {
            if parse_date(&self.from).is_err() || parse_date(&self.to).is_err() {
                self.date_error = Some(text::DATE_INVALID.get(lang).to_string());
            } else {
                self.date_error = None;
                let command = self.reload_command();
                cx.send(command);
            }
        }
    }

    fn table_ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>) {
        let lang = cx.lang;
        let row_height = 24.0;
        let mut clicked_sort = None;
        let mut clicked_row = None;
        let headers = [
            (text::COL_DATE, SortKey::Date),
            (text::COL_REFERENCE, SortKey::Reference),
            (text::COL_AMOUNT, SortKey::Amount),
            (text::COL_STATUS, SortKey::Status),
            (text::COL_PAID, SortKey::Paid),
            (text::COL_REFUNDED, SortKey::Refunded),
            (text::COL_REFUNDABLE, SortKey::Refundable),
            (text::COL_OPERATOR, SortKey::Operator),
        ];
        let right = egui::Layout::right_to_left(egui::Align::Center);
        TableBuilder::new(ui)
            .id_salt("transactions-table")
            .striped(true)
            .sense(egui::Sense::click())
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .column(Column::exact(120.0))
            .column(Column::initial(130.0).at_least(80.0).clip(true))
            .column(Column::exact(90.0))
            // Wide enough for "Remboursé en partie".
            .column(Column::exact(140.0))
            .column(Column::exact(90.0))
            .column(Column::exact(90.0))
            .column(Column::exact(100.0))
            .column(Column::remainder().at_least(60.0).clip(true))
            .header(row_height, |mut header| {
                for (title, key) in headers {
                    header.col(|ui| {
                        let label = RichText::new(title.get(lang)).strong();
                        if ui.add(egui::Button::new(label).frame(false)).clicked() {
                            clicked_sort = Some(key);
                        }
                        if self.sort == key {
                            ui.label(if self.descending { "v" } else { "^" });
                        }
                    });
                }
            })
            .body(|body| {
                body.rows(row_height, self.order.len(), |mut row| {
                    let Some(r) = self.order.get(row.index()).and_then(|&i| self.rows.get(i))
                    else {
                        return;
                    };
                    let selected = self.selected.as_deref() == Some(r.id.as_str());
                    row.set_selected(selected);
                    row.col(|ui| {
                        ui.label(local_time(r.created_at));
                    });
                    row.col(|ui| {
                        if ui.selectable_label(selected, &r.reference).clicked() {
                            clicked_row = Some(r.id.clone());
                        }
                    });
                    row.col(|ui| {
                        ui.with_layout(right, |ui| ui.label(r.amount.display(lang)));
                    });
                    row.col(|ui| {
                        ui.label(r.sale_status().label(lang));
                    });
                    row.col(|ui| {
                        ui.with_layout(right, |ui| ui.label(r.paid.display(lang)));
                    });
                    row.col(|ui| {
                        ui.with_layout(right, |ui| ui.label(r.refunded.display(lang)));
                    });
                    row.col(|ui| {
                        ui.with_layout(right, |ui| ui.label(r.refundable.display(lang)));
                    });
                    row.col(|ui| {
                        ui.label(&r.operator);
                    });
                    if row.response().clicked() {
                        clicked_row = Some(r.id.clone());
                    }
                });
            });
        if let Some(key) = clicked_sort {
            self.sort_by(key);
        }
        if let Some(id) = clicked_row {
            self.select(&id, cx);
        }
    }

    fn detail_ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>) {
        let lang = cx.lang;
        ui.heading(text::DETAIL.get(lang));
        if let Some(e) = &self.detail_error {
            widgets::error_ui(ui, lang, e, "detail");
        }
        let Some(c) = self.detail.clone() else {
            if self.selected.is_some() && self.detail_error.is_none() {
                ui.horizontal(|ui| {
                    widgets::busy_ui(ui);
                    ui.label(text::LOADING.get(lang));
                });
            } else {
                ui.label(text::SELECT_A_ROW.get(lang));
            }
            return;
        };
        ui.label(
            RichText::new(format!("{}  ·  {}", c.reference, c.amount.display(lang)))
                .size(18.0)
                .strong(),
        );
        ui.label(format!(
            "{} · {} · {}",
            local_time(c.created_at),
            c.sale_status().label(lang),
            c.operator
        ));
        if let Some(email) = &c.email {
            ui.label(lang.labelled(text::EMAIL_SHORT.get(lang), email));
        }
        if cancelled_ui(ui, cx, &c, true) {
            self.refund.open_order(&c, lang);
        }
        ui.horizontal(|ui| {
            if ui.button(text::REFRESH.get(lang)).clicked() {
                cx.send(Command::Refresh { id: c.id.clone() });
            }
            if c.tenders.len() > 1
                && c.refundable() > crate::domain::Amount::ZERO
                && ui.button(text::REFUND_ORDER.get(lang)).clicked()
            {
                self.refund.open_order(&c, lang);
            }
        });
        // The receipts on a line of their own: the detail panel stays as narrow as it was.
        ui.horizontal(|ui| {
            if c.status == crate::domain::CheckoutState::Paid {
                let sale = || crate::till::ReceiptTarget::Sale(c.reference.clone());
                if ui.button(text::RECEIPT.get(lang)).clicked() {
                    cx.send(Command::Receipt {
                        target: sale(),
                        duplicate: false,
                    });
                }
                if ui.button(text::RECEIPT_COPY.get(lang)).clicked() {
                    cx.send(Command::Receipt {
                        target: sale(),
                        duplicate: true,
                    });
                }
            }
        });
        if let Some((document, copy, to)) = &self.receipt_done {
            let copy = if *copy > 0 {
                format!(" (DUPLICATA {copy})")
            } else {
                String::new()
            };
            ui.colored_label(
                widgets::OK_GREEN,
                format!("{} : {document}{copy}, {to}", text::RECEIPT_DONE.get(lang)),
            );
        }
        self.cancel.ui(ui, cx, &c);
        ui.add_space(6.0);
        ui.label(RichText::new(text::TENDERS.get(lang)).strong());
        if c.tenders.is_empty() {
            ui.label(text::NO_TENDER_YET.get(lang));
        }
        for t in &c.tenders {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.set_width(ui.available_width());
                ui.horizontal(|ui| {
                    ui.label(RichText::new(t.label()).strong());
                    ui.label(t.amount.display(lang));
                });
                ui.label(format!(
                    "{} {} · {} {} · {} {}",
                    text::COL_REFUNDED.get(lang),
                    t.refunded.display(lang),
                    text::RS_PENDING.get(lang),
                    t.pending.display(lang),
                    text::STILL_REFUNDABLE.get(lang),
                    t.refundable.display(lang),
                ));
                ui.horizontal(|ui| {
                    ui.label(RichText::new(&t.payment_id).monospace().small());
                    if ui.small_button(text::COPY.get(lang)).clicked() {
                        ui.ctx().copy_text(t.payment_id.clone());
                    }
                    if t.refundable > crate::domain::Amount::ZERO
                        && ui
                            .add(egui::Button::new(text::REFUND.get(lang)))
                            .on_hover_text(t.label())
                            .clicked()
                    {
                        self.refund.open_tender(&c, &t.payment_id, lang);
                    }
                });
            });
        }
        if !c.refunds.is_empty() {
            ui.add_space(6.0);
            ui.label(RichText::new(text::REFUNDS_OF_SALE.get(lang)).strong());
            // One block per refund, its text wrapped to the panel's width (a long reason must not widen the panel
            // over the table).
            for r in &c.refunds {
                ui.horizontal_wrapped(|ui| {
                    ui.label(local_time(r.created_at));
                    ui.label(RichText::new(r.amount.display(lang)).strong());
                    let status = r.status.label(lang);
                    let color = match r.status {
                        crate::domain::RefundState::Refunded => widgets::OK_GREEN,
                        crate::domain::RefundState::Declined => widgets::ERROR_RED,
                        _ => egui::Color32::from_rgb(200, 130, 0),
                    };
                    ui.colored_label(color, status);
                });
                let tender = c
                    .tender(&r.payment_id)
                    .map(|t| t.label())
                    .unwrap_or_default();
                let mut who = format!("{tender} · {} · {}", r.reason, r.operator);
                if r.external {
                    who.push_str(&format!(" ({})", text::EXTERNAL.get(lang)));
                }
                ui.add(egui::Label::new(RichText::new(who).weak()).wrap());
                ui.horizontal(|ui| {
                    let note = crate::till::ReceiptTarget::Refund(r.number);
                    if ui.small_button(text::RECEIPT.get(lang)).clicked() {
                        cx.send(Command::Receipt {
                            target: note.clone(),
                            duplicate: false,
                        });
                    }
                    if ui.small_button(text::RECEIPT_COPY.get(lang)).clicked() {
                        cx.send(Command::Receipt {
                            target: note,
                            duplicate: true,
                        });
                    }
                });
                ui.add_space(2.0);
            }
        }
        ui.add_space(6.0);
        egui::CollapsingHeader::new(text::TIMELINE.get(lang))
            .id_salt("timeline")
            .default_open(true)
            .show(ui, |ui| {
                for e in &c.timeline {
                    ui.horizontal_wrapped(|ui| {
                        ui.label(RichText::new(local_time(e.at)).small());
                        ui.label(e.what(lang));
                    });
                }
            });
        egui::CollapsingHeader::new(text::WORLDLINE_IDS.get(lang))
            .id_salt("worldline-ids")
            .default_open(true)
            .show(ui, |ui| {
                widgets::copyable_ui(ui, lang, text::CHECKOUT_ID.get(lang), &c.id);
                for t in &c.tenders {
                    widgets::copyable_ui(ui, lang, text::PAYMENT_ID.get(lang), &t.payment_id);
                }
                for r in &c.refunds {
                    if let Some(id) = &r.refund_id {
                        widgets::copyable_ui(ui, lang, text::REFUND_ID.get(lang), id);
                    }
                }
            });
    }
}
