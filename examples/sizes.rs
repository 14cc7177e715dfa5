//! Prints the size of the fit state for a few capacities: `cargo run --release --example sizes`.
use core::mem::size_of;
use vireg::{Fit, FullFit, Stats};
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
}
