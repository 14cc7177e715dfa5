//! Prints the size of the fit state for a few capacities, and what a full-rank fit's is made
//! of: `cargo run --release --example sizes`.
use core::mem::size_of;
use vireg::{Adam, Fit, FullFit, FullGuide, Guide, Stats};

/// The parts of a fit of family `G`: the guide-shaped values and the rest.
fn breakdown<G, A>(name: &str, fit: usize, stats: usize) {
    let (g, a) = (size_of::<G>(), size_of::<A>());
    println!(
        "  {name}: {fit} B = guide {g} × 3 (guide, average, last good guide) + Adam {a} × 2 \
         (its state, the last good one) + summary {stats} + {} B of settings, generator, counters",
        fit - 3 * g - 2 * a - stats
    );
}

fn main() {
    println!(
        "Fit<f32, 8>  {} bytes (Stats {} bytes)",
        size_of::<Fit<f32, 8>>(),
        size_of::<Stats<f32, 8>>()
    );
    println!("Fit<f32, 16> {} bytes", size_of::<Fit<f32, 16>>());
    println!("Fit<f64, 8>  {} bytes", size_of::<Fit<f64, 8>>());
    println!("Fit<f64, 16> {} bytes", size_of::<Fit<f64, 16>>());
    println!("FullFit<f32, 8>  {} bytes", size_of::<FullFit<f32, 8>>());
    println!("FullFit<f32, 16> {} bytes", size_of::<FullFit<f32, 16>>());
    println!("FullFit<f64, 8>  {} bytes", size_of::<FullFit<f64, 8>>());
    println!("FullFit<f64, 16> {} bytes", size_of::<FullFit<f64, 16>>());
    println!(
        "Breakdown at P = 8, f32 (Adam's two moments share one triangle, docs/full-rank.md §9):"
    );
    breakdown::<Guide<f32, 8>, Adam<f32, 8>>(
        "Fit",
        size_of::<Fit<f32, 8>>(),
        size_of::<Stats<f32, 8>>(),
    );
    breakdown::<FullGuide<f32, 8>, Adam<f32, 8, FullGuide<f32, 8>>>(
        "FullFit",
        size_of::<FullFit<f32, 8>>(),
        size_of::<Stats<f32, 8>>(),
    );
}
