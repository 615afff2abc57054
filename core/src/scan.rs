//! The wire walk: varints, tags, lengths and groups, one field at a time
//! (protobuf encoding spec, <https://protobuf.dev/programming-guides/encoding/>).
//!
//! `read_field` reads the field at an offset - a group whole, its nesting followed
//! with an explicit stack, so depth costs no recursion - and returns a flat [`Raw`]
//! record, or the [`Fault`] that stops it. Faults carry their offsets and are put
//! into words only when asked (most are met trying a payload as a message, and never
//! shown).
//! Nothing here indexes without a bound check: every read goes through `get`.
#![forbid(unsafe_code)]

/// Largest field number (protobuf encoding spec, "Message Structure").
pub const MAX_FIELD_NUMBER: u64 = (1 << 29) - 1;

pub const VARINT: u8 = 0;
pub const I64: u8 = 1;
pub const LEN: u8 = 2;
pub const SGROUP: u8 = 3;
pub const EGROUP: u8 = 4;
pub const I32: u8 = 5;

/// One field on the wire: a tag and its payload (absolute offsets into the buffer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Raw {
    pub number: u32,
    pub wire: u8,
    /// Bytes of the tag varint.
    pub tag_len: u8,
    /// A varint of the field (tag, length, value, end-group tag) used more bytes than
    /// its value needs, or carried bits past 64.
    pub overlong: bool,
    /// Offset of the tag.
    pub offset: usize,
    /// Offset of the payload (after tag and length prefix; a group's first field).
    pub voff: usize,
    /// End of the payload (a group: its end-group tag, or where it was closed).
    pub vend: usize,
    /// End of the whole field.
    pub end: usize,
    /// varint / fixed32 / fixed64: the value (64 bits).
    pub value: u64,
}

/// A group still open when a fault stopped the walk (outermost first).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenGroup {
    pub number: u32,
    pub offset: usize,
    pub tag_len: u8,
    pub voff: usize,
    pub overlong: bool,
}

impl OpenGroup {
    /// The group ended at `at` (a fault or the end of the range), as `_close_open_groups`.
    pub fn closed_at(&self, at: usize) -> Raw {
        Raw {
            number: self.number,
            wire: SGROUP,
            tag_len: self.tag_len,
            overlong: self.overlong,
            offset: self.offset,
            voff: self.voff,
            vend: at,
            end: at,
            value: 0,
        }
    }
}

/// What went wrong, with the numbers its message needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    VarintPastEnd { start: usize, remain: usize },
    VarintTooLong { start: usize },
    FieldNumberZero { tag_offset: usize },
    FieldNumberTooBig { number: u64, tag_offset: usize },
    LengthPastEnd { number: u32, tag_offset: usize, size: u64, remain: usize },
    FixedPastEnd { number: u32, tag_offset: usize, width: usize, remain: usize },
    StrayEndGroup { number: u32, tag_offset: usize },
    MismatchedEndGroup { number: u32, tag_offset: usize, group_number: u32, group_offset: usize },
    InvalidWireType { wire: u8, tag_offset: usize, number: u32 },
    GroupNotClosed { number: u32, offset: usize, end: usize },
}

/// A malformed spot: where it is, where the unread tail starts, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    /// Where the problem is (for the message).
    pub offset: usize,
    /// Where the unparsed tail starts: the tag of the field the problem is in.
    pub resume: usize,
    pub kind: FaultKind,
}

impl Fault {
    /// The message a diagnostic shows.
    pub fn message(&self) -> String {
        match self.kind {
            FaultKind::VarintPastEnd { start, remain } => {
                format!("varint at offset {start} runs past the end ({remain} bytes remain)")
            }
            FaultKind::VarintTooLong { start } => {
                format!("varint at offset {start} is longer than 10 bytes")
            }
            FaultKind::FieldNumberZero { tag_offset } => {
                format!("field number 0 in tag at offset {tag_offset}")
            }
            FaultKind::FieldNumberTooBig { number, tag_offset } => {
                format!("field number {number} in tag at offset {tag_offset} exceeds {MAX_FIELD_NUMBER}")
            }
            FaultKind::LengthPastEnd { number, tag_offset, size, remain } => {
                format!("field {number} at offset {tag_offset} declares {size} bytes, {remain} remain")
            }
            FaultKind::FixedPastEnd { number, tag_offset, width, remain } => format!(
                "field {number} at offset {tag_offset} (fixed{}) needs {width} bytes, {remain} remain",
                width * 8
            ),
            FaultKind::StrayEndGroup { number, tag_offset } => {
                format!("end-group tag for field {number} at offset {tag_offset} has no matching start-group")
            }
            FaultKind::MismatchedEndGroup { number, tag_offset, group_number, group_offset } => {
                format!(
                    "end-group tag for field {number} at offset {tag_offset} does not match the \
                     start-group of field {group_number} at offset {group_offset}"
                )
            }
            FaultKind::InvalidWireType { wire, tag_offset, number } => {
                format!("invalid wire type {wire} in tag at offset {tag_offset} (field {number})")
            }
            FaultKind::GroupNotClosed { number, offset, end } => format!(
                "group {number} started at offset {offset} is not closed before the end at offset {end}"
            ),
        }
    }
}

/// A varint at `pos` (before `end`): `(value, next_offset, overlong)`.
///
/// Values wider than 64 bits are truncated to 64 bits as the protobuf runtimes do
/// (and flagged overlong, as an encoding ending in a 0x00 continuation is).
pub fn read_varint(buf: &[u8], pos: usize, end: usize) -> Result<(u64, usize, bool), FaultKind> {
    let start = pos;
    let mut at = pos;
    let mut value: u64 = 0;
    let mut shift: u32 = 0;
    let mut wide = false;
    loop {
        let byte = match buf.get(at) {
            Some(&byte) if at < end => byte,
            _ => return Err(FaultKind::VarintPastEnd { start, remain: end.saturating_sub(start) }),
        };
        at += 1;
        let bits = u64::from(byte & 0x7F);
        if shift < 64 {
            value |= bits << shift;
            if shift == 63 && bits > 1 {
                wide = true;
            }
        }
        if byte < 0x80 {
            let overlong = (byte == 0 && at - start > 1) || wide;
            return Ok((value, at, overlong));
        }
        shift += 7;
        if shift >= 70 {
            return Err(FaultKind::VarintTooLong { start });
        }
    }
}

fn varint_fault(kind: FaultKind, tag_offset: usize) -> Fault {
    let offset = match kind {
        FaultKind::VarintPastEnd { start, .. } | FaultKind::VarintTooLong { start } => start,
        _ => tag_offset,
    };
    Fault { offset, resume: tag_offset, kind }
}

/// Read the field at `pos` (a group whole, nested groups included) within `..end`.
///
/// On a fault, `open` holds the groups still open at that point, outermost first
/// (empty when the fault is in a top-level field of the range); they end at
/// `fault.resume` (see [`OpenGroup::closed_at`]).
pub fn read_field(buf: &[u8], pos: usize, end: usize, open: &mut Vec<OpenGroup>) -> Result<Raw, Fault> {
    open.clear();
    let end = end.min(buf.len());
    let mut pos = pos;
    while pos < end {
        let tag_offset = pos;
        let (tag, after, tag_overlong) = match buf.get(pos) {
            Some(&byte) if byte < 0x80 => (u64::from(byte), pos + 1, false),
            _ => read_varint(buf, pos, end).map_err(|kind| varint_fault(kind, tag_offset))?,
        };
        pos = after;
        let wire = (tag & 7) as u8;
        let number64 = tag >> 3;
        if number64 == 0 {
            return Err(Fault {
                offset: tag_offset,
                resume: tag_offset,
                kind: FaultKind::FieldNumberZero { tag_offset },
            });
        }
        if number64 > MAX_FIELD_NUMBER {
            return Err(Fault {
                offset: tag_offset,
                resume: tag_offset,
                kind: FaultKind::FieldNumberTooBig { number: number64, tag_offset },
            });
        }
        let number = number64 as u32;
        let tag_len = (pos - tag_offset) as u8;
        let fault = |kind| Fault { offset: tag_offset, resume: tag_offset, kind };
        let raw = match wire {
            VARINT => {
                let voff = pos;
                let (value, after, value_overlong) = match buf.get(pos) {
                    Some(&byte) if byte < 0x80 && pos < end => (u64::from(byte), pos + 1, false),
                    _ => read_varint(buf, pos, end).map_err(|kind| varint_fault(kind, tag_offset))?,
                };
                pos = after;
                Raw {
                    number,
                    wire,
                    tag_len,
                    overlong: tag_overlong || value_overlong,
                    offset: tag_offset,
                    voff,
                    vend: pos,
                    end: pos,
                    value,
                }
            }
            LEN => {
                let (size, after, len_overlong) = match buf.get(pos) {
                    Some(&byte) if byte < 0x80 && pos < end => (u64::from(byte), pos + 1, false),
                    _ => read_varint(buf, pos, end).map_err(|kind| varint_fault(kind, tag_offset))?,
                };
                pos = after;
                let remain = end - pos;
                if size > remain as u64 {
                    return Err(fault(FaultKind::LengthPastEnd { number, tag_offset, size, remain }));
                }
                let voff = pos;
                pos += size as usize;
                Raw {
                    number,
                    wire,
                    tag_len,
                    overlong: tag_overlong || len_overlong,
                    offset: tag_offset,
                    voff,
                    vend: pos,
                    end: pos,
                    value: 0,
                }
            }
            I32 | I64 => {
                let width = if wire == I32 { 4 } else { 8 };
                let remain = end - pos;
                if width > remain {
                    return Err(fault(FaultKind::FixedPastEnd { number, tag_offset, width, remain }));
                }
                let mut value: u64 = 0;
                for (shift, byte) in buf.get(pos..pos + width).unwrap_or(&[]).iter().enumerate() {
                    value |= u64::from(*byte) << (8 * shift);
                }
                let voff = pos;
                pos += width;
                Raw {
                    number,
                    wire,
                    tag_len,
                    overlong: tag_overlong,
                    offset: tag_offset,
                    voff,
                    vend: pos,
                    end: pos,
                    value,
                }
            }
            SGROUP => {
                open.push(OpenGroup {
                    number,
                    offset: tag_offset,
                    tag_len,
                    voff: pos,
                    overlong: tag_overlong,
                });
                continue;
            }
            EGROUP => {
                let Some(group) = open.pop() else {
                    return Err(fault(FaultKind::StrayEndGroup { number, tag_offset }));
                };
                if group.number != number {
                    open.push(group);
                    return Err(fault(FaultKind::MismatchedEndGroup {
                        number,
                        tag_offset,
                        group_number: group.number,
                        group_offset: group.offset,
                    }));
                }
                Raw {
                    number,
                    wire: SGROUP,
                    tag_len: group.tag_len,
                    overlong: group.overlong || tag_overlong,
                    offset: group.offset,
                    voff: group.voff,
                    vend: tag_offset,
                    end: pos,
                    value: 0,
                }
            }
            _ => return Err(fault(FaultKind::InvalidWireType { wire, tag_offset, number })),
        };
        if open.is_empty() {
            return Ok(raw);
        }
    }
    match open.first() {
        Some(outermost) => Err(Fault {
            offset: end,
            resume: end,
            kind: FaultKind::GroupNotClosed { number: outermost.number, offset: outermost.offset, end },
        }),
        // Only reached when `pos >= end` on entry: callers never ask for that.
        None => {
            Err(Fault { offset: end, resume: end, kind: FaultKind::VarintPastEnd { start: end, remain: 0 } })
        }
    }
}

/// The fields of a range read one at a time: a message payload (every field must
/// parse) or a group's body (`tolerant`: a fault ends the range, and a group still
/// open there is closed where the fault is, as the walk that found the group did).
pub struct Fields {
    pub pos: usize,
    pub end: usize,
    pub tolerant: bool,
}

impl Fields {
    pub fn new(start: usize, end: usize, tolerant: bool) -> Self {
        Fields { pos: start, end, tolerant }
    }

    /// The next field, or None at the end (or after a fault).
    pub fn next(&mut self, buf: &[u8], open: &mut Vec<OpenGroup>) -> Option<Raw> {
        if self.pos >= self.end {
            return None;
        }
        match read_field(buf, self.pos, self.end, open) {
            Ok(raw) => {
                self.pos = raw.end.max(self.pos + 1);
                Some(raw)
            }
            Err(fault) => {
                self.pos = self.end;
                if self.tolerant {
                    open.first().map(|group| group.closed_at(fault.resume))
                } else {
                    None
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(data: &[u8]) -> Result<Raw, Fault> {
        read_field(data, 0, data.len(), &mut Vec::new())
    }

    #[test]
    fn varints_of_every_length_and_their_faults() {
        assert_eq!(read_varint(&[0x96, 0x01], 0, 2), Ok((150, 2, false)));
        assert_eq!(read_varint(&[0x80, 0x00], 0, 2), Ok((0, 2, true)));
        let max = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01];
        assert_eq!(read_varint(&max, 0, 10), Ok((u64::MAX, 10, false)));
        let wide = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F];
        assert_eq!(read_varint(&wide, 0, 10), Ok((u64::MAX, 10, true)));
        assert_eq!(read_varint(&[0x80; 11], 0, 11), Err(FaultKind::VarintTooLong { start: 0 }));
        assert_eq!(read_varint(&[0x80; 10], 0, 10), Err(FaultKind::VarintTooLong { start: 0 }));
        assert_eq!(read_varint(&[0x80, 0x80], 0, 2), Err(FaultKind::VarintPastEnd { start: 0, remain: 2 }));
        // The end bound wins over the buffer's length.
        assert_eq!(read_varint(&[0x96, 0x01], 0, 1), Err(FaultKind::VarintPastEnd { start: 0, remain: 1 }));
    }

    #[test]
    fn fields_of_each_wire_type() {
        // 08 96 01: field 1 varint 150
        let raw = one(&[0x08, 0x96, 0x01]).unwrap();
        assert_eq!((raw.number, raw.wire, raw.value, raw.voff, raw.end), (1, VARINT, 150, 1, 3));
        // 12 02 68 69: field 2 LEN "hi"
        let raw = one(&[0x12, 0x02, 0x68, 0x69]).unwrap();
        assert_eq!((raw.number, raw.wire, raw.voff, raw.vend), (2, LEN, 2, 4));
        // 1d 00 00 80 3f: field 3 fixed32 1.0f
        assert_eq!(one(&[0x1D, 0x00, 0x00, 0x80, 0x3F]).unwrap().value, 0x3F80_0000);
        // 0b 08 01 0c: group 1 { field 1 varint 1 }
        let raw = one(&[0x0B, 0x08, 0x01, 0x0C]).unwrap();
        assert_eq!((raw.wire, raw.voff, raw.vend, raw.end), (SGROUP, 1, 3, 4));
    }

    #[test]
    fn faults_say_where_and_why() {
        let fault = one(&[0x1A, 0xC8, 0x01, 0x61, 0x62]).unwrap_err();
        assert_eq!(fault.message(), "field 3 at offset 0 declares 200 bytes, 2 remain");
        assert_eq!(one(&[0x00]).unwrap_err().message(), "field number 0 in tag at offset 0");
        assert_eq!(one(&[0x0E]).unwrap_err().message(), "invalid wire type 6 in tag at offset 0 (field 1)");
        assert_eq!(
            one(&[0x0C]).unwrap_err().message(),
            "end-group tag for field 1 at offset 0 has no matching start-group"
        );
        let mut open = Vec::new();
        let fault = read_field(&[0x0B, 0x13, 0x08, 0x01], 0, 4, &mut open).unwrap_err();
        assert_eq!(fault.message(), "group 1 started at offset 0 is not closed before the end at offset 4");
        assert_eq!(open.len(), 2);
        let fault = one(&[0x0B, 0x14]).unwrap_err();
        assert_eq!(
            fault.message(),
            "end-group tag for field 2 at offset 1 does not match the start-group of field 1 at offset 0"
        );
        assert_eq!(
            one(&[0x0D, 0x01]).unwrap_err().message(),
            "field 1 at offset 0 (fixed32) needs 4 bytes, 1 remain"
        );
        let big = one(&[0xF8, 0xFF, 0xFF, 0xFF, 0x7F]).unwrap_err();
        assert_eq!(big.message(), "field number 4294967295 in tag at offset 0 exceeds 536870911");
    }

    #[test]
    fn tolerant_ranges_close_a_group_at_the_fault() {
        // 0b 08 01 13 08 01: group 1 { 1: 1, group 2 { 1: 1 ... (never closed)
        let data = [0x0B, 0x08, 0x01, 0x13, 0x08, 0x01];
        let mut open = Vec::new();
        let mut body = Fields::new(1, data.len(), true);
        assert_eq!(body.next(&data, &mut open).map(|r| r.number), Some(1));
        let group = body.next(&data, &mut open).unwrap();
        assert_eq!((group.number, group.vend, group.end), (2, 6, 6));
        assert!(body.next(&data, &mut open).is_none());
    }
}
