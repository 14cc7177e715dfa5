//! The SVG of an SVI loss trace, drawn with plotters: the whole run and its last steps, side by
//! side.

use plotters::prelude::*;

/// Steps shown in the second panel.
const TAIL: usize = 1000;
/// Picture size in pixels.
const SIZE: (u32, u32) = (960, 400);
/// The loss line's colour (matplotlib's first).
const LINE: RGBColor = RGBColor(0x1f, 0x77, 0xb4);

/// The SVG of `losses` (the loss of step k at index k) for the data file called `name`.
pub fn svg(losses: &[f64], name: &str) -> Result<String, String> {
    let mut out = String::new();
    draw(&mut out, losses, name).map_err(|e| format!("cannot draw the plot: {e}"))?;
    Ok(out)
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

fn draw(out: &mut String, losses: &[f64], name: &str) -> DrawResult {
    let root = SVGBackend::with_string(out, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(
        &format!("SVI loss (−ELBO), {name}"),
        ("sans-serif", 20).into_font(),
    )?;
    let panels = root.split_evenly((1, 2));
    let n = losses.len();
    panel(&panels[0], &format!("all {n} steps"), 0, losses)?;
    let tail = n.min(TAIL);
    panel(
        &panels[1],
        &format!("last {tail} steps"),
        n - tail,
        &losses[n - tail..],
    )?;
    root.present()?;
    Ok(())
}

/// One panel: axes with ticks and labels and the line of `losses` (step `first + k` for entry k).
fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    first: usize,
    losses: &[f64],
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (mut lo, mut hi) = losses
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    // A flat (or one-point) trace still gets a y range to draw in.
    if hi - lo <= 1e-12 * hi.abs().max(lo.abs()).max(1e-300) {
        let d = if hi == 0.0 { 1.0 } else { 0.5 * hi.abs() };
        lo -= d;
        hi += d;
    }
    let pad = 0.03 * (hi - lo);
    let n = losses.len();
    let (xa, xb) = (first as f64, (first + n.max(2) - 1) as f64);
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 17))
        .margin(10)
        .x_label_area_size(36)
        .y_label_area_size(72)
        .build_cartesian_2d(xa..xb, (lo - pad)..(hi + pad))?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(5)
        .y_labels(6)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 15))
        .x_desc("step")
        .y_desc("ELBO loss")
        .draw()?;
    let width = chart.plotting_area().dim_in_pixel().0 as usize;
    let points = decimate(losses, width.max(1)).map(|k| ((first + k) as f64, losses[k]));
    chart.draw_series(LineSeries::new(points, LINE))?;
    Ok(())
}

/// The indices of `v` to draw on `cols` pixel columns: all of them when there are at most two
/// per column, else each column's lowest and highest in index order, so every spike shows.
fn decimate(v: &[f64], cols: usize) -> impl Iterator<Item = usize> + '_ {
    let n = v.len();
    let all = n <= 2 * cols;
    let mut k = 0;
    let per_column = (0..if all { 0 } else { cols }).flat_map(move |c| {
        let end = ((c + 1) * n / cols).max(k + 1);
        let (mut kmin, mut kmax) = (k, k);
        for j in k..end {
            if v[j] < v[kmin] {
                kmin = j;
            }
            if v[j] > v[kmax] {
                kmax = j;
            }
        }
        k = end;
        let (a, b) = (kmin.min(kmax), kmin.max(kmax));
        std::iter::once(a).chain((a != b).then_some(b))
    });
    (0..if all { n } else { 0 }).chain(per_column)
}

#[cfg(test)]
mod tests {
    use super::decimate;

    #[test]
    fn decimation_keeps_each_columns_extremes_in_order() {
        let v: Vec<f64> = (0..1000).map(|k| ((k * 37) % 101) as f64).collect();
        let ks: Vec<usize> = decimate(&v, 10).collect();
        assert!(ks.len() <= 20 && ks.len() >= 10);
        assert!(ks.windows(2).all(|w| w[0] < w[1]));
        for c in 0..10 {
            let col = &v[c * 100..(c + 1) * 100];
            let (lo, hi) = col
                .iter()
                .fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
            let drawn: Vec<f64> = ks
                .iter()
                .filter(|&&k| k / 100 == c)
                .map(|&k| v[k])
                .collect();
            assert!(drawn.contains(&lo) && drawn.contains(&hi), "column {c}");
        }
        assert_eq!(
            decimate(&v[..15], 10).collect::<Vec<_>>(),
            (0..15).collect::<Vec<_>>()
        );
    }
}
