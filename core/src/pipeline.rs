//! Pass 2 and its JSON text on two threads.
//!
//! [`write_json`] gives the same text as the plain loop - [`Engine::walk_field`] into a
//! [`JsonWriter`] over a region, which stays the reference the tests compare it with -
//! in about half the time on a machine with two cores: the calling thread walks
//! (pass 2's readings, paths, schema checks, diagnostics) and records each event; a
//! second thread formats the events with the same [`JsonWriter`] and hands the text
//! back in chunks, which the calling thread writes to the sink in order. The sink is
//! only ever called on the calling thread (a Python callable needs the GIL there),
//! and nothing else is shared but the input and the schema, which both only read.
//!
//! Memory stays bounded whatever the input: at most [`IN_FLIGHT`] batches of
//! [`BATCH`] events are recorded ahead of the formatter, the chunks it made are
//! written whenever the walker ships a batch, and written chunks go back to it for
//! reuse. A region shorter than [`PARALLEL_MIN`] is not worth a thread.
#![forbid(unsafe_code)]

use std::convert::Infallible;
use std::sync::mpsc::{self, Receiver, Sender};

use crate::engine::{Cursor, Engine, FieldEvent, Visitor};
use crate::json::{Heads, JsonWriter, Sink, CHUNK};
use crate::rules::Kind;
use crate::scan::Raw;
use crate::schema::{FieldAt, Schema};

/// Regions shorter than this (bytes of input) are written by the plain loop.
pub const PARALLEL_MIN: usize = 1 << 16;
/// Events per batch handed to the formatter (256 or 512 made pass 2 of the 3.5 MB
/// trace export 30-100% slower, in handing over; 2,048 no faster than 1,024).
const BATCH: usize = 1024;
/// Batches recorded and not yet formatted, at most.
const IN_FLIGHT: usize = 2;

/// One event of pass 2, as it crosses to the formatter.
#[derive(Clone, Copy)]
struct Recorded {
    raw: Raw,
    node: u32,
    kind: Kind,
    reading: u8,
    alternatives: [Kind; 4],
    alternative_count: u8,
    expanded: bool,
    schema_at: Option<FieldAt>,
    any_value: bool,
}

enum Item {
    Field(Recorded),
    End,
}

/// What the formatter hands back: text to write, or a batch it is done with.
enum Back {
    Chunk(Vec<u8>),
    Batch(Vec<Item>),
}

/// Whether [`write_json`] is worth it for a region of `length` bytes here.
pub fn worth_it(length: usize) -> bool {
    length >= PARALLEL_MIN && two_cores()
}

/// Whether this process may run on two CPUs at least (its affinity and cgroup quota).
pub fn two_cores() -> bool {
    static CORES: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().is_ok_and(|n| n.get() > 1))
}

/// Pass 2 over region `region` (`buf[start..end]`, stopping before `stop`) written as
/// JSON to `sink`, as the plain loop writes it; `heads`: the per-path text of the
/// previous region's writer, returned for the next one. A panic of the formatter (a
/// bug) is resumed here.
#[allow(clippy::too_many_arguments)]
pub fn write_json<S: Sink>(
    engine: &mut Engine,
    region: usize,
    buf: &[u8],
    (start, end, stop): (usize, usize, usize),
    annotate: bool,
    capacity: usize,
    heads: Heads,
    sink: &mut S,
) -> Result<Heads, S::Error> {
    let schema = engine.shared_schema();
    let capacity = capacity.min(2 * CHUNK);
    std::thread::scope(|scope| {
        let (to_formatter, batches) = mpsc::channel();
        let (to_caller, back) = mpsc::channel();
        let (give_back, used) = mpsc::channel();
        let schema = schema.as_deref();
        let formatter = scope.spawn(move || format(batches, to_caller, used, buf, schema, heads, capacity));
        let mut recorder = Recorder {
            batch: Vec::with_capacity(BATCH),
            spare: Vec::new(),
            in_flight: 0,
            to_formatter: Some(to_formatter),
            back,
            used: give_back,
            sink,
        };
        let mut cursor = Cursor { pos: start, note: 0 };
        let mut result = loop {
            match engine.walk_field(region, buf, end, stop, annotate, &mut cursor, &mut recorder) {
                Ok(true) => continue,
                Ok(false) => break recorder.ship(),
                Err(error) => break Err(error),
            }
        };
        // The formatter ends after the last batch; what it still makes is written in
        // order (after an error, only waited for).
        recorder.to_formatter = None;
        while let Ok(back) = recorder.back.recv() {
            if result.is_ok() {
                result = recorder.handle(back);
            }
        }
        let heads = match formatter.join() {
            Ok(heads) => heads,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        result.map(|()| heads)
    })
}

/// The formatter: the events of each batch into the JSON writer, whose chunks go back.
fn format(
    batches: Receiver<Vec<Item>>,
    back: Sender<Back>,
    used: Receiver<Vec<u8>>,
    buf: &[u8],
    schema: Option<&Schema>,
    heads: Heads,
    capacity: usize,
) -> Heads {
    let mut sink = ToCaller { back: back.clone(), used, capacity };
    let mut writer = JsonWriter::with_heads(&mut sink, capacity, heads);
    for mut batch in batches.iter() {
        for item in &batch {
            let written = match item {
                Item::Field(event) => writer.field(&FieldEvent {
                    raw: event.raw,
                    node: event.node,
                    kind: event.kind,
                    reading: usize::from(event.reading),
                    alternatives: event.alternatives.get(..usize::from(event.alternative_count)).unwrap_or(&[]),
                    expanded: event.expanded,
                    payload: buf.get(event.raw.voff..event.raw.vend).unwrap_or(&[]),
                    schema: event.schema_at.and_then(|at| schema?.at(at)),
                    schema_at: event.schema_at,
                    any_value: event.any_value,
                }),
                Item::End => writer.end_children(),
            };
            let Ok(()) = written;
        }
        batch.clear();
        // The caller gone (it stops reading only when the formatter is done): nothing
        // more to hand back.
        let _ = back.send(Back::Batch(batch));
    }
    let Ok(heads) = writer.finish_keeping_heads();
    heads
}

/// The formatter's sink: each chunk goes back to the calling thread.
struct ToCaller {
    back: Sender<Back>,
    used: Receiver<Vec<u8>>,
    capacity: usize,
}

impl ToCaller {
    fn fresh(&self) -> Vec<u8> {
        self.used.try_recv().unwrap_or_else(|_| Vec::with_capacity(self.capacity))
    }
}

impl Sink for ToCaller {
    type Error = Infallible;
    fn write(&mut self, chunk: &[u8]) -> Result<(), Infallible> {
        let mut text = self.fresh();
        text.extend_from_slice(chunk);
        let _ = self.back.send(Back::Chunk(text));
        Ok(())
    }
    fn take(&mut self, out: &mut Vec<u8>) -> Result<(), Infallible> {
        let full = std::mem::replace(out, self.fresh());
        let _ = self.back.send(Back::Chunk(full));
        Ok(())
    }
}

/// The walker's visitor: records events in batches, ships them to the formatter and
/// writes what it hands back.
struct Recorder<'s, S: Sink> {
    batch: Vec<Item>,
    spare: Vec<Vec<Item>>,
    in_flight: usize,
    to_formatter: Option<Sender<Vec<Item>>>,
    back: Receiver<Back>,
    used: Sender<Vec<u8>>,
    sink: &'s mut S,
}

impl<S: Sink> Recorder<'_, S> {
    fn handle(&mut self, back: Back) -> Result<(), S::Error> {
        match back {
            Back::Chunk(mut text) => {
                self.sink.write(&text)?;
                text.clear();
                let _ = self.used.send(text);
            }
            Back::Batch(batch) => {
                self.in_flight = self.in_flight.saturating_sub(1);
                self.spare.push(batch);
            }
        }
        Ok(())
    }

    /// Hand the batch to the formatter (waiting while [`IN_FLIGHT`] are), and write
    /// the chunks that are ready.
    fn ship(&mut self) -> Result<(), S::Error> {
        if self.batch.is_empty() {
            return Ok(());
        }
        while self.in_flight >= IN_FLIGHT {
            match self.back.recv() {
                Ok(back) => self.handle(back)?,
                Err(_) => self.in_flight = 0, // the formatter is gone: its panic is resumed
            }
        }
        let next = self.spare.pop().unwrap_or_else(|| Vec::with_capacity(BATCH));
        let full = std::mem::replace(&mut self.batch, next);
        if let Some(to_formatter) = &self.to_formatter {
            if to_formatter.send(full).is_ok() {
                self.in_flight += 1;
            }
        }
        while let Ok(back) = self.back.try_recv() {
            self.handle(back)?;
        }
        Ok(())
    }

    fn record(&mut self, item: Item) -> Result<(), S::Error> {
        self.batch.push(item);
        if self.batch.len() >= BATCH {
            self.ship()?;
        }
        Ok(())
    }
}

impl<S: Sink> Visitor for Recorder<'_, S> {
    type Error = S::Error;

    fn field(&mut self, event: &FieldEvent<'_>) -> Result<(), S::Error> {
        let mut alternatives = [Kind::Bytes; 4];
        let mut count = 0u8;
        for (slot, kind) in alternatives.iter_mut().zip(event.alternatives) {
            *slot = *kind;
            count += 1;
        }
        self.record(Item::Field(Recorded {
            raw: event.raw,
            node: event.node,
            kind: event.kind,
            reading: u8::try_from(event.reading).unwrap_or(u8::MAX),
            alternatives,
            alternative_count: count,
            expanded: event.expanded,
            schema_at: event.schema_at,
            any_value: event.any_value,
        }))
    }

    fn end_children(&mut self) -> Result<(), S::Error> {
        self.record(Item::End)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{len, Text};

    /// The plain loop: the reference.
    fn plain(data: &[u8], max_depth: u32) -> (Vec<u8>, usize) {
        let mut engine = Engine::new(max_depth, None);
        let stop = engine.gather(data, 0, data.len()).map_or(data.len(), |fault| fault.resume);
        let mut sink = Text(Vec::new());
        let mut writer = JsonWriter::new(&mut sink);
        let mut cursor = Cursor::default();
        while engine.walk_field(0, data, data.len(), stop, false, &mut cursor, &mut writer).unwrap() {}
        writer.finish().unwrap();
        (sink.0, engine.diagnostics.len())
    }

    fn threaded(data: &[u8], max_depth: u32) -> (Vec<u8>, usize) {
        let mut engine = Engine::new(max_depth, None);
        let stop = engine.gather(data, 0, data.len()).map_or(data.len(), |fault| fault.resume);
        let mut sink = Text(Vec::new());
        write_json(&mut engine, 0, data, (0, data.len(), stop), false, 1 << 10, Heads::default(), &mut sink)
            .unwrap();
        (sink.0, engine.diagnostics.len())
    }

    /// A deep, wide message with strings, packed numbers, bytes, scalars and a cut end.
    fn sample(items: usize) -> Vec<u8> {
        let mut inner = Vec::new();
        for index in 0..items {
            let mut item = len(1, format!("name-{index}").as_bytes());
            item.extend(len(2, &[1, 2, 3, (index % 100) as u8]));
            item.extend([0x18, (index % 120) as u8, 0x25, 1, 2, 3, 4]);
            item.extend(len(4, &[0xFF, 0x00, (index % 256) as u8, 0x80]));
            item.extend(len(5, &len(1, &len(1, b"deep"))));
            inner.extend(len(3, &item));
        }
        let mut data = len(1, &len(2, &inner));
        data.extend(len(7, b"tail"));
        data.extend([0x0A, 0x10, 0x01]); // a field cut short
        data
    }

    #[test]
    fn the_text_is_the_plain_loops_byte_for_byte() {
        for items in [0, 1, 7, 300, 5000] {
            for max_depth in [1, 3, 100] {
                let data = sample(items);
                assert_eq!(threaded(&data, max_depth), plain(&data, max_depth), "{items} items, depth {max_depth}");
            }
        }
    }

    #[test]
    fn a_sink_error_stops_the_walk_and_is_returned() {
        struct Full(usize);
        impl Sink for Full {
            type Error = &'static str;
            fn write(&mut self, _: &[u8]) -> Result<(), &'static str> {
                self.0 += 1;
                if self.0 > 1 {
                    Err("closed")
                } else {
                    Ok(())
                }
            }
        }
        let data = sample(20000);
        let mut engine = Engine::new(100, None);
        engine.gather(&data, 0, data.len());
        let mut sink = Full(0);
        let result = write_json(&mut engine, 0, &data, (0, data.len(), data.len()), false, 1 << 10, Heads::default(), &mut sink);
        assert_eq!(result.err(), Some("closed"));
        assert_eq!(sink.0, 2);
    }
}
