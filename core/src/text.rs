//! Numbers and strings written exactly as Python writes them: `repr(float)`,
//! `str(int)`, and JSON strings as `json.dumps(..., ensure_ascii=False)` escapes them.
#![forbid(unsafe_code)]

/// Append `repr(number)` (finite or not: `nan`, `inf`, `-inf`).
///
/// Python's repr is the shortest digit string that reads back to the same double
/// (of those, the nearest; an exact tie goes to the even digit), written
/// positionally when the decimal exponent is in -4..16 and in exponent form
/// (`1e+16`, `1e-05`) otherwise. Ryu picks the same digits - Rust's own `{:e}` does
/// not always on a tie (`562949953421312.2` came out `.3`) - and is laid out here as
/// Python lays them out.
pub fn push_float_repr(out: &mut Vec<u8>, number: f64) {
    if number.is_nan() {
        out.extend_from_slice(b"nan");
        return;
    }
    if number.is_infinite() {
        out.extend_from_slice(if number > 0.0 { b"inf" } else { b"-inf" });
        return;
    }
    // Ryu writes `1e16`, `0.00001`, `123.456` or `1.5e-7`: its digits, and where the
    // decimal point falls among them (`point`: the digits are 0.d1d2... * 10^point).
    let mut buffer = ryu::Buffer::new();
    let written = buffer.format_finite(number.abs()).as_bytes();
    let split = written.iter().position(|&b| b == b'e').unwrap_or(written.len());
    let (mantissa, exponent) = written.split_at(split);
    let mut exponent_value: i32 = 0;
    let mut exponent_negative = false;
    for &byte in exponent.iter().skip(1) {
        match byte {
            b'-' => exponent_negative = true,
            b'0'..=b'9' => exponent_value = exponent_value * 10 + i32::from(byte - b'0'),
            _ => {}
        }
    }
    let exponent = if exponent_negative { -exponent_value } else { exponent_value };
    let mut digit_buffer = [0u8; 40];
    let mut count = 0usize;
    let mut before_point = 0i32;
    let mut seen_point = false;
    let mut leading_zeros = 0i32;
    for &byte in mantissa {
        if byte == b'.' {
            seen_point = true;
        } else if byte.is_ascii_digit() {
            if !seen_point {
                before_point += 1;
            }
            if count == 0 && byte == b'0' {
                leading_zeros += 1; // `0.00001`: not significant
            } else if let Some(slot) = digit_buffer.get_mut(count) {
                *slot = byte;
                count += 1;
            }
        }
    }
    while count > 1 && digit_buffer.get(count - 1) == Some(&b'0') {
        count -= 1; // `1.0`, `100.0`: the point is kept in `point`
    }
    if count == 0 {
        digit_buffer[0] = b'0';
        count = 1;
        leading_zeros -= 1;
    }
    let point = before_point + exponent - leading_zeros;
    let digits = digit_buffer.get(..count).unwrap_or(&[]);
    let count = count as i32;
    if number.is_sign_negative() {
        out.push(b'-');
    }
    if -4 < point && point <= 16 {
        if point <= 0 {
            out.extend_from_slice(b"0.");
            out.extend(std::iter::repeat_n(b'0', (-point) as usize));
            out.extend_from_slice(digits);
        } else if point >= count {
            out.extend_from_slice(digits);
            out.extend(std::iter::repeat_n(b'0', (point - count) as usize));
            out.extend_from_slice(b".0");
        } else {
            let (whole, fraction) = digits.split_at(point as usize);
            out.extend_from_slice(whole);
            out.push(b'.');
            out.extend_from_slice(fraction);
        }
    } else {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        out.extend_from_slice(first);
        if !rest.is_empty() {
            out.push(b'.');
            out.extend_from_slice(rest);
        }
        let shown = point - 1;
        out.push(b'e');
        out.push(if shown < 0 { b'-' } else { b'+' });
        let magnitude = shown.unsigned_abs();
        if magnitude < 10 {
            out.push(b'0');
        }
        push_u64(out, u64::from(magnitude));
    }
}

/// Append a JSON number for a float as the decode contract writes it (`json_float`):
/// NaN and the infinities as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`.
pub fn push_json_float(out: &mut Vec<u8>, number: f64) {
    if number.is_nan() {
        out.extend_from_slice(b"\"NaN\"");
    } else if number.is_infinite() {
        out.extend_from_slice(if number > 0.0 { b"\"Infinity\"" } else { b"\"-Infinity\"" });
    } else {
        push_float_repr(out, number);
    }
}

pub fn push_u64(out: &mut Vec<u8>, value: u64) {
    // Most numbers of a FIELD object (numbers, wire types, tag lengths, short
    // lengths) have one or two digits: written without a formatter.
    if value < 10 {
        out.push(b'0' + value as u8);
    } else if value < 100 {
        out.extend_from_slice(&[b'0' + (value / 10) as u8, b'0' + (value % 10) as u8]);
    } else {
        out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }
}

pub fn push_i64(out: &mut Vec<u8>, value: i64) {
    if value >= 0 {
        push_u64(out, value as u64);
    } else {
        out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }
}

/// The largest integer an IEEE double holds exactly, and every smaller one
/// (`json_text.MAX_SAFE_INTEGER`).
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Append an integer member of the JSON contract: a number up to
/// ±[`MAX_SAFE_INTEGER`], beyond it its decimal text as a string, so that a reader
/// keeping numbers as doubles (`jq`, JavaScript) reads it exactly
/// (`json_text.exact_integers`, the proto3 JSON mapping's 64-bit integers).
pub fn push_json_u64(out: &mut Vec<u8>, value: u64) {
    if value > MAX_SAFE_INTEGER {
        out.push(b'"');
        push_u64(out, value);
        out.push(b'"');
    } else {
        push_u64(out, value);
    }
}

/// [`push_json_u64`] of a signed integer.
pub fn push_json_i64(out: &mut Vec<u8>, value: i64) {
    if value.unsigned_abs() > MAX_SAFE_INTEGER {
        out.push(b'"');
        push_i64(out, value);
        out.push(b'"');
    } else {
        push_i64(out, value);
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Append `text` (UTF-8) as a quoted JSON string, escaped as Python's
/// `json.encoder.encode_basestring` does (`"`, `\` and control characters below
/// U+0020) and then as `render.escape.escape_json` does: what a terminal could act
/// on - DEL, the C1 controls, the bidi and zero-width format characters (U+200B-U+200F,
/// U+202A-U+202E, U+2060-U+2069, U+FEFF) and surrogates - as `\uXXXX` escapes of the
/// same value, so a JSON document printed to a terminal can neither drive it nor
/// reorder or hide text. Everything else is written as it is.
pub fn push_json_string(out: &mut Vec<u8>, text: &[u8]) {
    out.push(b'"');
    let mut start = 0;
    let mut index = 0;
    // From one byte that may need an escape to the next.
    while let Some(skip) =
        text.get(index..).and_then(|rest| rest.iter().position(|&b| ATTENTION[usize::from(b)]))
    {
        index += skip;
        let Some(&byte) = text.get(index) else { break };
        let mut width = 1;
        let escape: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0C => b"\\f",
            0x00..=0x1F | 0x7F => b"",
            0xC2 | 0xE2 | 0xED | 0xEF => {
                // A two- or three-byte sequence of a character to escape?
                let second = text.get(index + 1).copied().unwrap_or(0);
                let third = text.get(index + 2).copied().unwrap_or(0);
                let unsafe_width = match (byte, second, third) {
                    (0xC2, 0x80..=0x9F, _) => 2,                                              // C1
                    (0xE2, 0x80, 0x8B..=0x8F | 0xAA..=0xAE) | (0xE2, 0x81, 0xA0..=0xA9) => 3, // bidi, zero-width
                    (0xED, 0xA0..=0xBF, 0x80..=0xBF) => 3,                                    // a surrogate
                    (0xEF, 0xBB, 0xBF) => 3,                                                  // U+FEFF
                    _ => 0,
                };
                if unsafe_width == 0 {
                    index += 1;
                    continue;
                }
                width = unsafe_width;
                b""
            }
            _ => {
                index += 1;
                continue;
            }
        };
        out.extend_from_slice(text.get(start..index).unwrap_or(&[]));
        if escape.is_empty() {
            let code = match width {
                1 => u32::from(byte),
                2 => u32::from(text.get(index + 1).copied().unwrap_or(0) & 0x3F) | 0x80,
                _ => {
                    let second = u32::from(text.get(index + 1).copied().unwrap_or(0) & 0x3F);
                    let third = u32::from(text.get(index + 2).copied().unwrap_or(0) & 0x3F);
                    (u32::from(byte & 0x0F) << 12) | (second << 6) | third
                }
            };
            out.extend_from_slice(b"\\u");
            for shift in [12, 8, 4, 0] {
                out.push(HEX[((code >> shift) & 15) as usize]);
            }
        } else {
            out.extend_from_slice(escape);
        }
        index += width;
        start = index;
    }
    out.extend_from_slice(text.get(start..).unwrap_or(&[]));
    out.push(b'"');
}

/// The bytes [`push_json_string`] looks at: those JSON escapes (`"`, `\\`, below
/// U+0020), DEL, and the lead bytes of the characters `escape_json` escapes.
const ATTENTION: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = true;
        byte += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table[0x7F] = true;
    table[0xC2] = true;
    table[0xE2] = true;
    table[0xED] = true;
    table[0xEF] = true;
    table
};

/// Each byte's two lowercase hex digits.
const HEX_PAIRS: [[u8; 2]; 256] = {
    let mut table = [[0u8; 2]; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = [HEX[byte >> 4], HEX[byte & 15]];
        byte += 1;
    }
    table
};

/// Append the bytes as lowercase hex (`bytes.hex()`).
pub fn push_hex(out: &mut Vec<u8>, data: &[u8]) {
    let start = out.len();
    out.resize(start + 2 * data.len(), 0);
    if let Some(room) = out.get_mut(start..) {
        for (pair, &byte) in room.chunks_exact_mut(2).zip(data) {
            pair.copy_from_slice(&HEX_PAIRS[usize::from(byte)]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_beyond_a_doubles_are_strings() {
        let text = |write: &dyn Fn(&mut Vec<u8>)| {
            let mut out = Vec::new();
            write(&mut out);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(text(&|o| push_json_u64(o, MAX_SAFE_INTEGER)), "9007199254740991");
        assert_eq!(text(&|o| push_json_u64(o, MAX_SAFE_INTEGER + 1)), "\"9007199254740992\"");
        assert_eq!(text(&|o| push_json_u64(o, u64::MAX)), "\"18446744073709551615\"");
        assert_eq!(text(&|o| push_json_i64(o, -(MAX_SAFE_INTEGER as i64))), "-9007199254740991");
        assert_eq!(text(&|o| push_json_i64(o, -(MAX_SAFE_INTEGER as i64) - 1)), "\"-9007199254740992\"");
        assert_eq!(text(&|o| push_json_i64(o, i64::MIN)), "\"-9223372036854775808\"");
        assert_eq!(text(&|o| push_json_i64(o, 7)), "7");
    }

    fn repr(number: f64) -> String {
        let mut out = Vec::new();
        push_float_repr(&mut out, number);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn floats_read_as_python_writes_them() {
        let cases = [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.5, "1.5"),
            (100.0, "100.0"),
            (0.1, "0.1"),
            (1e16, "1e+16"),
            (1234567890123456.0, "1234567890123456.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (f64::from(0.1f32), "0.10000000149011612"),
            (-2.25, "-2.25"),
            (123456789.0, "123456789.0"),
            // 2^49 + 0.25: .2 and .3 are equally near; Python's repr takes the even.
            (562949953421312.2, "562949953421312.2"),
            (9007199254740993.0, "9007199254740992.0"),
            (1e22, "1e+22"),
            (123.456, "123.456"),
        ];
        for (number, text) in cases {
            assert_eq!(repr(number), text);
        }
        assert_eq!(repr(f64::NAN), "nan");
        assert_eq!(repr(f64::NEG_INFINITY), "-inf");
    }

    #[test]
    fn bytes_as_hex() {
        let mut out = b"x".to_vec();
        push_hex(&mut out, &[0x00, 0x0F, 0xA5, 0xFF]);
        assert_eq!(out, b"x000fa5ff");
        let every: Vec<u8> = (0..=255).collect();
        let mut out = Vec::new();
        push_hex(&mut out, &every);
        let expected: String = every.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(out, expected.as_bytes());
    }

    #[test]
    fn integers_read_as_python_writes_them() {
        for value in [0u64, 1, 9, 10, 42, 99, 100, 101, 999, 12345, u64::MAX] {
            let mut out = Vec::new();
            push_u64(&mut out, value);
            assert_eq!(out, value.to_string().as_bytes());
        }
        for value in [0i64, 7, 10, 99, 100, -1, -9, -10, -99, -100, i64::MIN, i64::MAX] {
            let mut out = Vec::new();
            push_i64(&mut out, value);
            assert_eq!(out, value.to_string().as_bytes());
        }
    }

    #[test]
    fn strings_escape_as_json_dumps_then_escape_json() {
        let mut out = Vec::new();
        push_json_string(&mut out, "a\"b\\c\n\x01\x7f é\u{2028}".as_bytes());
        assert_eq!(String::from_utf8(out).unwrap(), "\"a\\\"b\\\\c\\n\\u0001\\u007f é\u{2028}\"");
    }

    #[test]
    fn what_a_terminal_acts_on_is_escaped() {
        let json = |text: &[u8]| {
            let mut out = Vec::new();
            push_json_string(&mut out, text);
            String::from_utf8_lossy(&out).into_owned()
        };
        let text = "\u{202e}x\u{85}\u{9b}\u{1b}[2J\0\u{200b}\u{2066}\u{2069}\u{feff}\u{a0}\u{2010}\u{ffff}";
        assert_eq!(
            json(text.as_bytes()),
            "\"\\u202ex\\u0085\\u009b\\u001b[2J\\u0000\\u200b\\u2066\\u2069\\ufeff\u{a0}\u{2010}\u{ffff}\""
        );
        // A surrogate's bytes (not UTF-8: never a string of the model, but never raw).
        assert_eq!(json(b"a\xed\xa0\x80"), "\"a\\ud800\"");
        // Sequences cut short at the end are left as they are.
        assert_eq!(json(b"\xe2\x80"), "\"\u{fffd}\"");
    }
}
