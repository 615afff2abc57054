//! Where pass 1 and pass 2 spend their time on one input, one thread and two:
//! `cargo run --release --example phases -- FILE` (see docs/performance.md).
//! `phases FILE json`: pass 1 and one plain walk with its JSON, once (for callgrind);
//! `phases FILE piped`: the same on two threads (`--separate-threads=yes`).
use std::time::Instant;

use wiretool_core::engine::{Cursor, Engine, FieldEvent, Visitor};
use wiretool_core::json::{Heads, JsonWriter, Sink};
use wiretool_core::pipeline;

struct Nothing;

impl Visitor for Nothing {
    type Error = ();
    fn field(&mut self, _: &FieldEvent<'_>) -> Result<(), ()> {
        Ok(())
    }
    fn end_children(&mut self) -> Result<(), ()> {
        Ok(())
    }
}

struct Count(usize);

impl Sink for Count {
    type Error = ();
    fn write(&mut self, chunk: &[u8]) -> Result<(), ()> {
        self.0 += chunk.len();
        Ok(())
    }
}

fn gathered(data: &[u8], threads: bool) -> (Engine, usize, f64) {
    let mut engine = Engine::new(100, None);
    engine.set_threads(threads, wiretool_core::engine::SPLIT_MIN);
    let started = Instant::now();
    let stop = engine.gather(data, 0, data.len()).map_or(data.len(), |fault| fault.resume);
    (engine, stop, started.elapsed().as_secs_f64())
}

fn main() {
    let path = std::env::args().nth(1).expect("usage: phases FILE");
    let data = std::fs::read(path).expect("readable file");
    if std::env::args().nth(2).as_deref() == Some("piped") {
        let (mut engine, stop, _) = gathered(&data, false);
        let mut sink = Count(0);
        let _ = pipeline::write_json(&mut engine, 0, &data, (0, data.len(), stop), false, 1 << 20, Heads::default(), &mut sink);
        println!("{} bytes of JSON", sink.0);
        return;
    }
    if std::env::args().nth(2).as_deref() == Some("json") {
        let (mut engine, stop, _) = gathered(&data, false);
        let mut sink = Count(0);
        let mut writer = JsonWriter::new(&mut sink);
        let mut cursor = Cursor::default();
        while engine.walk_field(0, &data, data.len(), stop, false, &mut cursor, &mut writer).unwrap_or(false) {}
        let _ = writer.finish();
        println!("{} bytes of JSON", sink.0);
        return;
    }
    for round in 0..3 {
        let (_, _, one) = gathered(&data, false);
        let (_, _, two) = gathered(&data, true);

        let (mut engine, stop, _) = gathered(&data, false);
        let started = Instant::now();
        let mut cursor = Cursor::default();
        while engine.walk_field(0, &data, data.len(), stop, false, &mut cursor, &mut Nothing).unwrap_or(false) {}
        let walk = started.elapsed().as_secs_f64();

        let (mut engine, stop, _) = gathered(&data, false);
        let started = Instant::now();
        let mut sink = Count(0);
        let mut writer = JsonWriter::new(&mut sink);
        let mut cursor = Cursor::default();
        while engine.walk_field(0, &data, data.len(), stop, false, &mut cursor, &mut writer).unwrap_or(false) {}
        let _ = writer.finish();
        let json = started.elapsed().as_secs_f64();

        let (mut engine, stop, _) = gathered(&data, false);
        let started = Instant::now();
        let mut piped = Count(0);
        let _ = pipeline::write_json(&mut engine, 0, &data, (0, data.len(), stop), false, 1 << 20, Heads::default(), &mut piped);
        let threaded = started.elapsed().as_secs_f64();
        println!(
            "round {round}: pass 1 {one:.3} s (two threads {two:.3}); pass 2 walk {walk:.3} s, walk + JSON {json:.3} s (two threads {threaded:.3}); {} MB of JSON",
            sink.0 / 1_000_000
        );
    }
}
