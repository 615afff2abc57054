//! `cargo run --release --example decode_file FILE`: pass 1 and the JSON of every
//! field of one message, timed (for profiling the core without Python).
use std::time::Instant;

use wiretool_core::engine::{Cursor, Engine};
use wiretool_core::json::{JsonWriter, Sink};

struct Count(usize);

impl Sink for Count {
    type Error = ();
    fn write(&mut self, chunk: &[u8]) -> Result<(), ()> {
        self.0 += chunk.len();
        Ok(())
    }
}

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: decode_file FILE");
        std::process::exit(2);
    };
    let data = std::fs::read(&path).unwrap_or_default();
    let start = Instant::now();
    let mut engine = Engine::new(100, None);
    let fault = engine.gather(&data, 0, data.len());
    let gathered = start.elapsed();
    let stop = fault.map_or(data.len(), |f| f.resume);
    let mut sink = Count(0);
    let mut writer = JsonWriter::new(&mut sink);
    let mut cursor = Cursor::default();
    while engine.walk_field(0, &data, data.len(), stop, false, &mut cursor, &mut writer).unwrap_or(false) {}
    let _ = writer.finish();
    println!(
        "pass 1 {:?}, pass 2 + JSON {:?}, {} bytes of JSON",
        gathered,
        start.elapsed() - gathered,
        sink.0
    );
}
