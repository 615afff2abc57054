//! The FIELD objects of `decode --format json`, written from pass 2's events.
//!
//! The keys, their order and every number's text are those of `json.dumps` over
//! `field_to_json` in `wiretool/render/protobuf_json.py` (the model's view), byte
//! for byte: the README's JSON contract (`tests/protobuf/test_json_contract.py`
//! holds the two to it). Only the fields are written
//! here (a message's `"fields":[...]` content); the document around them - input,
//! message heads, unparsed tails, diagnostics - is the Python renderer's. The text
//! goes to a [`Sink`] in chunks, so memory stays at one chunk whatever the input.
#![forbid(unsafe_code)]

use crate::engine::{unpack, FieldEvent, Visitor};
use crate::rules::Kind;
use crate::schema::{read_scalar, Display, FieldInfo};
use crate::text::{
    push_float_repr, push_hex, push_i64, push_json_float, push_json_i64, push_json_string, push_json_u64,
    push_u64,
};

/// Where the JSON text goes.
pub trait Sink {
    type Error;
    fn write(&mut self, chunk: &[u8]) -> Result<(), Self::Error>;

    /// Take the text in `out` and leave `out` empty (a sink that keeps the text takes
    /// the buffer itself rather than a copy).
    fn take(&mut self, out: &mut Vec<u8>) -> Result<(), Self::Error> {
        self.write(out)?;
        out.clear();
        Ok(())
    }
}

/// Text is handed to the sink in pieces of about this size (64 KiB: a few of them
/// are in flight between the threads of `pipeline`; larger ones wrote no faster).
pub const CHUNK: usize = 1 << 16;

/// A [`Visitor`] writing the FIELD objects of one message.
pub struct JsonWriter<'s, S: Sink> {
    out: Vec<u8>,
    sink: &'s mut S,
    /// The path of the current level (`1.4.2`), and where each level's path ends.
    path: Vec<u8>,
    levels: Vec<(usize, bool)>,
    /// A field was written at the current level (the next one needs a comma).
    written: bool,
    values: Vec<u64>,
    /// Per path (`FieldEvent::node`, the first [`HEAD_PATHS`]): its kind and the text
    /// between `offset` and `length` and between `length` and `tag_length`, which
    /// depend on the path and kind alone, formatted once.
    heads: Vec<Option<Head>>,
}

/// A path's kind, and its FIELD text after `offset` (to `length`) and after `length`
/// (to `tag_length`).
type Head = (Kind, Vec<u8>, Vec<u8>);

/// The per-path text a [`JsonWriter`] keeps, passed from one message's writer to the
/// next of the same decode.
#[derive(Default)]
pub struct Heads(Vec<Option<Head>>);

/// Paths whose head text is kept (the first ones seen; a hostile input has any number).
const HEAD_PATHS: usize = 1 << 16;

impl<'s, S: Sink> JsonWriter<'s, S> {
    pub fn new(sink: &'s mut S) -> Self {
        Self::with_capacity(sink, 2 * CHUNK)
    }

    /// A writer whose buffer starts at `capacity` bytes (at most two chunks): a small
    /// message of a stream should not allocate half a megabyte. `heads`: the per-path
    /// text kept by the writer of the previous message of the same decode
    /// ([`JsonWriter::finish_keeping_heads`]), or empty.
    pub fn with_heads(sink: &'s mut S, capacity: usize, heads: Heads) -> Self {
        let mut writer = Self::with_capacity(sink, capacity);
        writer.heads = heads.0;
        writer
    }

    /// Hand the rest of the text to the sink, and return the per-path text for the
    /// writer of the next message (paths are numbered per decode, not per message).
    pub fn finish_keeping_heads(mut self) -> Result<Heads, S::Error> {
        let heads = std::mem::take(&mut self.heads);
        self.finish()?;
        Ok(Heads(heads))
    }

    pub fn with_capacity(sink: &'s mut S, capacity: usize) -> Self {
        JsonWriter {
            out: Vec::with_capacity(capacity.min(2 * CHUNK)),
            sink,
            path: Vec::new(),
            levels: Vec::new(),
            written: false,
            values: Vec::new(),
            heads: Vec::new(),
        }
    }

    /// Hand the rest of the text to the sink.
    pub fn finish(mut self) -> Result<(), S::Error> {
        if !self.out.is_empty() {
            self.sink.take(&mut self.out)?;
        }
        Ok(())
    }

    fn flush_if_full(&mut self) -> Result<(), S::Error> {
        if self.out.len() >= CHUNK {
            self.sink.take(&mut self.out)?;
        }
        Ok(())
    }
}

fn push_kinds(out: &mut Vec<u8>, kinds: &[Kind]) {
    out.push(b'[');
    for (index, kind) in kinds.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        out.push(b'"');
        out.extend_from_slice(kind.name().as_bytes());
        out.push(b'"');
    }
    out.push(b']');
}

/// The `value` and `signed` members of an integer field (varint, fixed32, fixed64).
fn push_value_signed(out: &mut Vec<u8>, value: u64, signed: i64) {
    out.extend_from_slice(b",\"value\":");
    push_json_u64(out, value);
    out.extend_from_slice(b",\"signed\":");
    push_json_i64(out, signed);
}

fn push_bool(out: &mut Vec<u8>, value: bool) {
    out.extend_from_slice(if value { b"true" } else { b"false" });
}

/// `str(value)` of one element of a packed field's display.
fn push_display_text(out: &mut Vec<u8>, display: &Display) {
    match display {
        Display::Text(text) => out.extend_from_slice(text.as_bytes()),
        Display::Int(value) => push_i64(out, *value),
        Display::Unsigned(value) => push_u64(out, *value),
        Display::Float(value) => push_float_repr(out, *value),
        Display::Bool(value) => out.extend_from_slice(if *value { b"True" } else { b"False" }),
    }
}

/// The `"display"` member: the value as the schema reads it (`annotate.display_value`).
fn push_display(out: &mut Vec<u8>, field: &FieldInfo, event: &FieldEvent<'_>, values: &[u64]) {
    match event.kind {
        Kind::Packed => {
            let mut text = vec![b'['];
            for (index, value) in values.iter().enumerate() {
                if index > 0 {
                    text.extend_from_slice(b", ");
                }
                push_display_text(&mut text, &read_scalar(field, *value));
            }
            text.push(b']');
            push_json_string(out, &text);
        }
        Kind::Varint | Kind::Fixed32 | Kind::Fixed64 => match read_scalar(field, event.raw.value) {
            Display::Text(text) => push_json_string(out, text.as_bytes()),
            Display::Int(value) => push_json_i64(out, value),
            Display::Unsigned(value) => push_json_u64(out, value),
            Display::Float(value) => push_json_float(out, value),
            Display::Bool(value) => push_bool(out, value),
        },
        _ => out.extend_from_slice(b"null"),
    }
}

impl<S: Sink> Visitor for JsonWriter<'_, S> {
    type Error = S::Error;

    fn field(&mut self, event: &FieldEvent<'_>) -> Result<(), S::Error> {
        let raw = &event.raw;
        let out = &mut self.out;
        if self.written {
            out.push(b',');
        }
        self.written = true;
        let parent_length = self.path.len();
        if parent_length > 0 {
            self.path.push(b'.');
        }
        push_u64(&mut self.path, u64::from(raw.number));
        let node = event.node as usize;
        if node < HEAD_PATHS && self.heads.len() <= node {
            self.heads.resize(node + 1, None);
        }
        let cached = self.heads.get_mut(node);
        let fresh = match &cached {
            Some(Some((kind, _, _))) => *kind != event.kind,
            _ => true,
        };
        if fresh {
            let mut after_offset = Vec::with_capacity(48);
            after_offset.extend_from_slice(b",\"number\":");
            push_json_u64(&mut after_offset, u64::from(raw.number));
            after_offset.extend_from_slice(b",\"wire_type\":");
            push_json_u64(&mut after_offset, u64::from(raw.wire));
            after_offset.extend_from_slice(b",\"length\":");
            let mut after_length = Vec::with_capacity(48 + self.path.len());
            after_length.extend_from_slice(b",\"kind\":\"");
            after_length.extend_from_slice(event.kind.name().as_bytes());
            after_length.extend_from_slice(b"\",\"path\":\"");
            after_length.extend_from_slice(&self.path);
            after_length.extend_from_slice(b"\",\"tag_length\":");
            match cached {
                Some(slot) => *slot = Some((event.kind, after_offset, after_length)),
                None => {
                    // Not kept: write it out directly.
                    out.extend_from_slice(b"{\"offset\":");
                    push_json_u64(out, raw.offset as u64);
                    out.extend_from_slice(&after_offset);
                    push_json_u64(out, (raw.end - raw.offset) as u64);
                    out.extend_from_slice(&after_length);
                }
            }
        }
        if let Some(Some((_, after_offset, after_length))) = self.heads.get(node) {
            out.extend_from_slice(b"{\"offset\":");
            push_json_u64(out, raw.offset as u64);
            out.extend_from_slice(after_offset);
            push_json_u64(out, (raw.end - raw.offset) as u64);
            out.extend_from_slice(after_length);
        }
        push_json_u64(out, u64::from(raw.tag_len));
        out.extend_from_slice(b",\"value_offset\":");
        push_json_u64(out, raw.voff as u64);
        out.extend_from_slice(b",\"value_length\":");
        push_json_u64(out, (raw.vend - raw.voff) as u64);
        out.extend_from_slice(b",\"overlong\":");
        push_bool(out, raw.overlong);
        let value = raw.value;
        match event.kind {
            Kind::String => {
                out.extend_from_slice(b",\"value\":");
                push_json_string(out, event.payload);
            }
            Kind::Varint => {
                push_value_signed(out, value, value as i64);
                out.extend_from_slice(b",\"zigzag\":");
                push_json_i64(out, ((value >> 1) as i64) ^ -((value & 1) as i64));
                out.extend_from_slice(match value {
                    0 => b",\"bool\":false",
                    1 => b",\"bool\":true",
                    _ => b",\"bool\":null",
                });
            }
            Kind::Fixed64 => {
                push_value_signed(out, value, value as i64);
                out.extend_from_slice(b",\"float\":");
                push_json_float(out, f64::from_bits(value));
            }
            Kind::Fixed32 => {
                push_value_signed(out, value, i64::from(value as u32 as i32));
                out.extend_from_slice(b",\"float\":");
                push_json_float(out, f64::from(f32::from_bits(value as u32)));
            }
            Kind::Bytes => {
                out.extend_from_slice(b",\"value\":\"");
                push_hex(out, event.payload);
                out.push(b'"');
            }
            Kind::Packed => {
                out.extend_from_slice(b",\"packed_type\":\"");
                out.extend_from_slice(match event.reading {
                    crate::rules::PACKED_FIXED32 => b"fixed32".as_slice(),
                    crate::rules::PACKED_FIXED64 => b"fixed64",
                    _ => b"varint",
                });
                out.extend_from_slice(b"\",\"values\":[");
                unpack(event.payload, event.reading, &mut self.values);
                for (index, element) in self.values.iter().enumerate() {
                    if index > 0 {
                        out.push(b',');
                    }
                    push_json_u64(out, *element);
                }
                out.push(b']');
            }
            Kind::Message | Kind::Group => {
                out.extend_from_slice(b",\"expanded\":");
                push_bool(out, event.expanded);
            }
        }
        if raw.wire == crate::scan::LEN {
            out.extend_from_slice(b",\"alternatives\":");
            push_kinds(out, event.alternatives);
        }
        if event.any_value {
            out.extend_from_slice(b",\"any_value\":true");
        }
        if let Some(field) = event.schema {
            if field.json_head.is_empty() {
                out.extend_from_slice(&field.clone().prepare().json_head);
            } else {
                out.extend_from_slice(&field.json_head);
            }
            push_display(out, field, event, &self.values);
            if let Some(oneof) = &field.oneof {
                out.extend_from_slice(b",\"oneof\":");
                push_json_string(out, oneof.as_bytes());
            }
        }
        if event.kind == Kind::Message || event.kind == Kind::Group {
            if event.expanded {
                out.extend_from_slice(b",\"fields\":[");
                self.levels.push((parent_length, self.written));
                self.written = false;
                return Ok(());
            }
            out.extend_from_slice(b",\"fields\":[]}");
        } else {
            out.push(b'}');
        }
        self.path.truncate(parent_length);
        self.flush_if_full()
    }

    fn end_children(&mut self) -> Result<(), S::Error> {
        self.out.extend_from_slice(b"]}");
        if let Some((parent_length, written)) = self.levels.pop() {
            self.path.truncate(parent_length);
            self.written = written;
        }
        self.flush_if_full()
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::{Cursor, Engine};

    use super::*;
    use crate::testing::Text;

    #[test]
    fn fields_are_written_as_the_contract_says() {
        // 08 96 01: 1 varint 150; 12 02 68 69: 2 "hi"; 1d 0000c07f: 3 fixed32 NaN;
        // 2a 03 01 02 03: 5 packed 1, 2, 3 (expected text: json.dumps of field_to_json)
        let data = [
            0x08, 0x96, 0x01, 0x12, 0x02, 0x68, 0x69, 0x1D, 0x00, 0x00, 0xC0, 0x7F, 0x2A, 0x03, 0x01, 0x02,
            0x03,
        ];
        let mut engine = Engine::new(100, None);
        assert!(engine.gather(&data, 0, data.len()).is_none());
        let mut text = Text(Vec::new());
        let mut writer = JsonWriter::new(&mut text);
        let mut cursor = Cursor::default();
        while engine.walk_field(0, &data, data.len(), data.len(), false, &mut cursor, &mut writer).unwrap() {}
        writer.finish().unwrap();
        let expected = concat!(
            r#"{"offset":0,"number":1,"wire_type":0,"length":3,"kind":"varint","path":"1","tag_length":1,"#,
            r#""value_offset":1,"value_length":2,"overlong":false,"value":150,"signed":150,"zigzag":75,"#,
            r#""bool":null},{"offset":3,"number":2,"wire_type":2,"length":4,"kind":"string","path":"2","#,
            r#""tag_length":1,"value_offset":5,"value_length":2,"overlong":false,"value":"hi","#,
            r#""alternatives":["message"]},{"offset":7,"number":3,"wire_type":5,"length":5,"kind":"fixed32","#,
            r#""path":"3","tag_length":1,"value_offset":8,"value_length":4,"overlong":false,"#,
            r#""value":2143289344,"signed":2143289344,"float":"NaN"},{"offset":12,"number":5,"wire_type":2,"#,
            r#""length":5,"kind":"packed","path":"5","tag_length":1,"value_offset":14,"value_length":3,"#,
            r#""overlong":false,"packed_type":"varint","values":[1,2,3],"alternatives":["string"]}"#
        );
        assert_eq!(String::from_utf8(text.0).unwrap(), expected);
    }
}
