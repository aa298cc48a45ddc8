//! Filter, sort, group and saved views: the logic the console and the headless commands
//! share (the TUI only draws what this computes).

mod group;
mod sort;

pub use group::{Group, GroupBy, GroupOrder, group};
pub use sort::{Column, Sort, compute, id_key, short_resource};
