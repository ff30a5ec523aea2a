//! SVG charts of a benchmark run (plotters), and compact text bars for the document itself.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use rust_decimal::prelude::ToPrimitive;

use crate::design::Design;
use crate::workload::measured::{Merged, Summary};

/// The percentiles charted.
pub const PERCENTILES: [(f64, &str); 5] = [
    (0.50, "p50"),
    (0.90, "p90"),
    (0.95, "p95"),
    (0.99, "p99"),
    (0.999, "p99.9"),
];

/// Okabe and Ito's palette, told apart with any colour vision (its yellow last: it is the
/// hardest to see on white).
const COLORS: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(213, 94, 0),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(90, 90, 90),
    RGBColor(200, 180, 0),
];

/// The shape marking each point of a series, so that series differ by more than colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Marker {
    /// A filled circle.
    Circle,
    /// A filled triangle.
    Triangle,
    /// A filled square.
    Square,
    /// A cross.
    Cross,
}

const MARKERS: [Marker; 4] = [
    Marker::Circle,
    Marker::Triangle,
    Marker::Square,
    Marker::Cross,
];

/// The style of series number `i`: colour and marker vary together so that the first 32
/// series all differ (every colour meets every marker before a pair repeats).
pub fn series_style(i: usize) -> (RGBColor, Marker) {
    (
        COLORS[i % COLORS.len()],
        MARKERS[(i + i / COLORS.len()) % MARKERS.len()],
    )
}

fn err<E: std::fmt::Display>(e: E) -> String {
    format!("chart: {e}")
}

/// One pattern's line: its figures, its style number and whether it writes.
struct Line<'a> {
    merged: &'a Merged,
    style: usize,
    write: bool,
}

/// The charted patterns in the design's order, each with the style of its place in the
/// design (the same pattern keeps its look from run to run).
fn lines<'a>(d: &Design, merged: &[&'a Merged]) -> Vec<Line<'a>> {
    d.access_patterns
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let m = merged.iter().find(|m| m.id == p.id && m.count > 0)?;
            Some(Line {
                merged: m,
                style: i,
                write: p.is_write(),
            })
        })
        .collect()
}

fn target_of(d: &Design, write: bool) -> f64 {
    let t = if write {
        d.app.sla.write_p95_ms
    } else {
        d.app.sla.read_p95_ms
    };
    t.to_f64().unwrap_or(0.0)
}

const PANEL_W: u32 = 520;
const LEGEND_W: u32 = 210;
const ROW_H: u32 = 22;
const FONT: (&str, u32) = ("sans-serif", 14);

/// Canvas size: one panel per operation type, the legend in a column of its own, and room
/// for every legend row.
fn canvas(panels: usize, rows: usize) -> (u32, u32) {
    let w = PANEL_W * panels.max(1) as u32 + LEGEND_W;
    let h = (70 + ROW_H * rows as u32).max(480);
    (w, h)
}

fn draw_marker<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    at: (i32, i32),
    style: usize,
) -> Result<(), String> {
    let (color, marker) = series_style(style);
    match marker {
        Marker::Circle => area.draw(&Circle::new(at, 4, color.filled())),
        Marker::Triangle => area.draw(&TriangleMarker::new(at, 6, color.filled())),
        Marker::Square => area.draw(&Rectangle::new(
            [(at.0 - 4, at.1 - 4), (at.0 + 4, at.1 + 4)],
            color.filled(),
        )),
        Marker::Cross => area.draw(&Cross::new(at, 5, color.stroke_width(2))),
    }
    .map_err(err)
}

/// The legend, outside every plot: a sample of each line with its marker, id and operation.
fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    lines: &[Line<'_>],
) -> Result<(), String> {
    area.draw(&Text::new(
        "Patterns",
        (10, 30),
        FONT.into_font().style(FontStyle::Bold),
    ))
    .map_err(err)?;
    for (row, l) in lines.iter().enumerate() {
        let y = 60 + (row as u32 * ROW_H) as i32;
        let (color, _) = series_style(l.style);
        area.draw(&PathElement::new(
            vec![(10, y), (40, y)],
            color.stroke_width(2),
        ))
        .map_err(err)?;
        draw_marker(area, (25, y), l.style)?;
        area.draw(&Text::new(
            format!("{} {}", l.merged.id, l.merged.api),
            (48, y - 7),
            FONT.into_font(),
        ))
        .map_err(err)?;
    }
    Ok(())
}

/// Latency bounds of a panel on a log axis, with room above the highest value and the target.
fn bounds(values: impl Iterator<Item = f64>, target: f64) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| *v > 0.0)
        .fold((f64::MAX, target.max(0.001)), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    let lo = if lo == f64::MAX {
        target
    } else {
        lo.min(target)
    };
    ((lo * 0.7).max(0.001), hi * 1.6)
}

fn ms_label(v: &f64) -> String {
    if *v >= 10.0 {
        format!("{v:.0} ms")
    } else if *v >= 1.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.2} ms")
    }
}

/// The panels of a chart: reads first, then writes, each with the lines of its kind.
fn panels<'a, 'b>(lines: &'b [Line<'a>]) -> Vec<(bool, Vec<&'b Line<'a>>)> {
    [false, true]
        .into_iter()
        .map(|write| {
            (
                write,
                lines
                    .iter()
                    .filter(|l| l.write == write)
                    .collect::<Vec<_>>(),
            )
        })
        .filter(|(_, ls)| !ls.is_empty())
        .collect()
}

/// Latency by percentile (p50 to p99.9) on a log axis: reads and writes in panels of their
/// own, each with its p95 target drawn and labelled, the legend beside them. SVG text.
pub fn percentiles_svg(d: &Design, merged: &[&Merged]) -> Result<String, String> {
    let lines = lines(d, merged);
    let panels = panels(&lines);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, canvas(panels.len(), lines.len()))
            .into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let (plots, key) = root.split_horizontally(PANEL_W * panels.len().max(1) as u32);
        legend(&key, &lines)?;
        let areas = plots.split_evenly((1, panels.len().max(1)));
        let last = (PERCENTILES.len() - 1) as f64;
        for ((write, ls), area) in panels.iter().zip(&areas) {
            let target = target_of(d, *write);
            let (lo, hi) = bounds(
                ls.iter()
                    .flat_map(|l| PERCENTILES.iter().map(|(q, _)| l.merged.latency_ms(*q))),
                target,
            );
            let mut chart = ChartBuilder::on(area)
                .caption(
                    if *write {
                        "Writes: latency by percentile"
                    } else {
                        "Reads: latency by percentile"
                    },
                    ("sans-serif", 18),
                )
                .margin(20)
                .x_label_area_size(40)
                .y_label_area_size(75)
                .build_cartesian_2d(-0.2f64..last + 0.2, (lo..hi).log_scale())
                .map_err(err)?;
            chart
                .configure_mesh()
                .x_labels(PERCENTILES.len())
                .x_label_formatter(&|x| {
                    PERCENTILES
                        .iter()
                        .enumerate()
                        .find(|(i, _)| (*i as f64 - x).abs() < 0.01)
                        .map_or(String::new(), |(_, (_, l))| (*l).to_string())
                })
                .y_labels(12)
                .y_label_formatter(&ms_label)
                .y_desc("latency from intended start (log scale)")
                .label_style(FONT)
                .draw()
                .map_err(err)?;
            target_line(&mut chart, (-0.2, last + 0.2), target, *write)?;
            for l in ls {
                let (color, marker) = series_style(l.style);
                let points: Vec<(f64, f64)> = PERCENTILES
                    .iter()
                    .enumerate()
                    .map(|(x, (q, _))| (x as f64, l.merged.latency_ms(*q).max(lo)))
                    .collect();
                chart
                    .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
                    .map_err(err)?;
                markers(&mut chart, &points, color, marker)?;
            }
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}

type Chart<'a, DB, X, Y> = ChartContext<'a, DB, Cartesian2d<X, Y>>;

fn markers<DB: DrawingBackend, X, Y>(
    chart: &mut Chart<'_, DB, X, Y>,
    points: &[(f64, f64)],
    color: RGBColor,
    marker: Marker,
) -> Result<(), String>
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let at = points.iter().copied();
    match marker {
        Marker::Circle => chart
            .draw_series(at.map(|p| Circle::new(p, 4, color.filled())))
            .map(|_| ()),
        Marker::Triangle => chart
            .draw_series(at.map(|p| TriangleMarker::new(p, 6, color.filled())))
            .map(|_| ()),
        Marker::Square => {
            chart
                .draw_series(at.map(|p| {
                    EmptyElement::at(p) + Rectangle::new([(-4, -4), (4, 4)], color.filled())
                }))
                .map(|_| ())
        }
        Marker::Cross => chart
            .draw_series(at.map(|p| Cross::new(p, 5, color.stroke_width(2))))
            .map(|_| ()),
    }
    .map_err(err)
}

/// The p95 target as a dashed line across the plot, labelled at its left end.
fn target_line<DB: DrawingBackend, X>(
    chart: &mut Chart<'_, DB, X, LogCoord<f64>>,
    (x0, x1): (f64, f64),
    target: f64,
    write: bool,
) -> Result<(), String>
where
    X: Ranged<ValueType = f64>,
{
    if target <= 0.0 {
        return Ok(());
    }
    chart
        .draw_series(DashedLineSeries::new(
            vec![(x0, target), (x1, target)],
            6,
            4,
            BLACK.stroke_width(1),
        ))
        .map_err(err)?;
    let label = format!(
        "{} p95 target {} ms",
        if write { "write" } else { "read" },
        target
    );
    chart
        .draw_series(std::iter::once(
            EmptyElement::at((x0, target)) + Text::new(label, (8, -18), FONT.into_font()),
        ))
        .map_err(err)?;
    Ok(())
}

/// Share of calls by latency (log-spaced bins from 0.1 ms to 10 s) on a log latency axis:
/// reads and writes in panels of their own, each target drawn as a labelled vertical line.
pub fn distribution_svg(d: &Design, merged: &[&Merged]) -> Result<String, String> {
    // Bin edges in microseconds: 100 us * 10^(k/10).
    let edges: Vec<f64> = (0..=50)
        .map(|k| 100.0 * 10f64.powf(f64::from(k) / 10.0))
        .collect();
    let lines = lines(d, merged);
    let panels = panels(&lines);
    let shares_of = |m: &Merged| {
        let total = m.latency.len().max(1) as f64;
        let mut shares = vec![0f64; edges.len() - 1];
        for v in m.latency.iter_recorded() {
            let us = v.value_iterated_to() as f64;
            let bin = edges
                .iter()
                .rposition(|e| *e <= us)
                .unwrap_or(0)
                .min(shares.len() - 1);
            shares[bin] += v.count_at_value() as f64 / total;
        }
        shares
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, canvas(panels.len(), lines.len()))
            .into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let (plots, key) = root.split_horizontally(PANEL_W * panels.len().max(1) as u32);
        legend(&key, &lines)?;
        let areas = plots.split_evenly((1, panels.len().max(1)));
        for ((write, ls), area) in panels.iter().zip(&areas) {
            let series: Vec<(&Line<'_>, Vec<f64>)> =
                ls.iter().map(|l| (*l, shares_of(l.merged))).collect();
            let target = target_of(d, *write);
            // The latency range that holds calls, and the target.
            let used = |(k, s): (usize, &f64)| (*s > 0.0).then_some(k);
            let first = series
                .iter()
                .filter_map(|(_, sh)| sh.iter().enumerate().find_map(used))
                .min()
                .unwrap_or(0);
            let last = series
                .iter()
                .filter_map(|(_, sh)| sh.iter().enumerate().filter_map(used).next_back())
                .max()
                .unwrap_or(edges.len() - 2);
            let lo = (edges[first] / 1000.0).min(target.max(0.1)) * 0.7;
            let hi = (edges[last + 1] / 1000.0).max(target) * 1.5;
            let top = series
                .iter()
                .flat_map(|(_, sh)| sh.iter().copied())
                .fold(0.01f64, f64::max)
                * 1.25;
            let mut chart = ChartBuilder::on(area)
                .caption(
                    if *write {
                        "Writes: share of calls by latency"
                    } else {
                        "Reads: share of calls by latency"
                    },
                    ("sans-serif", 18),
                )
                .margin(20)
                .x_label_area_size(45)
                .y_label_area_size(60)
                .build_cartesian_2d((lo..hi).log_scale(), 0f64..top)
                .map_err(err)?;
            chart
                .configure_mesh()
                .x_labels(12)
                .x_label_formatter(&ms_label)
                .y_label_formatter(&|v| format!("{:.0} %", v * 100.0))
                .x_desc("latency from intended start (log scale)")
                .y_desc("share of calls")
                .label_style(FONT)
                .draw()
                .map_err(err)?;
            if target > 0.0 {
                chart
                    .draw_series(DashedLineSeries::new(
                        vec![(target, 0.0), (target, top)],
                        6,
                        4,
                        BLACK.stroke_width(1),
                    ))
                    .map_err(err)?;
                // Labelled on the side with room: left of the line, where the calls are
                // mostly drawn to its left it would cover them less, but it must stay inside.
                let label_right = (target / lo).ln() > (hi / lo).ln() * 0.6;
                let (dx, pos) = if label_right {
                    (-6, Pos::new(HPos::Right, VPos::Top))
                } else {
                    (6, Pos::new(HPos::Left, VPos::Top))
                };
                chart
                    .draw_series(std::iter::once(
                        EmptyElement::at((target, top))
                            + Text::new(
                                format!("p95 target {target} ms"),
                                (dx, 4),
                                TextStyle::from(FONT.into_font()).pos(pos),
                            ),
                    ))
                    .map_err(err)?;
            }
            for (l, shares) in &series {
                let (color, marker) = series_style(l.style);
                let points: Vec<(f64, f64)> = shares
                    .iter()
                    .enumerate()
                    .map(|(k, s)| ((edges[k] * edges[k + 1]).sqrt() / 1000.0, *s))
                    .filter(|(x, _)| *x >= lo && *x <= hi)
                    .collect();
                chart
                    .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
                    .map_err(err)?;
                // Markers where calls landed, so an empty bin stays a plain line.
                let landed: Vec<(f64, f64)> =
                    points.into_iter().filter(|(_, s)| *s > 0.0).collect();
                markers(&mut chart, &landed, color, marker)?;
            }
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// Text bars of p50 / p95 / p99 per pattern, scaled to the slowest value shown.
pub fn text_bars(s: &[&Summary]) -> String {
    let top = s.iter().map(|x| x.p99_ms).fold(0.0f64, f64::max).max(0.001);
    let width = 40.0;
    let mut out = String::new();
    for x in s {
        for (label, v) in [("p50", x.p50_ms), ("p95", x.p95_ms), ("p99", x.p99_ms)] {
            let n = ((v / top) * width).round() as usize;
            let id = if label == "p50" { x.id.as_str() } else { "" };
            out.push_str(&format!(
                "{id:<6} {label} |{:<40}| {v:>9.2} ms\n",
                "#".repeat(n.min(40))
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_32_series_all_look_different() {
        let styles: std::collections::BTreeSet<((u8, u8, u8), u8)> = (0..32)
            .map(|i| {
                let (c, m) = series_style(i);
                ((c.0, c.1, c.2), m as u8)
            })
            .collect();
        assert_eq!(styles.len(), 32);
    }
}
