//! The egui desktop app: one struct per panel (each draws itself in its `ui` method), the app that holds them,
//! and the worker that does everything slow on a background thread.
//!
//! - [`app`]: the top bar, the tabs, and the traffic with the worker.
//! - [`worker`]: the background thread (tokio runtime, embedded sandbox, till, status watcher).
//! - [`cashier`] (with [`keypad`] and [`today`]), [`transactions`], [`refund`], [`refunds`], [`settings`],
//!   [`journal`]: the screens; [`look`]: the text styles, the theme and the text size.
//! - [`file_dialog`]: where the system's save dialog starts, and whether one can open.
//! - [`model`]: what the screens show, as plain data; [`text`]: every word, in French and English.

pub mod all_tills;
pub mod app;
pub mod bench;
pub mod cancel_sale;
pub mod cashier;
pub mod closings;
pub mod convert;
pub mod file_dialog;
pub mod journal;
pub mod keypad;
pub mod look;
pub mod model;
pub mod refund;
pub mod refunds;
pub mod settings;
pub mod text;
pub mod today;
pub mod tour;
pub mod transactions;
pub mod widgets;
pub mod worker;

use std::path::{Path, PathBuf};

use crate::app::Overrides;

pub use app::{CadodeskApp, Tab};

/// The window's icon: the packaged icon's 64-pixel rendering (`assets/icon/cadodesk.svg`).
fn window_icon() -> std::sync::Arc<egui::IconData> {
    let png = include_bytes!("../../assets/icon/cadodesk-64.png");
    std::sync::Arc::new(eframe::icon_data::from_png_bytes(png).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "the window icon could not be read");
        egui::IconData::default()
    }))
}

/// Opens the desktop app on `data_dir` (chosen by [`crate::app::data_dir`], as for the command line) with the
/// command line's `overrides`, and returns when its window closes.
pub fn run_app(data_dir: &Path, overrides: Overrides) -> anyhow::Result<()> {
    let config = worker::WorkerConfig {
        endpoint: overrides.endpoint,
        merchant_id: overrides.merchant_id,
        operator: overrides.operator,
        ..worker::WorkerConfig::new(data_dir)
    };
    let start_tab = std::env::var("CADODESK_START_TAB")
        .ok()
        .and_then(|t| Tab::from_name(&t));
    let tour_file = std::env::var_os("CADODESK_SCREENSHOT_TOUR")
        .map(|f| (PathBuf::from(f), false))
        .or_else(|| std::env::var_os("CADODESK_BENCH_TOUR").map(|f| (PathBuf::from(f), true)));
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("cadodesk")
            // The desktop finds the launcher (`fr.cadodesk.cadodesk.desktop`) and its icon by this id.
            .with_app_id(crate::app::APP_ID)
            .with_icon(window_icon())
            .with_inner_size([1366.0, 740.0])
            .with_min_inner_size([1024.0, 600.0]),
        ..Default::default()
    };
    eframe::run_native(
        "cadodesk",
        options,
        Box::new(move |cc| {
            let handle = worker::start(config)?;
            handle.attach(&cc.egui_ctx);
            let mut app = CadodeskApp::new(handle);
            if let Some(tab) = start_tab {
                app.set_tab(tab);
            }
            if let Some((file, bench)) = tour_file {
                app.start_tour(tour::Tour::start(file, cc.egui_ctx.clone(), bench)?);
            }
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| anyhow::anyhow!("the window could not open: {e}"))
}
