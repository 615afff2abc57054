//! What a schema says, as the Python schema layer hands it down: per message type,
//! per field number, the reading a length-delimited payload must have (the decode
//! hints of `annotate.DescriptorHints`) and what `annotate` attaches to a field
//! (name, declared type, JSON name, oneof, the value as the schema reads it).
//!
//! The Python layer owns the descriptors and builds these tables
//! (`wiretool/protobuf/native.py`); nothing here knows of the protobuf runtime.
#![forbid(unsafe_code)]

use std::collections::HashMap;

use crate::rules::Kind;

/// `FieldDescriptor.TYPE_*` numbers (descriptor.proto).
pub mod scalar {
    pub const DOUBLE: u8 = 1;
    pub const FLOAT: u8 = 2;
    pub const INT64: u8 = 3;
    pub const UINT64: u8 = 4;
    pub const INT32: u8 = 5;
    pub const FIXED64: u8 = 6;
    pub const FIXED32: u8 = 7;
    pub const BOOL: u8 = 8;
    pub const UINT32: u8 = 13;
    pub const ENUM: u8 = 14;
    pub const SFIXED32: u8 = 15;
    pub const SFIXED64: u8 = 16;
    pub const SINT32: u8 = 17;
    pub const SINT64: u8 = 18;
}

/// One field of a message type.
#[derive(Clone, Debug, Default)]
pub struct FieldInfo {
    pub name: String,
    /// Declared type as a .proto writes it (`int32`, `.pkg.Msg`, `map<K, V>`).
    pub type_name: String,
    pub json_name: String,
    /// The real oneof the field belongs to (not proto3 `optional`'s).
    pub oneof: Option<String>,
    /// The kind an occurrence of each wire type (0-5) must be read as; None when that
    /// wire type contradicts the schema (`annotate.expected_kind`).
    pub expected: [Option<Kind>; 6],
    /// The reading a LEN payload is forced to (`rules` reading number), if any.
    pub len_reading: Option<usize>,
    /// `FieldDescriptor.type`.
    pub scalar: u8,
    /// The wire type a non-packed occurrence uses (`annotate.declared_wire_type`).
    pub declared_wire: u8,
    /// Enum value names by number (enum fields).
    pub enum_names: Option<HashMap<i64, String>>,
    /// The message or group type of the field, as an index into `Schema::types`.
    pub child: Option<usize>,
    /// The JSON members `,"name":..,"type":..,"json_name":..,"display":` (set by
    /// [`FieldInfo::prepare`]; written before each display value).
    pub json_head: Vec<u8>,
}

impl FieldInfo {
    /// Compute the text the JSON writer repeats for every occurrence.
    pub fn prepare(mut self) -> Self {
        use crate::text::push_json_string;
        let mut head = Vec::with_capacity(64);
        head.extend_from_slice(b",\"name\":");
        push_json_string(&mut head, self.name.as_bytes());
        head.extend_from_slice(b",\"type\":");
        push_json_string(&mut head, self.type_name.as_bytes());
        head.extend_from_slice(b",\"json_name\":");
        push_json_string(&mut head, self.json_name.as_bytes());
        head.extend_from_slice(b",\"display\":");
        self.json_head = head;
        self
    }
}

/// One message type: its fields by number.
#[derive(Clone, Debug, Default)]
pub struct MessageType {
    fields: Vec<FieldInfo>,
    /// Index into `fields` by field number, for the numbers below [`DENSE_NUMBERS`]
    /// (every real schema's common fields): one array read per field on the wire.
    dense: Vec<Option<u32>>,
    /// The other numbers (extension ranges and other huge numbers).
    sparse: HashMap<u32, u32>,
}

const DENSE_NUMBERS: u32 = 1024;

impl MessageType {
    /// Add (or replace) the field numbered `number`.
    pub fn insert(&mut self, number: u32, field: FieldInfo) {
        let index = match self.get_index(number) {
            Some(index) => {
                if let Some(slot) = self.fields.get_mut(index as usize) {
                    *slot = field;
                }
                return;
            }
            None => self.fields.len() as u32,
        };
        self.fields.push(field);
        if number < DENSE_NUMBERS {
            let at = number as usize;
            if self.dense.len() <= at {
                self.dense.resize(at + 1, None);
            }
            if let Some(slot) = self.dense.get_mut(at) {
                *slot = Some(index);
            }
        } else {
            self.sparse.insert(number, index);
        }
    }

    fn get_index(&self, number: u32) -> Option<u32> {
        if number < DENSE_NUMBERS {
            self.dense.get(number as usize).copied().flatten()
        } else {
            self.sparse.get(&number).copied()
        }
    }

    pub fn get(&self, number: u32) -> Option<&FieldInfo> {
        self.fields.get(self.get_index(number)? as usize)
    }
}

/// A root message type (index 0) and every type reachable from it.
#[derive(Clone, Debug, Default)]
pub struct Schema {
    pub types: Vec<MessageType>,
    /// The index of `google.protobuf.Any`, when the types hold it.
    pub any: Option<usize>,
    /// Per type an Any's value is read as (an index into `types`): its field 2 as that
    /// type's message (declared type `.pkg.T`, expected a message, children of `T`).
    pub any_values: HashMap<usize, FieldInfo>,
}

/// Where a [`FieldInfo`] is in a [`Schema`]: a field of a message type, or the value
/// of an Any read as a type of the schema. Events that cross threads carry this
/// rather than a reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldAt {
    Field { message_type: usize, number: u32 },
    AnyValue(usize),
}

impl Schema {
    pub fn field(&self, message_type: usize, number: u32) -> Option<&FieldInfo> {
        self.types.get(message_type)?.get(number)
    }

    /// The field `at` names.
    pub fn at(&self, at: FieldAt) -> Option<&FieldInfo> {
        match at {
            FieldAt::Field { message_type, number } => self.field(message_type, number),
            FieldAt::AnyValue(held) => self.any_values.get(&held),
        }
    }

    /// The schema with `any` as the index of `google.protobuf.Any` and the types an
    /// Any's value may be read as, `(index, full name)` each.
    pub fn with_any(mut self, any: Option<usize>, held: &[(usize, String)]) -> Self {
        self.any = any;
        self.any_values.clear();
        let value = any.and_then(|a| self.field(a, 2)).cloned();
        if let Some(value) = value {
            for (index, name) in held {
                let mut expected = [None; 6];
                expected[usize::from(crate::scan::LEN)] = Some(Kind::Message);
                let info = FieldInfo {
                    type_name: format!(".{name}"),
                    expected,
                    len_reading: Some(crate::rules::MESSAGE),
                    child: Some(*index),
                    ..value.clone()
                };
                self.any_values.insert(*index, info.prepare());
            }
        }
        self
    }
}

/// A scalar as the schema reads it (`annotate.read_scalar`).
#[derive(Clone, Debug, PartialEq)]
pub enum Display {
    Text(String),
    Int(i64),
    Unsigned(u64),
    Float(f64),
    Bool(bool),
}

fn to_signed(value: u64, bits: u32) -> i64 {
    if bits >= 64 {
        value as i64
    } else {
        let masked = value & ((1u64 << bits) - 1);
        if masked >> (bits - 1) != 0 {
            masked as i64 - (1i64 << bits)
        } else {
            masked as i64
        }
    }
}

fn zigzag(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}

/// One scalar of the field's type from its unsigned value, read with the wire type
/// the type is encoded with (the engine hands only such values here: `annotate`'s
/// rule that the schema never wins over the bytes is [`FieldInfo::expected`] and the
/// packed reading check of `engine::Engine::emit`). A value outside the declared
/// range is read as protobuf parsers read it (the low 32 bits of an int32, any
/// non-zero bool is true); [`out_of_range`] says so.
pub fn read_scalar(field: &FieldInfo, raw: u64) -> Display {
    match field.scalar {
        scalar::ENUM => {
            let number = to_signed(raw & 0xFFFF_FFFF, 32);
            match field.enum_names.as_ref().and_then(|names| names.get(&number)) {
                Some(name) => Display::Text(name.clone()),
                None => Display::Int(number),
            }
        }
        scalar::BOOL => Display::Bool(raw != 0),
        // Parsers truncate int32 to 32 bits.
        scalar::INT32 => Display::Int(to_signed(raw & 0xFFFF_FFFF, 32)),
        scalar::INT64 | scalar::SFIXED64 => Display::Int(to_signed(raw, 64)),
        scalar::SFIXED32 => Display::Int(to_signed(raw, 32)),
        scalar::UINT32 => Display::Unsigned(raw & 0xFFFF_FFFF),
        scalar::SINT32 => Display::Int(zigzag(raw & 0xFFFF_FFFF)),
        scalar::SINT64 => Display::Int(zigzag(raw)),
        scalar::FLOAT => Display::Float(f64::from(f32::from_bits(raw as u32))),
        scalar::DOUBLE => Display::Float(f64::from_bits(raw)),
        _ => Display::Unsigned(raw), // uint64, fixed32, fixed64
    }
}

/// A value of the right wire type that does not fit its declared type
/// (`annotate.Reading.problem`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutOfRange {
    /// A varint of an int32, enum, uint32 or sint32 beyond 32 bits, and what its low
    /// 32 bits read as.
    Not32 { raw: u64, read_as: i64 },
    /// A bool's varint other than 0 or 1 (read as true).
    NotBool { raw: u64 },
}

impl OutOfRange {
    /// The words of `annotate.read_scalar`'s problem.
    pub fn text(&self) -> String {
        match self {
            OutOfRange::Not32 { raw, read_as } => {
                format!("varint {raw} is not a 32-bit value: read as {read_as} (its low 32 bits)")
            }
            OutOfRange::NotBool { raw } => format!("varint {raw} is not 0 or 1: read as true"),
        }
    }
}

/// Whether `raw` is outside the field's declared type (encoding spec, "Varints":
/// int32 and enum values are sign-extended to 64 bits, so -1 is in range; "Signed
/// Integers": sint32 is zigzag over 32 bits). Only varint types can be.
pub fn out_of_range(field: &FieldInfo, raw: u64) -> Option<OutOfRange> {
    match field.scalar {
        scalar::ENUM | scalar::INT32 => {
            let wide = raw as i64;
            if wide < i64::from(i32::MIN) || wide > i64::from(i32::MAX) {
                Some(OutOfRange::Not32 { raw, read_as: to_signed(raw & 0xFFFF_FFFF, 32) })
            } else {
                None
            }
        }
        scalar::BOOL if raw > 1 => Some(OutOfRange::NotBool { raw }),
        scalar::UINT32 if raw > 0xFFFF_FFFF => {
            Some(OutOfRange::Not32 { raw, read_as: (raw & 0xFFFF_FFFF) as i64 })
        }
        scalar::SINT32 if raw > 0xFFFF_FFFF => {
            Some(OutOfRange::Not32 { raw, read_as: zigzag(raw & 0xFFFF_FFFF) })
        }
        _ => None,
    }
}

/// Whether values of the field's type can be out of range at all (see [`out_of_range`]).
pub fn has_range(field: &FieldInfo) -> bool {
    matches!(field.scalar, scalar::ENUM | scalar::INT32 | scalar::BOOL | scalar::UINT32 | scalar::SINT32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(scalar: u8) -> FieldInfo {
        FieldInfo { scalar, ..FieldInfo::default() }
    }

    #[test]
    fn scalars_read_as_their_declared_type() {
        assert_eq!(read_scalar(&typed(scalar::INT32), u64::MAX), Display::Int(-1));
        assert_eq!(read_scalar(&typed(scalar::SINT32), 3), Display::Int(-2));
        assert_eq!(read_scalar(&typed(scalar::SINT64), u64::MAX), Display::Int(i64::MIN));
        assert_eq!(read_scalar(&typed(scalar::UINT32), 1 << 33 | 5), Display::Unsigned(5));
        assert_eq!(read_scalar(&typed(scalar::SFIXED32), 0xFFFF_FFFE), Display::Int(-2));
        assert_eq!(read_scalar(&typed(scalar::FLOAT), 0x3FC0_0000), Display::Float(1.5));
        assert_eq!(read_scalar(&typed(scalar::BOOL), 2), Display::Bool(true));
        let mut color = typed(scalar::ENUM);
        color.enum_names = Some(HashMap::from([(-1, "MINUS".to_string())]));
        assert_eq!(read_scalar(&color, u64::MAX), Display::Text("MINUS".into()));
        assert_eq!(read_scalar(&color, 7), Display::Int(7));
    }

    #[test]
    fn values_beyond_their_type_are_out_of_range() {
        let text = |scalar: u8, raw: u64| out_of_range(&typed(scalar), raw).map(|p| p.text());
        // int32 and enum: sign-extended negatives fit, anything else beyond 32 bits not.
        assert_eq!(text(scalar::INT32, (-42i64) as u64), None);
        assert_eq!(text(scalar::INT32, 0x7FFF_FFFF), None);
        assert_eq!(
            text(scalar::INT32, 0xFFFF_FFFF).as_deref(),
            Some("varint 4294967295 is not a 32-bit value: read as -1 (its low 32 bits)")
        );
        assert_eq!(
            text(scalar::ENUM, 1 << 40).as_deref(),
            Some("varint 1099511627776 is not a 32-bit value: read as 0 (its low 32 bits)")
        );
        assert_eq!(text(scalar::BOOL, 1), None);
        assert_eq!(text(scalar::BOOL, 2).as_deref(), Some("varint 2 is not 0 or 1: read as true"));
        assert_eq!(text(scalar::UINT32, 0xFFFF_FFFF), None);
        assert_eq!(
            text(scalar::UINT32, (1 << 33) + 7).as_deref(),
            Some("varint 8589934599 is not a 32-bit value: read as 7 (its low 32 bits)")
        );
        assert_eq!(
            text(scalar::SINT32, (1 << 32) + 3).as_deref(),
            Some("varint 4294967299 is not a 32-bit value: read as -2 (its low 32 bits)")
        );
        // 64-bit and fixed types take every value their wire type carries.
        for scalar in [scalar::INT64, scalar::UINT64, scalar::SINT64, scalar::FIXED32, scalar::DOUBLE] {
            assert_eq!(text(scalar, u64::MAX), None);
            assert!(!has_range(&typed(scalar)));
        }
    }
}
