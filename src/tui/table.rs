//! Which columns of the findings table fit the terminal, and how wide.

use crate::query::Column;

/// (minimum width, preferred width, grows with spare space)
fn col_widths(c: Column) -> (u16, u16, bool) {
    match c {
        Column::Cloud => (5, 5, false),
        Column::Severity => (4, 4, false),
        Column::Account => (12, 12, false),
        Column::Region => (9, 14, false),
        Column::Product => (8, 14, false),
        Column::Control => (7, 12, false),
        Column::Resource => (12, 30, true),
        Column::Title => (16, 40, true),
        Column::Age => (3, 4, false),
        Column::Workflow => (8, 10, false),
    }
}

/// Lower is dropped first when the terminal is narrow.
fn priority(c: Column) -> u8 {
    match c {
        Column::Severity | Column::Title => 9,
        Column::Account => 8,
        Column::Workflow => 7,
        Column::Control => 6,
        Column::Resource => 5,
        Column::Region => 4,
        Column::Age => 3,
        Column::Product => 2,
        // Shown where width allows: account and region formats already tell clouds apart.
        Column::Cloud => 1,
    }
}

/// Columns that fit `width` (minus the four-cell gutter of markers), with their widths; spare space goes to
/// the growing columns. CLOUD only when findings come from more than one cloud.
pub fn layout(width: u16, several_clouds: bool, only: &[Column]) -> Vec<(Column, u16)> {
    let avail = width.saturating_sub(4);
    let mut cols: Vec<Column> = Column::ALL
        .into_iter()
        .filter(|c| several_clouds || *c != Column::Cloud)
        .filter(|c| {
            only.is_empty() || only.contains(c) || matches!(c, Column::Severity | Column::Title)
        })
        .collect();
    let need = |cols: &[Column]| -> u16 {
        cols.iter().map(|c| col_widths(*c).0).sum::<u16>() + cols.len().saturating_sub(1) as u16
    };
    while need(&cols) > avail && cols.len() > 2 {
        let drop = cols
            .iter()
            .enumerate()
            .min_by_key(|(_, c)| priority(**c))
            .map(|(i, _)| i)
            .expect("columns");
        cols.remove(drop);
    }
    let gaps = cols.len().saturating_sub(1) as u16;
    let mut widths: Vec<u16> = cols.iter().map(|c| col_widths(*c).0).collect();
    let mut spare = avail.saturating_sub(widths.iter().sum::<u16>() + gaps);
    // Bring columns toward their preferred width, most important first; the rest goes to
    // the title (two parts) and the resource (one part).
    let mut order: Vec<usize> = (0..cols.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(priority(cols[i])));
    for i in order {
        let add = (col_widths(cols[i]).1 - widths[i]).min(spare);
        widths[i] += add;
        spare -= add;
    }
    let title = cols.iter().position(|c| *c == Column::Title);
    let resource = cols.iter().position(|c| *c == Column::Resource);
    match (title, resource) {
        (Some(t), Some(r)) => {
            let to_resource = spare / 3;
            widths[r] += to_resource;
            widths[t] += spare - to_resource;
        }
        (Some(t), None) => widths[t] += spare,
        (None, Some(r)) => widths[r] += spare,
        (None, None) => {}
    }
    cols.into_iter().zip(widths).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_fits_and_keeps_essentials() {
        for w in [80u16, 100, 120, 200] {
            let cols = layout(w, false, &[]);
            let used: u16 = cols.iter().map(|c| c.1).sum::<u16>() + cols.len() as u16 - 1;
            assert_eq!(used, w - 4, "width {w}: {cols:?}");
            assert!(cols.iter().any(|c| c.0 == Column::Severity));
            assert!(cols.iter().any(|c| c.0 == Column::Title));
        }
        assert_eq!(layout(200, false, &[]).len(), 9);
        assert_eq!(layout(200, true, &[]).len(), 10);
        assert_eq!(layout(200, true, &[])[0].0, Column::Cloud);
        assert!(layout(80, false, &[]).len() < 9);
        assert!(
            !layout(80, true, &[]).iter().any(|c| c.0 == Column::Cloud),
            "dropped first"
        );
    }
}
