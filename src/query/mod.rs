//! Filter, sort, group and saved views: the logic the console and the headless commands
//! share (the TUI only draws what this computes).

pub mod export;
mod group;
mod sort;
pub mod views;
pub mod worker;

pub use group::{Group, GroupBy, GroupKeys, GroupOrder, Grouped, group, group_keyed};
pub use sort::{Column, Scope, Sort, compute, id_key, short_resource};
