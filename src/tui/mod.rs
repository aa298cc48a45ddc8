//! The terminal UI: state, update, effects and render are kept apart.

pub mod app;
pub mod color;
pub mod dialogs;
pub mod keymap;
pub mod notify_dialogs;
pub mod rem_dialogs;
pub mod run;
pub mod table;
pub mod terminal;
pub mod theme;
pub mod views;
