//! What the unit tests of several modules share (compiled for tests only).
#![forbid(unsafe_code)]

use crate::json::Sink;

/// A sink that keeps all the text.
pub struct Text(pub Vec<u8>);

impl Sink for Text {
    type Error = ();
    fn write(&mut self, chunk: &[u8]) -> Result<(), ()> {
        self.0.extend_from_slice(chunk);
        Ok(())
    }
}

/// A length-delimited field: its tag (`number`, one byte), varint length, payload.
pub fn len(number: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![number << 3 | 2];
    let mut length = payload.len();
    while length >= 0x80 {
        out.push((length as u8) | 0x80);
        length >>= 7;
    }
    out.push(length as u8);
    out.extend_from_slice(payload);
    out
}
