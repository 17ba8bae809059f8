//! Measurements of the screens for the benchmark harness (figures, never assertions): how long the Transactions
//! screen takes to lay out and tessellate one frame with many checkouts, and the process's resident memory.

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};

use crate::app::settings::Settings;
use crate::domain::Amount;
use crate::domain::CheckoutState;
use crate::i18n::Lang;
use crate::ui::app::Cx;
use crate::ui::model::CheckoutRow;
use crate::ui::transactions::TransactionsPanel;

/// What [`transactions_frame_times`] measured.
#[derive(Debug, Clone)]
pub struct FrameReport {
    /// Rows in the table.
    pub rows: usize,
    /// Frames measured (after one warm-up frame).
    pub frames: usize,
    /// The first frame (fonts, galleys and table state built from cold).
    pub first_frame: Duration,
    /// Median frame, layout plus tessellation, while scrolling through the table.
    pub median: Duration,
    /// 99th percentile frame.
    pub p99: Duration,
    /// Slowest frame.
    pub max: Duration,
    /// Sorting every row once (a click on a column title).
    pub sort: Duration,
    /// Resident memory after the rows were loaded and drawn, when the platform tells it (Linux).
    pub rss_bytes: Option<u64>,
}

/// `n` checkouts spread over a year, with every status and amounts from 1 € to 250 €.
pub fn synthetic_rows(n: usize) -> Vec<CheckoutRow> {
    let start = Utc
        .with_ymd_and_hms(2026, 1, 1, 8, 0, 0)
        .single()
        .unwrap_or_else(Utc::now);
    (0..n)
        .map(|i| {
            // Always between 1 € and 250 €: a made-up table for the benchmark.
            let amount = Amount::literal(100 + (i as i64 * 7919) % 24_900);
            let status = CheckoutState::ALL[i % CheckoutState::ALL.len()];
            let paid = if status == CheckoutState::Paid {
                amount
            } else {
                Amount::ZERO
            };
            let refunded = Amount::literal(if i % 10 == 0 { paid.cents() / 2 } else { 0 });
            CheckoutRow {
                id: format!("{:010}", 1_000_000_000 + i),
                created_at: start + chrono::Duration::minutes(i as i64 * 5),
                reference: format!("CD-2026-{i:06}"),
                amount,
                status,
                paid,
                refunded,
                refundable: paid.saturating_sub(refunded),
                operator: ["caisse", "ana", "louis"][i % 3].to_string(),
            }
        })
        .collect()
}

/// Resident memory of this process in bytes (Linux `/proc/self/statm`), `None` elsewhere.
pub fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// Draws the Transactions screen with `rows` checkouts at 1366×740 for `frames` frames, scrolling a little each
/// frame, and times layout plus tessellation. No window and no GPU: egui's own CPU work only.
pub fn transactions_frame_times(rows: usize, frames: usize) -> FrameReport {
    let ctx = egui::Context::default();
    let settings = Settings::default();
    let mut panel = TransactionsPanel::default();
    let data = synthetic_rows(rows);
    let sort_started = Instant::now();
    panel.set_rows(data);
    let sort = sort_started.elapsed();
    let screen = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1366.0, 740.0));
    let mut frame = |scroll: f32| -> Duration {
        let mut input = egui::RawInput {
            screen_rect: Some(screen),
            ..Default::default()
        };
        input
            .events
            .push(egui::Event::PointerMoved(egui::pos2(300.0, 400.0)));
        if scroll != 0.0 {
            input.events.push(egui::Event::MouseWheel {
                unit: egui::MouseWheelUnit::Point,
                delta: egui::vec2(0.0, -scroll),
                phase: egui::TouchPhase::Move,
                source: egui::MouseWheelSource::Unknown,
                modifiers: egui::Modifiers::NONE,
            });
        }
        let started = Instant::now();
        let mut output = ctx.run_ui(input, |ui| {
            let mut commands = Vec::new();
            let mut cx = Cx::new(Lang::Fr, &settings, true, &mut commands);
            egui::CentralPanel::default().show(ui, |ui| panel.ui(ui, &mut cx));
        });
        // No renderer here: the font atlas updates have nowhere to go.
        output.textures_delta.clear();
        let primitives = ctx.tessellate(output.shapes, output.pixels_per_point);
        std::hint::black_box(primitives);
        started.elapsed()
    };
    let first_frame = frame(0.0);
    let mut times: Vec<Duration> = (0..frames).map(|_| frame(240.0)).collect();
    times.sort();
    let pick = |q: f64| -> Duration {
        let i = ((times.len() as f64 - 1.0) * q).round() as usize;
        times.get(i).copied().unwrap_or_default()
    };
    FrameReport {
        rows,
        frames,
        first_frame,
        median: pick(0.5),
        p99: pick(0.99),
        max: times.last().copied().unwrap_or_default(),
        sort,
        rss_bytes: resident_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_measurement_draws_every_status_and_reports_each_frame() {
        let rows = synthetic_rows(12);
        assert!(
            CheckoutState::ALL
                .iter()
                .all(|s| rows.iter().any(|r| r.status == *s))
        );
        let report = transactions_frame_times(2_000, 3);
        assert_eq!(report.rows, 2_000);
        assert_eq!(report.frames, 3);
        assert!(report.max >= report.median);
    }
}
