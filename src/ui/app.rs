//! The app: the top bar with the tabs, the panels, and the traffic with the worker.

use std::collections::VecDeque;

use egui::{RichText, Ui};

use crate::app::settings::{Environment, Settings};
use crate::i18n::Lang;
use crate::ui::cashier::CashierPanel;
use crate::ui::closings::ClosingsPanel;
use crate::ui::journal::JournalPanel;
use crate::ui::model::{KeychainState, UiError};
use crate::ui::refunds::RefundsPanel;
use crate::ui::settings::SettingsPanel;
use crate::ui::text;
use crate::ui::tour::Tour;
use crate::ui::transactions::TransactionsPanel;
use crate::ui::widgets;
use crate::ui::worker::{Command, Event, SendError, WorkerHandle};

/// The screens, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tab {
    /// Caisse: the counter.
    Cashier,
    /// Transactions.
    Transactions,
    /// Remboursements.
    Refunds,
    /// Réglages.
    Settings,
    /// Journal.
    Journal,
    /// Clôtures.
    Closings,
    /// Toutes les caisses (a till with a central ledger).
    AllTills,
}

impl Tab {
    /// Every tab, in order.
    pub const ALL: [Tab; 7] = [
        Tab::Cashier,
        Tab::Transactions,
        Tab::Refunds,
        Tab::Closings,
        Tab::AllTills,
        Tab::Settings,
        Tab::Journal,
    ];

    /// The tab's title.
    pub fn title(self) -> text::Tx {
        match self {
            Tab::Cashier => text::TAB_CASHIER,
            Tab::Transactions => text::TAB_TRANSACTIONS,
            Tab::Refunds => text::TAB_REFUNDS,
            Tab::Settings => text::TAB_SETTINGS,
            Tab::Journal => text::TAB_JOURNAL,
            Tab::Closings => text::TAB_CLOSINGS,
            Tab::AllTills => text::TAB_ALL_TILLS,
        }
    }

    /// Reads a tab name (`cashier`, `transactions`, `refunds`, `settings`, `journal`).
    pub fn from_name(name: &str) -> Option<Tab> {
        match name.trim().to_ascii_lowercase().as_str() {
            "cashier" | "counter" | "caisse" | "encaisser" => Some(Tab::Cashier),
            "transactions" => Some(Tab::Transactions),
            "refunds" | "remboursements" => Some(Tab::Refunds),
            "settings" | "reglages" | "réglages" => Some(Tab::Settings),
            "journal" => Some(Tab::Journal),
            "closings" | "clotures" | "clôtures" => Some(Tab::Closings),
            _ => None,
        }
    }

    /// The file name stem used for screenshots.
    pub fn name(self) -> &'static str {
        match self {
            Tab::Cashier => "cashier",
            Tab::Transactions => "transactions",
            Tab::Refunds => "refunds",
            Tab::Settings => "settings",
            Tab::Journal => "journal",
            Tab::Closings => "closings",
            Tab::AllTills => "all-tills",
        }
    }
}

/// Whether the till is open yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Startup {
    /// The worker is starting the sandbox and opening the ledger.
    Starting,
    /// Ready.
    Ready,
    /// It could not.
    Failed(UiError),
}

/// What every panel gets while it draws: the language, the settings, and a place to put commands.
pub struct Cx<'a> {
    /// Language of the texts.
    pub lang: Lang,
    /// Current settings (PIN rules, operator…).
    pub settings: &'a Settings,
    /// The till is open.
    pub ready: bool,
    commands: &'a mut Vec<Command>,
}

impl<'a> Cx<'a> {
    pub(crate) fn new(
        lang: Lang,
        settings: &'a Settings,
        ready: bool,
        commands: &'a mut Vec<Command>,
    ) -> Cx<'a> {
        Cx {
            lang,
            settings,
            ready,
            commands,
        }
    }

    /// Queues a command for the worker; it leaves after the frame is laid out.
    pub fn send(&mut self, command: Command) {
        self.commands.push(command);
    }
}

/// The whole app's state. Build it with a worker from [`crate::ui::worker::start`] (the window and the tests
/// do the same), then call [`CadodeskApp::frame_ui`] once per frame.
pub struct CadodeskApp {
    worker: WorkerHandle,
    /// Commands the worker's queue could not take yet; sent first next frame.
    backlog: VecDeque<Command>,
    startup: Startup,
    /// Why settling the last run's unfinished work failed at start, if it did.
    resume_error: Option<UiError>,
    worker_gone: bool,
    settings: Settings,
    keychain: KeychainState,
    sandbox_url: Option<String>,
    /// Where the till stands with its central ledger, when it has one.
    central: Option<crate::app::centre::CentralState>,
    tab: Tab,
    /// The cashier screen.
    pub cashier: CashierPanel,
    /// The transactions screen.
    pub transactions: TransactionsPanel,
    /// The refund ledger screen.
    pub refunds: RefundsPanel,
    /// The settings screen.
    pub settings_panel: SettingsPanel,
    /// The journal screen.
    pub journal: JournalPanel,
    /// The closings screen.
    pub closings: ClosingsPanel,
    /// Every till, read from the central ledger.
    pub all_tills: crate::ui::all_tills::AllTillsPanel,
    tour: Option<Tour>,
    styled: bool,
    /// The theme and text size applied to the window.
    display: Option<crate::ui::look::Applied>,
}

impl CadodeskApp {
    /// A fresh app talking to this worker.
    pub fn new(worker: WorkerHandle) -> CadodeskApp {
        CadodeskApp {
            worker,
            backlog: VecDeque::new(),
            startup: Startup::Starting,
            resume_error: None,
            worker_gone: false,
            settings: Settings::default(),
            keychain: KeychainState::Unknown,
            sandbox_url: None,
            central: None,
            tab: Tab::Cashier,
            cashier: CashierPanel::default(),
            transactions: TransactionsPanel::default(),
            refunds: RefundsPanel::default(),
            settings_panel: SettingsPanel::default(),
            journal: JournalPanel::default(),
            closings: ClosingsPanel::default(),
            all_tills: Default::default(),
            tour: None,
            styled: false,
            display: None,
        }
    }

    /// The tab shown.
    pub fn tab(&self) -> Tab {
        self.tab
    }

    /// Shows a tab (and loads what it needs).
    pub fn set_tab(&mut self, tab: Tab) {
        if self.tab != tab {
            self.tab = tab;
            self.on_tab_opened();
        }
    }

    /// The language in use.
    pub fn lang(&self) -> Lang {
        self.settings.lang
    }

    /// Whether the till has opened, is opening, or failed to.
    pub fn startup(&self) -> &Startup {
        &self.startup
    }

    /// How many commands wait for room in the worker's queue.
    pub fn backlog_len(&self) -> usize {
        self.backlog.len()
    }

    /// Why settling the last run's unfinished work failed at start, if it did.
    pub fn resume_error(&self) -> Option<&UiError> {
        self.resume_error.as_ref()
    }

    /// The settings in force.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The embedded sandbox's address, when it runs.
    pub fn sandbox_url(&self) -> Option<&str> {
        self.sandbox_url.as_deref()
    }

    fn on_tab_opened(&mut self) {
        let mut commands = Vec::new();
        match self.tab {
            Tab::Transactions => commands.push(self.transactions.reload_command()),
            Tab::Refunds => commands.push(self.refunds.reload_command()),
            Tab::Settings => self.settings_panel.load(&self.settings, &self.keychain),
            Tab::Closings => commands.push(self.closings.reload_command()),
            Tab::AllTills => commands.extend(self.all_tills.reload_command()),
            Tab::Cashier => self.cashier.opened(&mut commands),
            Tab::Journal => {}
        }
        self.send_all(commands);
    }

    pub(crate) fn send_commands(&mut self, commands: Vec<Command>) {
        self.send_all(commands);
    }

    /// Runs the screenshot tour (see [`crate::ui::tour`]) from now on.
    pub fn start_tour(&mut self, tour: Tour) {
        self.tour = Some(tour);
    }

    fn send_all(&mut self, commands: Vec<Command>) {
        self.backlog.extend(commands);
        while let Some(command) = self.backlog.pop_front() {
            match self.worker.try_send(command) {
                Ok(()) => {}
                Err(SendError::Full(command)) => {
                    // The worker is busy; keep the command and try again next frame rather than wait here.
                    self.backlog.push_front(command);
                    break;
                }
                Err(SendError::Gone) => {
                    self.worker_gone = true;
                    self.backlog.clear();
                    break;
                }
            }
        }
    }

    fn drain_events(&mut self) {
        while let Some(event) = self.worker.try_recv() {
            self.apply(event);
        }
    }

    fn apply(&mut self, event: Event) {
        match event {
            Event::Ready {
                settings,
                keychain,
                sandbox_url,
            } => {
                self.startup = Startup::Ready;
                self.settings = *settings;
                self.keychain = keychain;
                self.sandbox_url = sandbox_url;
                self.settings_panel.load(&self.settings, &self.keychain);
                self.on_tab_opened();
            }
            Event::DisplaySaved { theme, text_size } => {
                self.settings.theme = theme;
                self.settings.text_size = text_size;
                self.settings_panel.display.saved(theme, text_size);
            }
            Event::StartFailed(error) => {
                self.startup = Startup::Failed(error);
            }
            Event::Central(state) => {
                self.central = Some(*state);
            }
            Event::TakenIn(hosted) => {
                // The sale is this till's to refund now: its detail, in Transactions.
                self.all_tills.on_event(&Event::TakenIn(hosted.clone()));
                self.set_tab(Tab::Transactions);
                let mut commands = Vec::new();
                let mut cx = Cx::new(self.settings.lang, &self.settings, true, &mut commands);
                self.transactions.select(&hosted, &mut cx);
                self.send_all(commands);
            }
            Event::ResumeFailed(error) => {
                self.resume_error = Some(error);
            }
            Event::SettingsSaved {
                settings,
                keychain,
                sandbox_url,
            } => {
                self.settings = *settings;
                self.keychain = keychain;
                self.sandbox_url = sandbox_url;
                self.startup = Startup::Ready;
                self.settings_panel.saved(&self.settings, &self.keychain);
            }
            other => {
                let mut commands = Vec::new();
                self.cashier.on_event(&other);
                self.transactions.on_event(&other, &mut commands);
                self.refunds.on_event(&other);
                self.settings_panel.on_event(&other);
                self.journal.on_event(&other);
                self.closings.on_event(&other);
                self.all_tills.on_event(&other);
                self.send_all(commands);
            }
        }
    }

    /// Draws one frame: events first, then the top bar and the current tab, then the commands.
    pub fn frame_ui(&mut self, ui: &mut Ui) {
        self.worker.attach(ui.ctx());
        if !self.styled {
            self.styled = true;
            crate::ui::look::till_style(ui.ctx());
        }
        self.drain_events();
        // After the events: a theme or text size just stored shows in this very frame.
        crate::ui::look::apply(
            ui.ctx(),
            &mut self.display,
            self.settings.theme,
            self.settings.text_size,
        );
        let lang = self.settings.lang;
        let mut new_tab = self.tab;

        egui::Panel::top("top-bar").show(ui, |ui| {
            ui.add_space(4.0);
            ui.horizontal(|ui| {
                ui.label(RichText::new(text::APP_NAME.get(lang)).strong().size(18.0));
                ui.separator();
                for tab in Tab::ALL {
                    // Every till is shown only to a till with a central ledger.
                    if tab == Tab::AllTills && self.central.is_none() {
                        continue;
                    }
                    // A tab is touched as often as clicked at a till: a finger's height.
                    let title = RichText::new(tab.title().get(lang)).size(16.0);
                    let button = egui::Button::selectable(new_tab == tab, title)
                        .min_size(egui::vec2(44.0, crate::ui::today::TARGET));
                    if ui.add(button).clicked() {
                        new_tab = tab;
                    }
                }
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    self.badge_ui(ui, lang);
                    // Shown in the bar rather than above the screen so nothing moves under the cashier's finger
                    // when the till opens.
                    if self.startup == Startup::Starting {
                        ui.label(text::STARTING.get(lang));
                        widgets::busy_ui(ui);
                    }
                    ui.label(lang.labelled(text::OPERATOR.get(lang), &self.settings.operator));
                });
            });
            ui.add_space(4.0);
        });

        // A status line at the bottom for what the shop should know without it crowding the tabs: the central
        // ledger, a backup due.
        if self.central.is_some() || self.settings_panel.backup.due() {
            egui::Panel::bottom("status-bar").show(ui, |ui| {
                ui.horizontal(|ui| {
                    self.central_ui(ui, lang);
                    if self.settings_panel.backup.due()
                        && ui
                            .link(
                                RichText::new(lang.pick("Sauvegarde à faire", "Backup due"))
                                    .color(widgets::SANDBOX_ORANGE),
                            )
                            .clicked()
                    {
                        new_tab = Tab::Settings;
                    }
                });
            });
        }

        let mut commands = Vec::new();
        egui::CentralPanel::default().show(ui, |ui| {
            if self.worker_gone {
                widgets::error_ui(
                    ui,
                    lang,
                    &UiError::new(text::WORKER_GONE, "worker channel closed"),
                    "worker",
                );
                return;
            }
            if let Startup::Failed(error) = &self.startup {
                ui.heading(text::START_FAILED.get(lang));
                widgets::error_ui(ui, lang, error, "startup");
                ui.add_space(12.0);
            }
            if let Some(error) = &self.resume_error {
                ui.label(RichText::new(text::RESUME_FAILED.get(lang)).strong());
                widgets::error_ui(ui, lang, error, "resume");
                ui.add_space(8.0);
            }
            let mut cx = Cx {
                lang,
                settings: &self.settings,
                ready: self.startup == Startup::Ready,
                commands: &mut commands,
            };
            match self.tab {
                Tab::Cashier => self.cashier.ui(ui, &mut cx),
                Tab::Transactions => self.transactions.ui(ui, &mut cx),
                Tab::Refunds => self.refunds.ui(ui, &mut cx),
                Tab::Settings => self.settings_panel.ui(ui, &mut cx),
                Tab::Journal => self.journal.ui(ui, &mut cx),
                Tab::Closings => self.closings.ui(ui, &mut cx),
                Tab::AllTills => self.all_tills.ui(ui, &mut cx),
            }
        });
        if let Some(id) = self.cashier.take_show_in_transactions() {
            // A sale of "Dernières ventes" opened in Transactions.
            new_tab = Tab::Transactions;
            let mut cx = Cx::new(self.settings.lang, &self.settings, true, &mut commands);
            self.transactions.select(&id, &mut cx);
        }
        if let Some(lang) = self.settings_panel.take_lang_change() {
            self.settings.lang = lang;
        }
        self.send_all(commands);
        if new_tab != self.tab {
            self.set_tab(new_tab);
        }
        if let Some(mut tour) = self.tour.take() {
            tour.advance(self, ui.ctx());
            self.tour = Some(tour);
        }
    }

    /// Where the till stands with the centre: up to date, entries still to send, or why it cannot send them.
    fn central_ui(&self, ui: &mut Ui, lang: Lang) {
        let Some(c) = &self.central else { return };
        let (words, color) = match (&c.problem, c.pending) {
            (None, 0) => (
                lang.pick("Central : à jour", "Central: up to date")
                    .to_string(),
                widgets::OK_GREEN,
            ),
            (None, n) => (
                match lang {
                    Lang::Fr => format!("Central : {n} à envoyer"),
                    Lang::En => format!("Central: {n} to send"),
                },
                ui.visuals().text_color(),
            ),
            (Some(_), n) if c.unreachable => (
                match lang {
                    Lang::Fr => format!("Central injoignable ({n} en attente)"),
                    Lang::En => format!("Central out of reach ({n} waiting)"),
                },
                widgets::SANDBOX_ORANGE,
            ),
            (Some(_), n) => (
                match lang {
                    Lang::Fr => format!("Central : envoi arrêté ({n} en attente)"),
                    Lang::En => format!("Central: sync stopped ({n} waiting)"),
                },
                egui::Color32::from_rgb(200, 40, 40),
            ),
        };
        let response = ui.label(RichText::new(words).color(color));
        if let Some((fr, en)) = &c.problem {
            response.on_hover_text(lang.pick(fr, en));
        }
    }

    /// Where the till stands with its central ledger, as last reported.
    pub fn central(&self) -> Option<&crate::app::centre::CentralState> {
        self.central.as_ref()
    }

    fn badge_ui(&self, ui: &mut Ui, lang: Lang) {
        let (label, color, hint) = match self.settings.environment {
            Environment::Sandbox => (
                text::SANDBOX_BADGE,
                widgets::SANDBOX_ORANGE,
                Some(text::SANDBOX_BADGE_HINT),
            ),
            Environment::Preprod | Environment::Custom(_) => (
                text::PREPROD_BADGE,
                egui::Color32::from_rgb(40, 110, 200),
                None,
            ),
            Environment::Prod => (text::PROD_BADGE, widgets::OK_GREEN, None),
        };
        let response = egui::Frame::new()
            .fill(color)
            .corner_radius(4.0)
            .inner_margin(egui::Margin::symmetric(8, 3))
            .show(ui, |ui| {
                ui.label(
                    RichText::new(label.get(lang))
                        .strong()
                        .color(egui::Color32::WHITE),
                )
            })
            .response;
        if let Some(hint) = hint {
            response.on_hover_text(hint.get(lang));
        }
    }
}

impl eframe::App for CadodeskApp {
    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.frame_ui(ui);
    }
}
