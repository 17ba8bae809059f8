//! The worker's handlers for the counter: the day so far ("Aujourd'hui") and the screen's theme and text size.

use crate::app::settings;
use crate::till::TillError;
use crate::ui::convert;
use crate::ui::model::UiError;
use crate::ui::text;

use super::engine::{Engine, blocking};
use super::{Command, Event, Outbox};

/// How many of the latest sales the counter lists.
const LAST_SALES: usize = 6;

pub(super) async fn handle(
    engine: &Engine,
    command: Command,
    outbox: &Outbox,
) -> Result<(), UiError> {
    match command {
        Command::LoadToday => {
            let till = engine.till()?;
            let view = blocking(move || till.today(LAST_SALES)).await?;
            outbox.send(Event::Today(Box::new(convert::today(&view))));
            Ok(())
        }
        Command::SetDisplay { theme, text_size } => {
            let ledger = engine.ledger.clone();
            let operator = engine.settings().operator;
            blocking(move || {
                settings::store_display(&ledger, &operator, theme, text_size)
                    .map_err(TillError::Ledger)
            })
            .await?;
            engine.set_display(theme, text_size);
            outbox.send(Event::DisplaySaved { theme, text_size });
            Ok(())
        }
        // Only the commands above are sent here (see `handlers::handle_inner`).
        _ => Err(UiError::new(
            text::WORKER_GONE,
            "a command reached the wrong handler",
        )),
    }
}
