//! SVG charts of a benchmark run (plotters), and compact text bars for the document itself.

use plotters::prelude::*;

use crate::workload::measured::{Merged, Summary};

/// The percentiles charted.
pub const PERCENTILES: [(f64, &str); 5] = [
    (0.50, "p50"),
    (0.90, "p90"),
    (0.95, "p95"),
    (0.99, "p99"),
    (0.999, "p99.9"),
];

fn palette(i: usize) -> RGBColor {
    const COLORS: [RGBColor; 8] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
    ];
    COLORS[i % COLORS.len()]
}

fn err<E: std::fmt::Display>(e: E) -> String {
    format!("chart: {e}")
}

/// Latency percentiles of each pattern (lines over p50..p99.9), as SVG text.
pub fn percentiles_svg(merged: &[&Merged], target_ms: Option<f64>) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 500)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let top = merged
            .iter()
            .map(|m| m.latency_ms(0.999))
            .fold(target_ms.unwrap_or(1.0), f64::max)
            * 1.1;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                "Latency from intended start, by percentile (ms)",
                ("sans-serif", 20),
            )
            .margin(15)
            .x_label_area_size(35)
            .y_label_area_size(55)
            .build_cartesian_2d(0f64..(PERCENTILES.len() - 1) as f64, 0f64..top.max(0.1))
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_labels(PERCENTILES.len())
            .x_label_formatter(&|x| {
                PERCENTILES
                    .get(x.round() as usize)
                    .map_or(String::new(), |(_, l)| (*l).to_string())
            })
            .y_desc("ms")
            .draw()
            .map_err(err)?;
        if let Some(t) = target_ms {
            chart
                .draw_series(LineSeries::new(
                    vec![(0.0, t), ((PERCENTILES.len() - 1) as f64, t)],
                    ShapeStyle::from(&BLACK).stroke_width(1),
                ))
                .map_err(err)?
                .label(format!("p95 target {t} ms"))
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK));
        }
        for (i, m) in merged.iter().enumerate() {
            let color = palette(i);
            let points: Vec<(f64, f64)> = PERCENTILES
                .iter()
                .enumerate()
                .map(|(x, (q, _))| (x as f64, m.latency_ms(*q)))
                .collect();
            chart
                .draw_series(LineSeries::new(
                    points,
                    ShapeStyle::from(&color).stroke_width(2),
                ))
                .map_err(err)?
                .label(m.id.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
        }
        chart
            .configure_series_labels()
            .border_style(BLACK)
            .background_style(WHITE.mix(0.8))
            .position(SeriesLabelPosition::UpperLeft)
            .draw()
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// Share of calls by latency (log-spaced bins from 0.1 ms to 10 s), one line per pattern.
pub fn distribution_svg(merged: &[&Merged]) -> Result<String, String> {
    // Bin edges in microseconds: 100 us * 10^(k/10).
    let edges: Vec<f64> = (0..=50)
        .map(|k| 100.0 * 10f64.powf(f64::from(k) / 10.0))
        .collect();
    let mut series = Vec::new();
    let mut top: f64 = 0.01;
    for m in merged {
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
        top = shares.iter().copied().fold(top, f64::max);
        series.push(shares);
    }
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 500)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                "Latency distribution (share of calls, log-spaced bins)",
                ("sans-serif", 20),
            )
            .margin(15)
            .x_label_area_size(35)
            .y_label_area_size(55)
            .build_cartesian_2d(-1f64..4f64, 0f64..top * 1.1)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_labels(6)
            .x_label_formatter(&|x| format!("{} ms", 10f64.powf(*x)))
            .x_desc("latency (log scale)")
            .y_desc("share of calls")
            .draw()
            .map_err(err)?;
        for (i, (m, shares)) in merged.iter().zip(&series).enumerate() {
            let color = palette(i);
            let points: Vec<(f64, f64)> = shares
                .iter()
                .enumerate()
                .map(|(k, s)| ((edges[k] / 1000.0).log10() + 0.05, *s))
                .collect();
            chart
                .draw_series(LineSeries::new(
                    points,
                    ShapeStyle::from(&color).stroke_width(2),
                ))
                .map_err(err)?
                .label(m.id.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
        }
        chart
            .configure_series_labels()
            .border_style(BLACK)
            .background_style(WHITE.mix(0.8))
            .draw()
            .map_err(err)?;
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
