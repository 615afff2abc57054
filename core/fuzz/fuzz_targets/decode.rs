//! `cargo +nightly fuzz run decode`: the core's entry points on any bytes.
//!
//! The first byte chooses the options (max depth, schema or not, annotation, how
//! many regions); the rest is split into regions as a gRPC stream would be. Both
//! passes run and every field is reported to the JSON writer and to a checker.
//! Contract: no panic; every field lies inside its region and its parent, in order;
//! the JSON text is UTF-8 with balanced brackets.
#![no_main]

use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;
use wiretool_core::engine::{Cursor, Engine, FieldEvent, Visitor};
use wiretool_core::json::{JsonWriter, Sink};
use wiretool_core::rules::Kind;
use wiretool_core::schema::{scalar, FieldInfo, MessageType, Schema};

struct Text(Vec<u8>);

impl Sink for Text {
    type Error = ();
    fn write(&mut self, chunk: &[u8]) -> Result<(), ()> {
        self.0.extend_from_slice(chunk);
        Ok(())
    }
}

/// Checks spans: each field inside its parent's payload, after its previous sibling.
struct Spans {
    open: Vec<(usize, usize, usize)>, // (payload start, payload end, cursor)
}

impl Visitor for Spans {
    type Error = ();
    fn field(&mut self, event: &FieldEvent<'_>) -> Result<(), ()> {
        let raw = event.raw;
        assert!(raw.offset < raw.voff);
        assert!(raw.voff <= raw.vend && raw.vend <= raw.end && raw.offset < raw.end);
        if let Some((start, end, cursor)) = self.open.last_mut() {
            assert!(*start <= raw.offset && raw.end <= *end && *cursor <= raw.offset);
            *cursor = raw.end;
        }
        assert_eq!(event.payload.len(), raw.vend - raw.voff);
        if (event.kind == Kind::Message || event.kind == Kind::Group) && event.expanded {
            self.open.push((raw.voff, raw.vend, raw.voff));
        }
        Ok(())
    }
    fn end_children(&mut self) -> Result<(), ()> {
        assert!(self.open.pop().is_some());
        Ok(())
    }
}

fn field(
    name: &str,
    scalar_type: u8,
    declared_wire: u8,
    expected: [Option<Kind>; 6],
    len_reading: Option<usize>,
    child: Option<usize>,
) -> FieldInfo {
    FieldInfo {
        name: name.into(),
        type_name: name.into(),
        json_name: name.into(),
        oneof: None,
        expected,
        len_reading,
        scalar: scalar_type,
        declared_wire,
        enum_names: Some(HashMap::from([(1, "ONE".to_string()), (-1, "MINUS".to_string())])),
        child,
        json_head: Vec::new(),
    }
    .prepare()
}

/// A recursive schema touching every rule: messages, strings, packed, enums, groups.
fn schema() -> Schema {
    let none = [None; 6];
    let mut message = MessageType::default();
    let mut expect = none;
    expect[2] = Some(Kind::Message);
    message.insert(1, field("child", 11, 2, expect, Some(0), Some(0)));
    let mut expect = none;
    expect[2] = Some(Kind::String);
    message.insert(2, field("name", 9, 2, expect, Some(1), None));
    let mut expect = none;
    expect[0] = Some(Kind::Varint);
    expect[2] = Some(Kind::Packed);
    message.insert(3, field("numbers", scalar::SINT32, 0, expect, Some(2), None));
    message.insert(4, field("color", scalar::ENUM, 0, expect, Some(2), None));
    let mut expect = none;
    expect[5] = Some(Kind::Fixed32);
    expect[2] = Some(Kind::Packed);
    message.insert(5, field("weights", scalar::FLOAT, 5, expect, Some(3), None));
    let mut expect = none;
    expect[3] = Some(Kind::Group);
    message.insert(6, field("group", 10, 3, expect, None, Some(0)));
    let mut expect = none;
    expect[1] = Some(Kind::Fixed64);
    message.insert(7, field("score", scalar::DOUBLE, 1, expect, None, None));
    Schema { types: vec![message], ..Schema::default() }
}

fuzz_target!(|data: &[u8]| {
    let Some((&options, body)) = data.split_first() else { return };
    let max_depth = u32::from(options & 7) * 4 + 1;
    let with_schema = options & 8 != 0;
    let annotate = options & 16 != 0;
    // Regions: the body whole, or cut at each 0xff byte (as frames of a stream).
    let mut regions = Vec::new();
    if options & 32 != 0 {
        let mut start = 0;
        for (index, &byte) in body.iter().enumerate() {
            if byte == 0xFF {
                regions.push((start, index));
                start = index + 1;
            }
        }
        regions.push((start, body.len()));
    } else {
        regions.push((0, body.len()));
    }
    let mut engine = Engine::new(max_depth, with_schema.then(schema));
    let stops: Vec<usize> = regions
        .iter()
        .map(|&(start, end)| {
            engine.gather(body, start, end).map_or(end, |fault| {
                assert!(fault.resume >= start && fault.resume <= end);
                assert!(!fault.message().is_empty());
                fault.resume
            })
        })
        .collect();
    for (index, (&(start, end), &stop)) in regions.iter().zip(&stops).enumerate() {
        let mut text = Text(Vec::new());
        let mut writer = JsonWriter::new(&mut text);
        let mut cursor = Cursor { pos: start, note: 0 };
        while engine.walk_field(index, body, end, stop, annotate, &mut cursor, &mut writer).unwrap_or(false) {
        }
        writer.finish().unwrap_or(());
        let text = std::str::from_utf8(&text.0).expect("JSON is UTF-8");
        let mut depth = 0i64;
        let mut in_string = false;
        let mut escaped = false;
        for c in text.chars() {
            if in_string {
                match (escaped, c) {
                    (true, _) => escaped = false,
                    (false, '\\') => escaped = true,
                    (false, '"') => in_string = false,
                    _ => assert!(c >= ' ', "raw control character in a JSON string"),
                }
                continue;
            }
            match c {
                '"' => in_string = true,
                '{' | '[' => depth += 1,
                '}' | ']' => depth -= 1,
                _ => {}
            }
            assert!(depth >= 0);
        }
        assert_eq!(depth, 0);
        let mut spans = Spans { open: vec![(start, end, start)] };
        let mut cursor = Cursor { pos: start, note: 0 };
        while engine.walk_field(index, body, end, stop, annotate, &mut cursor, &mut spans).unwrap_or(false) {}
        assert_eq!(spans.open.len(), 1);
    }
    for diag in engine.diagnostics.iter().chain(&engine.annotation_diagnostics) {
        assert!(diag.offset <= body.len() && !diag.message.is_empty());
    }
});
