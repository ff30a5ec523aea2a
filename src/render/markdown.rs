//! Markdown tables that read well in a terminal and in a browser: header, a divider with
//! alignment colons (text left, numbers right), short columns, every row the same width in
//! cells, at most [`MAX_WIDTH`] characters a line, each table in its own fenced block.

/// Widest line a generated table may have.
pub const MAX_WIDTH: usize = 100;

/// Column alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text.
    Left,
    /// Numbers.
    Right,
    /// Short flags.
    Center,
    /// Right when every cell of the column is a number, left otherwise (for columns of
    /// sample values).
    Auto,
}

/// A table being built.
#[derive(Debug, Clone)]
pub struct MdTable {
    headers: Vec<String>,
    aligns: Vec<Align>,
    rows: Vec<Vec<String>>,
    whole: Vec<bool>,
    wrap: bool,
}

fn width(s: &str) -> usize {
    s.chars().count()
}

/// Text from a design as markdown shows it literally: characters that start HTML, links,
/// code or table cells are backslash-escaped, line breaks become spaces and a leading `#`
/// cannot open a heading — so a name or description is always text, never markup.
pub fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' | '`' | '<' | '>' | '|' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '\r' => {}
            c if c == '\n' || c == '\u{2028}' || c == '\u{2029}' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    if out.starts_with('#') {
        out.insert(0, '\\');
    }
    out
}

/// `text` in lines of at most `w` characters, broken at spaces where it can be and inside a
/// word only when the word alone is wider than `w`.
fn wrap_text(text: &str, w: usize) -> Vec<String> {
    let w = w.max(1);
    let mut lines: Vec<String> = Vec::new();
    // Leading spaces indent (an index under its table) and stay on the first line.
    let mut cur: String = text.chars().take_while(|c| *c == ' ').collect();
    for word in text.split(' ').filter(|x| !x.is_empty()) {
        let fresh = cur.trim().is_empty();
        let needed = if fresh {
            width(&cur) + width(word)
        } else {
            width(&cur) + 1 + width(word)
        };
        if needed <= w {
            if !fresh {
                cur.push(' ');
            }
            cur.push_str(word);
            continue;
        }
        if !fresh {
            lines.push(std::mem::take(&mut cur));
        }
        // A word wider than a line is cut, never between a backslash and what it escapes.
        for c in word.chars() {
            if width(&cur) >= w {
                let carry = if cur.ends_with('\\') && cur.len() > 1 {
                    cur.pop()
                } else {
                    None
                };
                lines.push(std::mem::take(&mut cur));
                cur.extend(carry);
            }
            cur.push(c);
        }
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

/// A cell of a table inside a code fence: markup is inert there; only a pipe (which would
/// split the cell), backticks (which could close the fence) and line breaks are changed.
fn fenced_cell(cell: &str) -> String {
    cell.replace('|', "\\|")
        .replace('`', "'")
        .replace(['\n', '\r'], " ")
}

impl MdTable {
    /// A table with these columns.
    pub fn new(columns: &[(&str, Align)]) -> Self {
        Self {
            headers: columns.iter().map(|(h, _)| (*h).to_string()).collect(),
            aligns: columns.iter().map(|(_, a)| *a).collect(),
            rows: Vec::new(),
            whole: vec![false; columns.len()],
            wrap: false,
        }
    }

    /// Fit long text by wrapping it onto continuation lines instead of cutting it short, so
    /// that nothing a reader needs (a name, a purpose) is lost to an ellipsis.
    pub fn wrap(mut self) -> Self {
        self.wrap = true;
        self
    }

    /// Never shorten these columns (by position) to make the table fit; others give way first.
    pub fn keep_whole(mut self, columns: &[usize]) -> Self {
        for &c in columns {
            if let Some(w) = self.whole.get_mut(c) {
                *w = true;
            }
        }
        self
    }

    /// Add a row; missing cells are filled with "-" and extra cells dropped, so every row has
    /// the header's column count.
    pub fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut r: Vec<String> = cells.into_iter().map(Into::into).collect();
        r.resize(self.headers.len(), "-".to_string());
        for c in r.iter_mut() {
            if c.is_empty() {
                *c = "-".to_string();
            }
        }
        self.rows.push(r);
    }

    /// True when the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    fn widths(&self) -> Vec<usize> {
        let mut w: Vec<usize> = self.headers.iter().map(|h| width(h).max(3)).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate() {
                w[i] = w[i].max(width(c));
            }
        }
        w
    }

    fn line_width(widths: &[usize]) -> usize {
        // "| " + cells joined by " | " + " |"
        widths.iter().sum::<usize>() + 3 * widths.len() + 1
    }

    /// Shorten the widest text columns (with an ellipsis) until every line fits `max`, so
    /// that the cuts fall evenly on the wide columns: the widest comes down to the next widest
    /// (or as far as the line needs), one step per distinct width, so a huge cell costs one
    /// cut, not one pass per character.
    fn fit(&mut self, max: usize) {
        let mut widths = self.widths();
        let longest_word: Vec<usize> = (0..widths.len())
            .map(|i| {
                self.rows
                    .iter()
                    .flat_map(|r| r[i].split(' '))
                    .map(width)
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        // How hard to squeeze: wrapped columns first keep their longest word whole, then may
        // break words, and as a last resort whole columns wrap too (nothing is cut off).
        let mut tier = 0;
        loop {
            let line = Self::line_width(&widths);
            // Whole columns give way only when even a table without padding spaces (which
            // rendering falls back to) would be too wide.
            let unpadded = line.saturating_sub(2 * widths.len());
            if line <= max || (tier == 2 && unpadded <= max) {
                break;
            }
            let floor = |i: usize| {
                let least = width(&self.headers[i]).max(6);
                if self.wrap && tier == 0 {
                    longest_word[i].max(least)
                } else {
                    least
                }
            };
            let eligible: Vec<usize> = (0..widths.len())
                .filter(|&i| {
                    self.aligns[i] == Align::Left
                        && (!self.whole[i] || (self.wrap && tier == 2))
                        && widths[i] > floor(i)
                })
                .collect();
            let Some(top) = eligible.iter().map(|&i| widths[i]).max() else {
                if self.wrap && tier < 2 {
                    tier += 1;
                    continue;
                }
                break; // nothing left to shorten; the checker will say so
            };
            // The widest columns come down together, to the next width or as far as needed.
            let tied: Vec<usize> = eligible
                .iter()
                .copied()
                .filter(|&i| widths[i] == top)
                .collect();
            let next = eligible
                .iter()
                .map(|&i| widths[i])
                .filter(|&w| w < top)
                .max()
                .unwrap_or(0);
            let share = (line - max).div_ceil(tied.len());
            for &col in &tied {
                let target = top
                    .saturating_sub(share)
                    .max(next)
                    .max(floor(col))
                    .min(top - 1);
                if !self.wrap {
                    for r in self.rows.iter_mut() {
                        if width(&r[col]) > target {
                            let keep: String =
                                r[col].chars().take(target.saturating_sub(1)).collect();
                            r[col] = format!("{}…", keep.trim_end());
                        }
                    }
                }
                widths[col] = target;
            }
        }
        if self.wrap {
            self.wrap_rows(&widths);
        }
    }

    /// Each row split into as many lines as its widest-wrapped cell needs; the continuation
    /// lines leave the other cells empty.
    fn wrap_rows(&mut self, widths: &[usize]) {
        let mut out = Vec::with_capacity(self.rows.len());
        for r in &self.rows {
            let parts: Vec<Vec<String>> = r
                .iter()
                .zip(widths)
                .map(|(c, &w)| wrap_text(c, w))
                .collect();
            let lines = parts.iter().map(Vec::len).max().unwrap_or(1);
            for l in 0..lines {
                out.push(
                    parts
                        .iter()
                        .map(|p| p.get(l).cloned().unwrap_or_default())
                        .collect(),
                );
            }
        }
        self.rows = out;
    }

    /// The table as markdown lines (no fence), its cells escaped as text.
    pub fn render(&self) -> String {
        self.render_cells(md_text)
    }

    fn render_cells(&self, cell: fn(&str) -> String) -> String {
        let mut t = self.clone();
        for r in t.rows.iter_mut() {
            for c in r.iter_mut() {
                *c = cell(c);
            }
        }
        for (i, a) in t.aligns.iter_mut().enumerate() {
            if *a == Align::Auto {
                let cells: Vec<&String> =
                    t.rows.iter().map(|r| &r[i]).filter(|c| *c != "-").collect();
                *a = if !cells.is_empty() && cells.iter().all(|c| numeric(c)) {
                    Align::Right
                } else {
                    Align::Left
                };
            }
        }
        t.fit(MAX_WIDTH);
        let w = t.widths();
        // A table whose headers alone are too wide for padded cells drops the padding spaces.
        let pad_space = if Self::line_width(&w) > MAX_WIDTH {
            ""
        } else {
            " "
        };
        let pad = |s: &str, i: usize| {
            let n = w[i] - width(s);
            match t.aligns[i] {
                Align::Right => format!("{}{s}", " ".repeat(n)),
                Align::Left | Align::Auto => format!("{s}{}", " ".repeat(n)),
                Align::Center => {
                    format!("{}{s}{}", " ".repeat(n / 2), " ".repeat(n - n / 2))
                }
            }
        };
        let line = |cells: Vec<String>| {
            format!(
                "|{pad_space}{}{pad_space}|\n",
                cells.join(&format!("{pad_space}|{pad_space}"))
            )
        };
        let mut out = line(
            t.headers
                .iter()
                .enumerate()
                .map(|(i, h)| pad(h, i))
                .collect(),
        );
        // The divider has no padding spaces: the dashes span the cell, colons at its edges.
        let divider: Vec<String> = t
            .aligns
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let n = w[i] + 2 * pad_space.len();
                match a {
                    Align::Left | Align::Auto => format!(":{}", "-".repeat(n - 1)),
                    Align::Right => format!("{}:", "-".repeat(n - 1)),
                    Align::Center => format!(":{}:", "-".repeat(n.saturating_sub(2).max(1))),
                }
            })
            .collect();
        out.push_str(&format!("|{}|\n", divider.join("|")));
        for r in &t.rows {
            out.push_str(&line(
                r.iter().enumerate().map(|(i, c)| pad(c, i)).collect(),
            ));
        }
        out
    }

    /// The table inside a fenced block (where markup is inert).
    pub fn fenced(&self) -> String {
        format!("```\n{}```\n", self.render_cells(fenced_cell))
    }
}

/// Problems with the tables of a markdown document, per the rules above; empty when fine.
pub fn check_tables(doc: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut in_fence = false;
    let mut block: Vec<(usize, &str)> = Vec::new();
    let lines: Vec<&str> = doc.lines().collect();
    for (n, line) in lines.iter().enumerate() {
        let ln = n + 1;
        if line.trim_start().starts_with("```") {
            if in_fence {
                check_block(&block, &mut problems);
                block.clear();
            }
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            block.push((ln, line));
        } else if line.trim_start().starts_with('|') {
            problems.push(format!("line {ln}: table row outside a fenced block"));
        }
    }
    if in_fence {
        problems.push("unclosed fenced block".to_string());
    }
    problems
}

fn cells(line: &str) -> Vec<String> {
    let t = line.trim();
    let inner = t.strip_prefix('|').unwrap_or(t);
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek() == Some(&'|') {
            cur.push('|');
            chars.next();
        } else if c == '|' {
            out.push(cur.trim().to_string());
            cur.clear();
        } else {
            cur.push(c);
        }
    }
    out.push(cur.trim().to_string());
    out
}

fn numeric(s: &str) -> bool {
    let t = s
        .trim_start_matches(['$', '~', '<'])
        .trim_end_matches(['%', 'x']);
    !t.is_empty()
        && t.chars().any(|c| c.is_ascii_digit())
        && t.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '-' | '+'))
}

fn check_block(block: &[(usize, &str)], problems: &mut Vec<String>) {
    let rows: Vec<&(usize, &str)> = block
        .iter()
        .filter(|(_, l)| l.trim_start().starts_with('|'))
        .collect();
    if rows.is_empty() || block.iter().any(|(_, l)| l.trim_start().starts_with('+')) {
        return; // a code block or an ASCII drawing, not a table
    }
    if rows.len() != block.len() {
        let (ln, _) = block[0];
        problems.push(format!(
            "line {ln}: a table's fenced block holds other text too"
        ));
    }
    if rows.len() < 2 {
        problems.push(format!("line {}: table without a divider row", rows[0].0));
        return;
    }
    let header = cells(rows[0].1);
    let divider = cells(rows[1].1);
    let cols = header.len();
    for (ln, line) in &rows {
        if line.chars().count() > MAX_WIDTH {
            problems.push(format!(
                "line {ln}: {} characters, over {MAX_WIDTH}",
                line.chars().count()
            ));
        }
        if cells(line).len() != cols {
            problems.push(format!(
                "line {ln}: {} cells, the header has {cols}",
                cells(line).len()
            ));
        }
    }
    for (i, d) in divider.iter().enumerate() {
        let ok = d.len() >= 3 && d.trim_matches(':').chars().all(|c| c == '-');
        if !ok || !(d.starts_with(':') || d.ends_with(':')) {
            problems.push(format!(
                "line {}: divider cell {} (`{d}`) needs dashes and an alignment colon",
                rows[1].0,
                i + 1
            ));
            continue;
        }
        let data: Vec<String> = rows[2..]
            .iter()
            .filter_map(|(_, l)| cells(l).get(i).cloned())
            .filter(|c| c != "-" && !c.is_empty())
            .collect();
        if data.is_empty() {
            continue;
        }
        let all_numbers = data.iter().all(|c| numeric(c));
        let right = d.ends_with(':') && !d.starts_with(':');
        if all_numbers && !right {
            problems.push(format!(
                "line {}: column `{}` holds numbers but is not right-aligned",
                rows[1].0,
                header.get(i).map_or("", String::as_str)
            ));
        }
        if !all_numbers && right {
            problems.push(format!(
                "line {}: column `{}` holds text but is right-aligned",
                rows[1].0,
                header.get(i).map_or("", String::as_str)
            ));
        }
    }
    for (i, h) in header.iter().enumerate() {
        if h.chars().count() > 24 {
            problems.push(format!("column {} header `{h}` is long", i + 1));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_tables_keep_every_word_and_fit() {
        let mut t = MdTable::new(&[
            ("Name", Align::Left),
            ("Purpose", Align::Left),
            ("RPS", Align::Right),
        ])
        .keep_whole(&[0])
        .wrap();
        let purpose = "Which orders contain a product, newest first, for the product page and \
                       the buyers' report that finance reads every Monday morning";
        t.row(["  OrderItemsByProductAndDateForReports", purpose, "12"]);
        t.row(["Short", "x", "3"]);
        let out = t.fenced();
        assert!(check_tables(&out).is_empty(), "{out}");
        assert!(!out.contains('…'), "{out}");
        assert!(
            out.contains("|   OrderItemsByProductAndDateForReports |"),
            "{out}"
        );
        let words: Vec<&str> = out
            .lines()
            .skip(3)
            .filter_map(|l| l.split('|').nth(2))
            .flat_map(str::split_whitespace)
            .collect();
        let expected: Vec<&str> = purpose.split_whitespace().chain(["x"]).collect();
        assert_eq!(words, expected);
    }

    #[test]
    fn a_word_wider_than_its_column_is_cut_but_never_inside_an_escape() {
        for w in 2..12 {
            for line in wrap_text("abc\\|defghij\\|klmnop", w) {
                assert!(line.chars().count() <= w, "{line} over {w}");
                assert!(!line.ends_with('\\'), "{line} ends inside an escape");
            }
        }
        assert_eq!(wrap_text("", 5), vec![String::new()]);
    }

    #[test]
    fn renders_aligned_fenced_tables_that_pass_the_checker() {
        let mut t = MdTable::new(&[("APID", Align::Left), ("RPS", Align::Right)]);
        t.row(["AP1", "50"]);
        t.row(["AP10", "1200"]);
        let doc = t.fenced();
        assert_eq!(
            doc,
            "```\n| APID |  RPS |\n|:-----|-----:|\n| AP1  |   50 |\n| AP10 | 1200 |\n```\n"
        );
        assert!(check_tables(&doc).is_empty(), "{:?}", check_tables(&doc));
    }

    #[test]
    fn long_text_is_shortened_to_fit() {
        let mut t = MdTable::new(&[("Purpose", Align::Left), ("N", Align::Right)]);
        t.row(["x".repeat(300), "1".to_string()]);
        let doc = t.fenced();
        assert!(doc.lines().all(|l| l.chars().count() <= MAX_WIDTH));
        assert!(doc.contains('…'));
        assert!(check_tables(&doc).is_empty(), "{:?}", check_tables(&doc));
    }

    #[test]
    fn pipes_in_cells_are_escaped_and_rows_padded() {
        let mut t = MdTable::new(&[("A", Align::Left), ("B", Align::Left)]);
        t.row(["a|b"]);
        let doc = t.fenced();
        assert!(doc.contains("a\\|b"));
        assert!(check_tables(&doc).is_empty(), "{:?}", check_tables(&doc));
    }

    #[test]
    fn the_checker_finds_each_kind_of_problem() {
        let unfenced = "| A |\n|:--|\n| x |\n";
        assert!(check_tables(unfenced)[0].contains("outside a fenced block"));
        let no_colon = "```\n| A |\n|---|\n| x |\n```\n";
        assert!(check_tables(no_colon)[0].contains("alignment colon"));
        let ragged = "```\n| A | B |\n|:--|:--|\n| x |\n```\n";
        assert!(check_tables(ragged)[0].contains("1 cells"));
        let numbers_left = "```\n| N |\n|:--|\n| 12 |\n```\n";
        assert!(check_tables(numbers_left)[0].contains("not right-aligned"));
        let wide = format!("```\n| A |\n|:--|\n| {} |\n```\n", "x".repeat(120));
        assert!(check_tables(&wide)[0].contains("over 100"));
    }
}
