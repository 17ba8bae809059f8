//! The screenshot tour: with `CADODESK_SCREENSHOT_TOUR=<file>`, the app makes a first sale and walks through
//! every screen by itself, and at each stop writes `shot:<name>` to the file for `scripts/screenshots.sh`,
//! which captures the screen and removes the file. `pay:<url>` asks the script to pay the hosted page as a
//! customer would. The file is written by a named helper thread, so the UI thread never touches the disk.
//!
//! With `CADODESK_BENCH_TOUR=<file>`, the benchmark's tour instead: `measure:idle` on the counter, `measure:open`
//! with a sale waiting for its payment, `measure:continuous` with the same screen repainted at every frame; the
//! script measures the app's CPU time for each, and the tour repaints nothing by itself meanwhile.

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::app::settings::{TextSize, Theme};
use crate::domain::Amount;
use crate::domain::CheckoutState;
use crate::ui::app::{CadodeskApp, Cx, Startup, Tab};
use crate::ui::model::CsvProfile;
use crate::ui::worker::Command;

/// Where the tour stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    WaitReady,
    ExtraPaid,
    ExtraPay,
    ExtraOpen,
    ExtraOpenWait,
    FillSale,
    ShotForm,
    Create,
    ShotQr,
    Pay,
    WaitPaid,
    ShotPaid,
    Transactions,
    ShotTransactions,
    OpenRefund,
    ShotRefundForm,
    ConfirmRefund,
    ShotRefundConfirm,
    SendRefund,
    OpenOrderRefund,
    OrderSplit,
    ShotOrderSplit,
    Refunds,
    ReloadRefunds,
    ShotRefunds,
    ExportOpen,
    ExportChosen,
    ShotExport,
    CounterLight,
    ShotCounterLight,
    CounterDark,
    ShotCounterDark,
    CounterLarge,
    ShotCounterLarge,
    Settings,
    ShotSettings,
    Journal,
    ShotJournal,
    Closings,
    ShotClosingConfirm,
    ConfirmClosing,
    ShotClosings,
    BenchReady,
    BenchSale,
    BenchOpenWait,
    BenchContinuous,
    Finish,
    Done,
}

/// The tour's state, owned by the app.
pub struct Tour {
    step: Step,
    since: Instant,
    requests: mpsc::Sender<String>,
    acks: mpsc::Receiver<()>,
    waiting_ack: bool,
    /// The benchmark's tour: nothing repainted by the tour itself while the script measures.
    bench: bool,
    /// While the script measures: repaint every frame (the reference a continuous spinner would be).
    continuous: bool,
}

impl Tour {
    /// Starts the helper thread that writes the hand-shake file. `bench`: the benchmark's tour (`scripts/bench.sh`),
    /// else the screenshots'. The window is woken when the script has done what was asked.
    pub fn start(file: PathBuf, ctx: egui::Context, bench: bool) -> std::io::Result<Tour> {
        let (req_tx, req_rx) = mpsc::channel::<String>();
        let (ack_tx, ack_rx) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("cadodesk-tour".into())
            .spawn(move || {
                while let Ok(request) = req_rx.recv() {
                    let tmp = file.with_extension("tmp");
                    if let Err(e) =
                        std::fs::write(&tmp, &request).and_then(|()| std::fs::rename(&tmp, &file))
                    {
                        tracing::warn!(error = %e, "tour: cannot write the hand-shake file");
                        return;
                    }
                    // The script removes the file once it has done what was asked.
                    let deadline = Instant::now() + Duration::from_secs(60);
                    while file.exists() && Instant::now() < deadline {
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    if ack_tx.send(()).is_err() {
                        return;
                    }
                    ctx.request_repaint();
                }
            })?;
        Ok(Tour {
            step: if bench {
                Step::BenchReady
            } else {
                Step::WaitReady
            },
            since: Instant::now(),
            requests: req_tx,
            acks: ack_rx,
            waiting_ack: false,
            bench,
            continuous: false,
        })
    }

    fn go(&mut self, step: Step) {
        self.step = step;
        self.since = Instant::now();
    }

    fn settled(&self, ms: u64) -> bool {
        self.since.elapsed() >= Duration::from_millis(ms)
    }

    /// Sends a request to the script; the tour moves on once it is handled.
    fn ask(&mut self, request: String, next: Step) {
        if self.requests.send(request).is_ok() {
            self.waiting_ack = true;
        }
        self.go(next);
    }

    /// Advances the tour by at most one step. Called at the end of each frame.
    pub fn advance(&mut self, app: &mut CadodeskApp, ctx: &egui::Context) {
        if self.waiting_ack {
            if self.acks.try_recv().is_err() {
                if self.continuous {
                    ctx.request_repaint();
                } else if !self.bench {
                    ctx.request_repaint_after(Duration::from_millis(100));
                }
                return;
            }
            self.waiting_ack = false;
            self.continuous = false;
            self.since = Instant::now();
        }
        let settings = app.settings().clone();
        let mut commands = Vec::new();
        let mut cx = Cx::new(settings.lang, &settings, true, &mut commands);
        match self.step {
            Step::WaitReady if *app.startup() == Startup::Ready && self.settled(1000) => {
                self.go(Step::ExtraPaid);
            }
            // Two earlier sales, so the tables are not a single line: one paid by card, one left open.
            Step::ExtraPaid => {
                cx.send(Command::CreateCheckout {
                    amount: const { Amount::literal(2490) },
                    reference: Some("VENTE-0040".into()),
                    email: None,
                });
                self.go(Step::ExtraPay);
            }
            Step::ExtraPay => {
                if let Some(c) = app.cashier.current()
                    && c.reference == "VENTE-0040"
                    && let Some(url) = c.redirect_url.clone()
                {
                    self.ask(format!("paycard:{url}"), Step::ExtraOpen);
                }
            }
            Step::ExtraOpen => {
                cx.send(Command::CreateCheckout {
                    amount: const { Amount::literal(1200) },
                    reference: Some("VENTE-0041".into()),
                    email: None,
                });
                self.go(Step::ExtraOpenWait);
            }
            Step::ExtraOpenWait
                if app
                    .cashier
                    .current()
                    .is_some_and(|c| c.reference == "VENTE-0041") =>
            {
                self.go(Step::FillSale);
            }
            Step::FillSale => {
                app.set_tab(Tab::Cashier);
                app.cashier.new_sale(&mut cx);
                app.cashier.amount = "87,50".into();
                app.cashier.reference = "VENTE-0042".into();
                app.cashier.email = "client@exemple.fr".into();
                self.go(Step::ShotForm);
            }
            Step::ShotForm if self.settled(800) => self.ask("shot:cashier".into(), Step::Create),
            Step::Create => {
                app.cashier.submit(&mut cx);
                self.go(Step::ShotQr);
            }
            Step::ShotQr if app.cashier.current().is_some() && self.settled(1500) => {
                self.ask("shot:cashier-qr".into(), Step::Pay);
            }
            Step::Pay => {
                if let Some(url) = app.cashier.current().and_then(|c| c.redirect_url.clone()) {
                    self.ask(format!("pay:{url}"), Step::WaitPaid);
                }
            }
            Step::WaitPaid => {
                let paid = app
                    .cashier
                    .current()
                    .is_some_and(|c| c.status == CheckoutState::Paid);
                if paid {
                    self.go(Step::ShotPaid);
                } else if self.settled(20_000) {
                    tracing::warn!("tour: the sale was not paid in time");
                    self.go(Step::ShotPaid);
                }
            }
            Step::ShotPaid if self.settled(800) => {
                self.ask("shot:cashier-paid".into(), Step::Transactions)
            }
            Step::Transactions => {
                app.set_tab(Tab::Transactions);
                if let Some(id) = app.cashier.current().map(|c| c.id.clone()) {
                    app.transactions.select(&id, &mut cx);
                }
                self.go(Step::ShotTransactions);
            }
            Step::ShotTransactions if app.transactions.detail().is_some() && self.settled(1500) => {
                self.ask("shot:transactions".into(), Step::OpenRefund);
            }
            Step::OpenRefund => {
                if let Some(d) = app.transactions.detail().cloned()
                    && let Some(t) = d.tenders.first()
                {
                    app.transactions
                        .refund
                        .open_tender(&d, &t.payment_id, app.lang());
                    app.transactions.refund.amount = Amount::from_cents(1000)
                        .map(|a| a.typed(app.lang()))
                        .unwrap_or_default();
                    app.transactions.refund.reason_index = Some(0);
                    app.transactions.refund.reason_text = "taille trop petite".into();
                }
                self.go(Step::ShotRefundForm);
            }
            Step::ShotRefundForm if self.settled(800) => {
                self.ask("shot:refund".into(), Step::ConfirmRefund)
            }
            Step::ConfirmRefund => {
                app.transactions.refund.validate_form(&mut cx);
                self.go(Step::ShotRefundConfirm);
            }
            Step::ShotRefundConfirm if self.settled(800) => {
                self.ask("shot:refund-confirm".into(), Step::SendRefund)
            }
            Step::SendRefund => {
                app.transactions.refund.confirm_shown(&mut cx);
                self.go(Step::OpenOrderRefund);
            }
            // An order-level refund: the till's split, one editable line per card (shown, then cancelled).
            Step::OpenOrderRefund if self.settled(1500) => {
                if let Some(d) = app.transactions.detail().cloned() {
                    app.transactions.refund.open_order(&d, app.lang());
                    app.transactions.refund.amount = "30,00".into();
                    app.transactions.refund.reason_index = Some(0);
                    app.transactions.refund.validate_form(&mut cx);
                }
                self.go(Step::OrderSplit);
            }
            Step::OrderSplit if app.transactions.refund.confirming() || self.settled(5000) => {
                self.go(Step::ShotOrderSplit);
            }
            Step::ShotOrderSplit if self.settled(800) => {
                self.ask("shot:refund-split".into(), Step::Refunds);
            }
            Step::Refunds => {
                app.transactions.refund.close();
                app.set_tab(Tab::Refunds);
                self.go(Step::ReloadRefunds);
            }
            Step::ReloadRefunds if self.settled(3000) => {
                // By now the refund has settled at the platform; reload so the ledger shows it refunded.
                let c = app.refunds.reload_command();
                cx.send(c);
                self.go(Step::ShotRefunds);
            }
            Step::ShotRefunds if self.settled(1000) => {
                self.ask("shot:refunds".into(), Step::ExportOpen)
            }
            // The export through the system's save dialog: the script answers the dialog as a person would (types
            // a name without extension, presses Enter) and screenshots it.
            Step::ExportOpen => {
                app.refunds.open_export(None, CsvProfile::ExcelFr);
                app.refunds.choose_export_file(&mut cx);
                self.ask("savedialog".into(), Step::ExportChosen);
            }
            Step::ExportChosen => {
                if app.refunds.export_path().ends_with("novembre.csv") {
                    app.refunds.start_export(&mut cx);
                    self.go(Step::ShotExport);
                } else if self.settled(15_000) {
                    tracing::warn!("tour: the save dialog gave no file");
                    self.go(Step::ShotExport);
                }
            }
            Step::ShotExport if app.refunds.last_export().is_some() || self.settled(10_000) => {
                self.ask("shot:refunds-export".into(), Step::CounterLight);
            }
            // The counter with the day filled in (three sales, one open, a refund), light then dark.
            Step::CounterLight => {
                app.refunds.close_export();
                app.set_tab(Tab::Cashier);
                app.cashier.new_sale(&mut cx);
                app.cashier.amount = "42,00".into();
                cx.send(Command::SetDisplay {
                    theme: Theme::Light,
                    text_size: TextSize::NORMAL,
                });
                self.go(Step::ShotCounterLight);
            }
            Step::ShotCounterLight
                if app.settings().theme == Theme::Light
                    && app.cashier.today.today().is_some()
                    && self.settled(1500) =>
            {
                self.ask("shot:counter-light".into(), Step::CounterDark);
            }
            Step::CounterDark => {
                cx.send(Command::SetDisplay {
                    theme: Theme::Dark,
                    text_size: TextSize::NORMAL,
                });
                self.go(Step::ShotCounterDark);
            }
            Step::ShotCounterDark if app.settings().theme == Theme::Dark && self.settled(1000) => {
                self.ask("shot:counter-dark".into(), Step::CounterLarge);
            }
            Step::CounterLarge => {
                cx.send(Command::SetDisplay {
                    theme: Theme::Light,
                    text_size: TextSize::from_percent(150).unwrap_or(TextSize::NORMAL),
                });
                self.go(Step::ShotCounterLarge);
            }
            Step::ShotCounterLarge
                if app.settings().text_size.percent() == 150 && self.settled(1000) =>
            {
                self.ask("shot:counter-150".into(), Step::Settings);
            }
            Step::Settings => {
                // Back to the system's theme (light on a bare X server), as a fresh till has it.
                cx.send(Command::SetDisplay {
                    theme: Theme::System,
                    text_size: TextSize::NORMAL,
                });
                app.set_tab(Tab::Settings);
                self.go(Step::ShotSettings);
            }
            Step::ShotSettings if self.settled(800) => {
                self.ask("shot:settings".into(), Step::Journal)
            }
            Step::Journal => {
                app.set_tab(Tab::Journal);
                cx.send(Command::VerifyLedger);
                self.go(Step::ShotJournal);
            }
            Step::ShotJournal if app.journal.verdict().is_some() && self.settled(800) => {
                self.ask("shot:journal".into(), Step::Closings);
            }
            Step::Closings => {
                app.set_tab(Tab::Closings);
                cx.send(Command::PreviewDay);
                self.go(Step::ShotClosingConfirm);
            }
            Step::ShotClosingConfirm if app.closings.preview().is_some() && self.settled(800) => {
                self.ask("shot:closing-confirm".into(), Step::ConfirmClosing);
            }
            Step::ConfirmClosing => {
                cx.send(Command::CloseDay);
                self.go(Step::ShotClosings);
            }
            Step::ShotClosings if !app.closings.rows().is_empty() && self.settled(800) => {
                self.ask("shot:closings".into(), Step::Finish);
            }
            // The benchmark: the app's CPU while idle on the counter, with a sale open (its spinner and QR code), and
            // the same screen repainted at every frame for reference.
            Step::BenchReady if *app.startup() == Startup::Ready && self.settled(3000) => {
                self.ask("measure:idle".into(), Step::BenchSale);
            }
            Step::BenchSale => {
                cx.send(Command::CreateCheckout {
                    amount: const { Amount::literal(1200) },
                    reference: Some("BENCH-0001".into()),
                    email: None,
                });
                self.go(Step::BenchOpenWait);
            }
            Step::BenchOpenWait
                if app
                    .cashier
                    .current()
                    .is_some_and(|c| c.status == CheckoutState::InProgress)
                    && self.settled(3000) =>
            {
                self.ask("measure:open".into(), Step::BenchContinuous);
            }
            Step::BenchContinuous => {
                self.continuous = true;
                ctx.request_repaint();
                self.ask("measure:continuous".into(), Step::Finish);
            }
            Step::Finish => {
                self.ask("done".into(), Step::Done);
            }
            _ => {}
        }
        app.send_commands(commands);
        // The next step is looked at in 100 ms, except while the benchmark's script measures: the tour then draws
        // nothing (it is woken when the script is done).
        if !(self.bench && self.waiting_ack) {
            ctx.request_repaint_after(Duration::from_millis(100));
        }
    }
}
