//! Prints the size of the fit state for a few capacities: `cargo run --release --example sizes`.
use core::mem::size_of;
use vireg::{Fit, Stats};
fn main() {
    println!(
        "Fit<f32, 8>  {} bytes (Stats {} bytes)",
        size_of::<Fit<f32, 8>>(),
        size_of::<Stats<f32, 8>>()
    );
    println!("Fit<f32, 16> {} bytes", size_of::<Fit<f32, 16>>());
    println!("Fit<f64, 8>  {} bytes", size_of::<Fit<f64, 8>>());
    println!("Fit<f64, 16> {} bytes", size_of::<Fit<f64, 16>>());
}
