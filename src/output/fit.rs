//! Tables that fit the terminal.
//!
//! Each table declares its columns: how much each matters (`priority`) and
//! how it may shrink (`Fit`). Ids and amounts are shown whole or not at all;
//! free text is cut with "…"; a note column becomes a footnote marker (`[1]`)
//! with the notes listed under the table. On a terminal narrower than the
//! table, notes become markers, free text is cut to its minimum, then the
//! lowest-priority columns are hidden until the table fits, and the cut text
//! gets back whatever width is left. Without a width (piped output, `--wide`)
//! every column is shown whole.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// How a column may shrink.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Fit {
    /// Ids and amounts: shown whole, never cut or wrapped.
    Whole,
    /// A value with a shorter form (`auto_scaling_group` -> `asg`), used
    /// when the table must shrink.
    Short(fn(&str) -> String),
    /// Free text: cut with "…", down to this many columns.
    Truncate(usize),
    /// Notes: a marker such as `[1]`, with the note under the table.
    Footnote,
}

/// A column's priority that is never hidden.
pub(crate) const REQUIRED: u8 = u8::MAX;

#[derive(Debug, Clone)]
pub(crate) struct Column {
    pub(crate) header: &'static str,
    /// Columns of the lowest priority are hidden first; REQUIRED never is.
    pub(crate) priority: u8,
    pub(crate) fit: Fit,
    pub(crate) right: bool,
}

impl Column {
    /// An id, a type, a state: whole or hidden.
    pub(crate) fn whole(header: &'static str, priority: u8) -> Column {
        Column {
            header,
            priority,
            fit: Fit::Whole,
            right: false,
        }
    }

    /// An amount or a count: right-aligned, whole or hidden.
    pub(crate) fn money(header: &'static str, priority: u8) -> Column {
        Column {
            header,
            priority,
            fit: Fit::Whole,
            right: true,
        }
    }

    /// Free text (a name, evidence): cut with "…" down to `min` columns.
    pub(crate) fn text(header: &'static str, priority: u8, min: usize) -> Column {
        Column {
            header,
            priority,
            fit: Fit::Truncate(min),
            right: false,
        }
    }

    /// A value shown in its short form when the table must shrink.
    pub(crate) fn short(header: &'static str, priority: u8, short: fn(&str) -> String) -> Column {
        Column {
            header,
            priority,
            fit: Fit::Short(short),
            right: false,
        }
    }

    /// A note: a footnote marker when the table must shrink.
    pub(crate) fn note(header: &'static str, priority: u8) -> Column {
        Column {
            header,
            priority,
            fit: Fit::Footnote,
            right: false,
        }
    }
}

/// A table's columns and rows, rendered to fit a width.
#[derive(Debug, Clone)]
pub(crate) struct Grid {
    columns: Vec<Column>,
    rows: Vec<Vec<String>>,
    /// Rows whose first cell is a label (TOTAL) that moves to the first
    /// visible empty cell of the row when the first column is hidden.
    labelled: Vec<bool>,
}

/// What [`Grid::layout`] decided: the columns shown and their widths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Layout {
    pub(crate) visible: Vec<usize>,
    pub(crate) widths: Vec<usize>,
    /// The table had to shrink: notes are markers with footnotes, short
    /// forms replace long ones.
    pub(crate) shrunk: bool,
}

/// The display width of a table with these column widths: a border and one
/// space of padding each side of every cell (both presets the Printer uses).
pub(crate) fn table_width(widths: impl IntoIterator<Item = usize>) -> usize {
    let (sum, n) = widths.into_iter().fold((0, 0), |(s, n), w| (s + w, n + 1));
    sum + 3 * n + 1
}

/// Cut `s` to `width` display columns, ending in "…" when cut.
pub(crate) fn truncate(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width - 1 {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// Wrap `text` at spaces to `width` columns; a word longer than the width
/// (an id, a URL) stays whole on its own line. Each line of `text` keeps its
/// indentation, and its continuation lines are indented `hang` more.
pub(crate) fn wrap(text: &str, width: Option<usize>, hang: usize) -> String {
    let Some(width) = width else {
        return text.to_string();
    };
    let mut out = String::new();
    for line in text.split('\n') {
        if line.width() <= width {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let body = line.trim_start_matches(' ');
        let indent = line.len() - body.len();
        // Words with the spaces before them, so aligned text keeps its gaps.
        let mut words: Vec<(usize, &str)> = Vec::new();
        let mut gap = 0;
        for piece in body.split(' ') {
            if piece.is_empty() {
                gap += 1;
            } else {
                words.push((gap, piece));
                gap = 1;
            }
        }
        let mut cur = " ".repeat(indent);
        let mut cur_has_word = false;
        let cont = " ".repeat(indent + hang);
        for (gap, word) in words {
            if cur_has_word && cur.width() + gap + word.width() > width {
                out.push_str(&cur);
                out.push('\n');
                cur = cont.clone();
                cur_has_word = false;
            }
            if cur_has_word {
                cur.push_str(&" ".repeat(gap));
            }
            cur.push_str(word);
            cur_has_word = true;
        }
        out.push_str(&cur);
        out.push('\n');
    }
    // One '\n' too many: each piece of `split` got one.
    out.pop();
    out
}

impl Grid {
    pub(crate) fn new(columns: Vec<Column>) -> Grid {
        Grid {
            columns,
            rows: Vec::new(),
            labelled: Vec::new(),
        }
    }

    pub(crate) fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.columns.len(), "one cell per column");
        // Names and tags come from snapshots and AWS: no escape sequences
        // reach the terminal, and the widths are those of what is shown.
        let cells = cells
            .into_iter()
            .map(|c| match super::safe::cell(&c) {
                std::borrow::Cow::Borrowed(_) => c,
                std::borrow::Cow::Owned(o) => o,
            })
            .collect();
        self.rows.push(cells);
        self.labelled.push(false);
    }

    /// A TOTAL row: its first cell is the label, kept when that column is hidden.
    pub(crate) fn total(&mut self, cells: Vec<String>) {
        self.row(cells);
        if let Some(l) = self.labelled.last_mut() {
            *l = true;
        }
    }

    /// The distinct notes of the note columns, in order of first appearance.
    fn notes(&self) -> Vec<&str> {
        let mut notes: Vec<&str> = Vec::new();
        for row in &self.rows {
            for (i, c) in self.columns.iter().enumerate() {
                if matches!(c.fit, Fit::Footnote)
                    && !row[i].is_empty()
                    && !notes.contains(&row[i].as_str())
                {
                    notes.push(&row[i]);
                }
            }
        }
        notes
    }

    /// Which columns to show, how wide, for a terminal of `width` columns
    /// (None: every column, whole).
    pub(crate) fn layout(&self, width: Option<usize>) -> Layout {
        let n = self.columns.len();
        let natural: Vec<usize> = (0..n)
            .map(|i| {
                self.rows
                    .iter()
                    .map(|r| r[i].width())
                    .chain([self.columns[i].header.width()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let all: Vec<usize> = (0..n).collect();
        let Some(width) = width.filter(|&w| table_width(natural.iter().copied()) > w) else {
            return Layout {
                visible: all,
                widths: natural,
                shrunk: false,
            };
        };

        let markers = self.notes().len();
        let marker_width = if markers == 0 {
            0
        } else {
            format!("[{markers}]").width()
        };
        let mut widths = natural.clone();
        for (i, c) in self.columns.iter().enumerate() {
            match c.fit {
                Fit::Footnote => widths[i] = c.header.width().max(marker_width),
                Fit::Truncate(min) => widths[i] = natural[i].min(min.max(c.header.width())),
                Fit::Short(short) => {
                    widths[i] = self
                        .rows
                        .iter()
                        .map(|r| short(&r[i]).width())
                        .chain([c.header.width()])
                        .max()
                        .unwrap_or(0)
                }
                Fit::Whole => {}
            }
        }
        let shown =
            |visible: &[usize], widths: &[usize]| table_width(visible.iter().map(|&i| widths[i]));
        let mut visible = all;
        while shown(&visible, &widths) > width {
            // The lowest priority goes first; of equals, the rightmost.
            let Some(pos) = visible
                .iter()
                .enumerate()
                .filter(|(_, i)| self.columns[**i].priority != REQUIRED)
                .min_by_key(|(pos, i)| (self.columns[**i].priority, std::cmp::Reverse(*pos)))
                .map(|(pos, _)| pos)
            else {
                break;
            };
            visible.remove(pos);
        }
        // Give cut text back what is left, most important first.
        let mut spare = width.saturating_sub(shown(&visible, &widths));
        let mut cut: Vec<usize> = visible
            .iter()
            .copied()
            .filter(|&i| matches!(self.columns[i].fit, Fit::Truncate(_)))
            .collect();
        cut.sort_by_key(|&i| std::cmp::Reverse(self.columns[i].priority));
        for i in cut {
            let more = (natural[i] - widths[i]).min(spare);
            widths[i] += more;
            spare -= more;
        }
        Layout {
            visible,
            widths,
            shrunk: true,
        }
    }

    /// The table, then its footnotes and which columns were hidden, each line
    /// ending in '\n'. `table` is an empty comfy table in the Printer's style.
    pub(crate) fn render(&self, mut table: comfy_table::Table, width: Option<usize>) -> String {
        let layout = self.layout(width);
        let notes = if layout.shrunk
            && layout
                .visible
                .iter()
                .any(|&i| matches!(self.columns[i].fit, Fit::Footnote))
        {
            self.notes()
        } else {
            Vec::new()
        };
        let cell = |i: usize, text: String| {
            let c = comfy_table::Cell::new(text);
            if self.columns[i].right {
                c.set_alignment(comfy_table::CellAlignment::Right)
            } else {
                c
            }
        };
        table.set_content_arrangement(comfy_table::ContentArrangement::Disabled);
        table.set_header(
            layout
                .visible
                .iter()
                .map(|&i| cell(i, self.columns[i].header.to_string())),
        );
        for (row, &labelled) in self.rows.iter().zip(&self.labelled) {
            let mut row = row.clone();
            if labelled && !layout.visible.contains(&0) {
                let label = std::mem::take(&mut row[0]);
                if let Some(&i) = layout.visible.iter().find(|&&i| {
                    row[i].is_empty()
                        && !matches!(self.columns[i].fit, Fit::Footnote | Fit::Short(_))
                        && layout.widths[i] >= label.width()
                }) {
                    row[i] = label;
                }
            }
            table.add_row(layout.visible.iter().map(|&i| {
                let text = &row[i];
                let shown = match self.columns[i].fit {
                    Fit::Footnote if layout.shrunk && !text.is_empty() => {
                        let n = notes.iter().position(|x| x == text).unwrap_or(0) + 1;
                        format!("[{n}]")
                    }
                    Fit::Truncate(_) => truncate(text, layout.widths[i]),
                    Fit::Short(short) if layout.shrunk => short(text),
                    _ => text.clone(),
                };
                cell(i, shown)
            }));
        }
        let mut out = table.to_string();
        out.push('\n');
        for (n, note) in notes.iter().enumerate() {
            out.push_str(&wrap(&format!("[{}] {note}", n + 1), width, 4));
            out.push('\n');
        }
        let hidden: Vec<&str> = (0..self.columns.len())
            .filter(|i| !layout.visible.contains(i))
            .map(|i| self.columns[i].header)
            .collect();
        if !hidden.is_empty() {
            out.push_str(&wrap(
                &format!(
                    "Columns hidden to fit: {} (--wide shows them).",
                    hidden.join(", ")
                ),
                width,
                2,
            ));
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> Grid {
        let mut g = Grid::new(vec![
            Column::whole("ID", REQUIRED),
            Column::text("NAME", 50, 6),
            Column::whole("STATE", 20),
            Column::money("$/MONTH", REQUIRED),
            Column::money("$/YEAR", 10),
            Column::note("NOTE", 40),
        ]);
        g.row(vec![
            "i-0123456789abcdef0".into(),
            "a rather long instance name".into(),
            "running".into(),
            "$1,140.16".into(),
            "$13,681.92".into(),
            "estimated".into(),
        ]);
        g.row(vec![
            "vol-0a".into(),
            "db".into(),
            "in-use".into(),
            "$8.00".into(),
            "$96.00".into(),
            String::new(),
        ]);
        g.row(vec![
            "i-1".into(),
            String::new(),
            "stopped".into(),
            "$0.00".into(),
            "$0.00".into(),
            "no compute charge".into(),
        ]);
        g
    }

    fn plain() -> comfy_table::Table {
        let mut t = comfy_table::Table::new();
        t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
        t
    }

    fn widest(s: &str) -> usize {
        s.lines().map(UnicodeWidthStr::width).max().unwrap_or(0)
    }

    #[test]
    fn the_width_formula_matches_both_presets() {
        let g = grid();
        let l = g.layout(None);
        let want = table_width(l.widths.iter().copied());
        for preset in [
            comfy_table::presets::UTF8_FULL_CONDENSED,
            comfy_table::presets::ASCII_MARKDOWN,
        ] {
            let mut t = comfy_table::Table::new();
            t.load_style(preset);
            let s = g.render(t, None);
            let table_lines: Vec<&str> = s.lines().collect();
            assert!(table_lines.iter().all(|l| l.width() == want), "{s}");
        }
    }

    #[test]
    fn without_a_width_every_column_is_whole() {
        let s = grid().render(plain(), None);
        for want in [
            "a rather long instance name",
            "$13,681.92",
            "no compute charge",
            "STATE",
        ] {
            assert!(s.contains(want), "{s}");
        }
        assert!(!s.contains('…') && !s.contains("[1]") && !s.contains("hidden"));
    }

    #[test]
    fn a_narrow_terminal_cuts_text_marks_notes_and_hides_low_priority_columns() {
        let g = grid();
        for width in [40, 50, 60, 70] {
            let s = g.render(plain(), Some(width));
            assert!(widest(&s) <= width, "{width}:\n{s}");
            // Ids and amounts of required columns stay whole.
            for want in ["i-0123456789abcdef0", "$1,140.16", "$8.00", "vol-0a"] {
                assert!(s.contains(want), "{width}: {want}\n{s}");
            }
        }
        let s = g.render(plain(), Some(60));
        assert!(
            s.contains("[1] estimated") && s.contains("[2] no compute charge"),
            "{s}"
        );
        assert!(
            s.contains("Columns hidden to fit: STATE, $/YEAR (--wide shows them)."),
            "{s}"
        );
        assert!(s.contains('…'), "{s}");
    }

    #[test]
    fn hidden_columns_go_lowest_priority_first_and_text_gets_the_spare_width() {
        let g = grid();
        let natural = g.layout(None);
        let full = table_width(natural.widths.iter().copied());
        // One column short: notes become markers first, nothing is hidden.
        let l = g.layout(Some(full - 1));
        assert!(l.shrunk);
        assert_eq!(l.visible.len(), 6);
        // Narrower: $/YEAR (10) goes before STATE (20), before NOTE (40).
        let l = g.layout(Some(50));
        assert!(!l.visible.contains(&4), "{l:?}");
        let l = g.layout(Some(30));
        assert_eq!(l.visible, vec![0, 3], "{l:?}");
    }

    #[test]
    fn a_total_label_survives_its_column_being_hidden() {
        let mut g = Grid::new(vec![
            Column::whole("REGION", 10),
            Column::whole("ID", REQUIRED),
            Column::money("$/MONTH", REQUIRED),
        ]);
        g.row(vec![
            "us-east-1".into(),
            "i-0123456789abcdef0".into(),
            "$1.00".into(),
        ]);
        g.total(vec!["TOTAL".into(), String::new(), "$1.00".into()]);
        let s = g.render(plain(), Some(40));
        let header = s.lines().nth(1).unwrap();
        assert!(!header.contains("REGION") && s.contains("│ TOTAL "), "{s}");
        assert!(widest(&s) <= 40, "{s}");
    }

    #[test]
    fn truncate_and_wrap() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
        assert_eq!(
            wrap("one two three four", Some(9), 2),
            "one two\n  three\n  four"
        );
        assert_eq!(
            wrap("  a i-0123456789 b", Some(8), 0),
            "  a\n  i-0123456789\n  b"
        );
        assert_eq!(wrap("a  b   c d", Some(7), 0), "a  b\nc d");
        assert_eq!(wrap("x\n", None, 0), "x\n");
        assert_eq!(wrap("short\nline\n", Some(80), 0), "short\nline\n");
    }
}
