fn main() {
    println!("report placeholder");
}
