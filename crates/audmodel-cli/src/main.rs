//! The `audmodel` command line.

fn main() {
    println!("audmodel");
}
