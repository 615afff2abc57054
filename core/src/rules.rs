//! The inference rules: what a length-delimited payload is, without a schema.
//!
//! A LEN payload (wire type 2) may be a nested message, a string, raw bytes or a
//! packed repeated scalar; the wire does not say which. Decoders that try "message
//! first" turn short strings (`hi`, `image.png`, `PLAYERGROUP`) into nested messages
//! and never find packed numbers. wiretool scores every reading of every payload
//! instead, and decides per field path by the weight of the evidence of all its
//! occurrences. Every scoring and decision rule is in this module, and only here:
//! the readings of a payload and their scores ([`readings`], [`finish`]), what an
//! occurrence may be shown as ([`Profile`]), which readings are listed as
//! alternatives ([`ranking`], [`alternatives`]), and the decision per field path
//! ([`Tally`]). The walk (`engine.rs`) calls these; it adds only the order (children
//! before their parent, in wire order) and the paths. The README's "How the kind of
//! a length-delimited field is chosen" says the same for users.
//!
//! # Scores
//!
//! Each score is a rough log-odds (natural units) of "this reading explains the
//! bytes better than random bytes would". Every reading that parses is scored,
//! whatever the payload looks like.
//!
//! **bytes**: always possible; score 0.
//!
//! **string**: valid UTF-8 is required; the empty payload scores 0. With an ASCII
//! control character other than tab, line feed and carriage return (0x00-0x08, 0x0b,
//! 0x0c, 0x0e-0x1f, 0x7f) it scores `1 - 3 * controls`, so text with a NUL in it is
//! bytes; a carriage return not followed by a line feed counts as a control (it ends
//! a line only before one). Whitespace alone scores 0.5 (a lone `\n` is more often a
//! byte). Otherwise `1 +` the evidence of each byte, without a cap ([`text_points`]):
//! `a-z` +2, space +2.5, `A-Z`, digits and `. - _ / : ,` +1, `^ $ ~ \ | < >` -1
//! (rare in text of every kind), other printable ASCII 0, tab, line feed and carriage
//! return -1 (rare in text, but field 1's tag and lengths 9, 10, 13 in a message),
//! each byte of a multi-byte UTF-8 character +1. Because a message's score includes
//! its children's (below), a message whose every byte is
//! printable is compared fairly with its text reading: its strings score the same in
//! both, and what is left is its tags and lengths against the same bytes read as
//! characters - `0a 28 "grpc.reflection..."` is a message (a line feed starting a
//! string is unlikely, field 1's tag is not), `"hi"` is a string (field 13 = 105 is
//! unlikely).
//!
//! **message**: the payload must parse completely as fields: valid wire types, field
//! numbers from 1 to 2^29-1, balanced groups, every length inside the payload. The
//! empty payload scores 0. Otherwise its own evidence ([`score_message`]) starts at
//! 2; each field adds evidence by its number (+0.4 up to 15, -0.3 up to 200, then
//! -1, -2, -4) and wire type (varint +0.2, LEN +0.3 plus `ln(1 + length)`, at most
//! 3, for a length that fit exactly - a coincidence of chance about 1/length -;
//! fixed32/fixed64 -0.3; groups -3, the classic false reading of short strings).
//! Field numbers in ascending order (as serializers write them) add 0.3 per pair; a
//! step back costs 3 (7 of the 24,179 messages of the realistic ground truth step
//! back - extensions written after the known fields - where a chance parse steps
//! back every other pair). To that is added the *best score* (see below) of each of
//! its length-delimited fields, those inside its groups included ([`finish`]): a
//! payload whose children are clean strings and well-formed messages is a message,
//! and the evidence adds up from the leaves (a child not explored because of
//! `--max-depth` adds nothing).
//!
//! **packed**: varint elements ([`score_packed_varints`]): the payload must end on a
//! byte below 0x80, with no varint over 10 bytes and none overlong (no real encoder
//! writes one: -5). It starts at 0.7 (random bytes parse as varints about half the
//! time: ln 2), and each element adds the log-odds of "real integer" against "random
//! bytes": a one-byte element by its value (+0.8 below 16, +0.3 for 0, 0 below 64,
//! -0.7 above); a longer one by its length (+0.2 for 4 bytes, +0.6 from 5) and its
//! last byte `t`, which holds the top 7 bits ([`top_score`]): real numbers spread
//! evenly on a log scale (Benford), so `t` has a chance of `ln(1 + 1/t) / ln 128`
//! against 1/128 in random bytes (+2.9 for 1, +0.5 for 15, -0.9 for 63, -1.6 for
//! 127); a 10-byte sign-extended negative number adds 2.5 (0.5 otherwise). Numbers
//! of one field are of one magnitude: elements of one multi-byte size add 0.5 each,
//! and an element two bytes or more longer or shorter than the one before costs 1.5
//! (a third of random bytes' neighbours are). Where every element is one byte - n
//! random bytes are all below 0x80 by a chance of 2^-n, a field of small numbers
//! about half the time - each element after the first adds ln 2 (a payload of one
//! control byte adds it once: one-byte bytes fields are rare), unless the payload
//! reads as a message scoring above 0 (a message of small numbers has its bytes
//! below 0x80 too: this tells packed from bytes and text, not from a message). The
//! sum is capped at 5.3. Then, where the elements alternate as the tags and values
//! of varint fields in ascending order (the payload is also a message of varint
//! fields: a Timestamp, a range), each such tag costs ln 8 after the cap: real small
//! numbers are multiples of 8 at every other place by a chance of about 1/8 each.
//! fixed32/fixed64 elements ([`score_packed_fixed`]): the length must be a multiple
//! of 4/8; each element that reads as a plausible float/double (magnitude between
//! 1e-6 and 1e9) adds 1.6 (3.2 for doubles), an exact zero 0.5, an element whose top
//! byte is that of a neighbouring element 1 (integers of one magnitude: counts,
//! timestamps, ids), anything else -3.3 (-3.5); zeros and integers of one magnitude
//! count twice for fixed64 (they weigh by the bytes they cover). Those are the
//! log-odds of "real floats" (plausible 97% of the time) against random bits, which
//! make a plausible float by a chance of 50/256 (a plausible double, whose top half
//! is a float from 0.25 to 16, counts as two floats). At most 64 elements are looked
//! at and the sum is scaled to all of them; then 0.3 is added, and the score is
//! capped at 6.3. A packed reading also has a *prior* of -1.3 ([`PACKED_PRIOR`]:
//! packed fields are rarer than bytes fields), counted once per field path, not
//! once per occurrence. Packed readings are only scored where no other reading
//! scores more than 14.3 ([`PACKED_WORTH`], their cap plus [`ODD_COST`]): above that
//! they could neither be chosen nor tallied.
//!
//! # Per field path
//!
//! A field path is the chain of field numbers from the root to a field, across every
//! message of the input (all the messages of a stream share their paths). Below a
//! `google.protobuf.Any` - a message of exactly a field 1 holding a type URL
//! (printable ASCII ending in `/` and a dotted type name, at most 1 KiB) and a field
//! 2, both length-delimited - the type URL is part of the path of the fields inside
//! field 2: an Any is the one place where one chain of field numbers holds messages
//! of many types. A whole message (one message of a stream) that is exactly those
//! two fields is an Any too. (The paths are `engine.rs`'s.)
//!
//! For each occurrence, its *best score* is the highest of its readings' scores with
//! the priors (the packed prior; 0 for the others), and its own reading is the
//! reading that has it (ties: message, string, packed varint, packed fixed32, packed
//! fixed64, bytes - the reading numbers below). A path decides by the weight of the
//! evidence of all its occurrences ([`Tally`]): each reading that parses for an
//! occurrence adds to the path's total for that reading how far its score is above
//! `best - ODD_COST` (`ODD_COST` = 8), nothing if it is not; the reading whose total
//! plus its prior is highest is the path's reading (same ties). This is a mixture:
//! an occurrence is either of the path's kind, or - with a small prior chance,
//! `e^-8` - an odd one explained by its own best reading, so one odd occurrence
//! costs a reading at most `ODD_COST` instead of excluding it.
//!
//! Each occurrence is then shown as the path's reading when that reading parses for
//! it and scores at least `best - ODD_COST`; otherwise (an odd occurrence) as its own
//! reading ([`Profile::shown`]). That is what keeps a repeated field from flipping
//! between message and string from one element to the next, lets the clear
//! occurrences of a path decide its ambiguous ones (a short packed array of mid-size
//! values that alone scores below bytes; a zero-length payload, which scores 0 as
//! message, string and bytes, is what its path decides, and an empty message when
//! the path holds nothing else), and lets an odd occurrence keep its reading without
//! demoting its siblings. A schema's declared reading overrides all of this when the
//! payload fits it (`engine.rs`).
//!
//! The alternatives shown beside a reading are the other readings that parse, best
//! first by score with prior ([`ranking`]): `bytes` never (it always parses),
//! `packed` only when its score with the prior is above 0 (nearly any text parses as
//! varints).
//!
//! Floating-point sums are made in a fixed order (the walk's), so a decode gives the
//! same decisions on every run and platform.
#![forbid(unsafe_code)]

use crate::scan::{self, OpenGroup, Raw, LEN};

/// Readings of a LEN payload, numbered in the order ties are broken by (message
/// first, bytes last).
pub const MESSAGE: usize = 0;
pub const STRING: usize = 1;
pub const PACKED_VARINT: usize = 2;
pub const PACKED_FIXED32: usize = 3;
pub const PACKED_FIXED64: usize = 4;
pub const BYTES: usize = 5;
pub const READINGS: usize = 6;

/// The reading's name as the diagnostics write it (`packed varint` with a space).
pub const READING_NAMES: [&str; READINGS] =
    ["message", "string", "packed varint", "packed fixed32", "packed fixed64", "bytes"];

pub fn is_packed(reading: usize) -> bool {
    (PACKED_VARINT..=PACKED_FIXED64).contains(&reading)
}

/// A payload of random bytes parses as varints about half the time: ln 2.
const PACKED_BASE: f64 = 0.7;
const PACKED_FIXED_BASE: f64 = 0.3;
const PACKED_CAP: f64 = 5.3;
/// Plausible floats are rarer by chance than small varints, so they may score higher.
const PACKED_FIXED_CAP: f64 = 6.3;
/// Added once to a field path's total of each packed reading, and to an occurrence's
/// packed scores where it is judged alone (its best score, its own reading, the
/// alternatives): packed fields are rarer than bytes fields, said once per field.
pub const PACKED_PRIOR: f64 = -1.3;
const PACKED_SAME_SIZE: f64 = 0.5;
const PACKED_SAME_TOP: f64 = 1.0;
/// What a packed varint element costs whose size is two bytes or more from its
/// predecessor's.
const PACKED_SIZE_JUMP: f64 = 1.5;
/// ln 2: the log-odds each byte adds to a payload whose bytes are all below 0x80.
const PACKED_ONE_BYTE: f64 = std::f64::consts::LN_2;
/// ln 8: what each varint tag costs a packed reading that also reads as a message of
/// varint fields in ascending order.
const PACKED_TAG_COST: f64 = 3.0 * std::f64::consts::LN_2;
/// What it costs a field path's reading that one of its occurrences is read otherwise.
pub const ODD_COST: f64 = 8.0;
/// No packed reading scores above its cap; where another reading scores more than
/// the cap plus [`ODD_COST`], a packed reading could be neither chosen nor tallied,
/// and its scores are not computed (nor is it an alternative).
pub const PACKED_WORTH: f64 = PACKED_FIXED_CAP + ODD_COST;
const MESSAGE_BASE: f64 = 2.0;
const MESSAGE_LEN_CHILD_CAP: f64 = 3.0;
/// A field number below its predecessor's: serializers write fields in ascending
/// order (7 of 24,179 messages of the realistic ground truth step back, extensions
/// written after known fields), where a chance parse steps back half the time.
const MESSAGE_STEP_BACK: f64 = -3.0;
const STRING_BASE: f64 = 1.0;
/// The score of a string of whitespace only (`"\n"` alone is more often a byte).
const STRING_WHITESPACE: f64 = 0.5;
const STRING_CONTROL_COST: f64 = 3.0;
/// Elements looked at to judge packed floats (enough to tell data from noise).
const FLOAT_SAMPLE: usize = 64;
/// Log-odds of a float element (width 4, then 8) that is plausible (magnitude 1e-6 to
/// 1e9) or not, "real floats" against "random bytes": random bits make a plausible
/// float by a chance of 50/256 (binary exponents -20 to 29), a real float field holds
/// one 97% of the time: ln(0.97 / 0.195) = 1.6, ln(0.03 / 0.805) = -3.3. A plausible
/// double is rarer by chance (50/2048: 3.7), but its top half is always a float from
/// 0.25 to 16, so two such floats read as one: it counts twice a float (3.2), and two
/// floats keep their reading (the tie goes to fixed32). An implausible double:
/// ln(0.03 / 0.976) = -3.5.
const FLOAT_PLAUSIBLE: (f64, f64) = (1.6, 3.2);
const FLOAT_IMPLAUSIBLE: (f64, f64) = (-3.3, -3.5);

/// Text evidence per byte, in half points (integers: sums are exact in any order).
const TEXT_POINTS: [i8; 256] = {
    let mut table = [0i8; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        table[byte] = match b {
            b'a'..=b'z' => 4,
            b' ' => 5,
            b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'/' | b':' | b',' => 2,
            b'\t' | b'\n' | b'\r' => -2,
            // Rare in text of every kind: each is under 0.03% of the characters of the
            // comments of the 78 .proto files googleapis-common-protos and grpcio-tools
            // ship (334,521 characters), and seldom in names, paths or URLs. Against
            // random bytes' 1/256 that says -2.7 to -6; they count -1.
            b'^' | b'$' | b'~' | b'\\' | b'|' | b'<' | b'>' => -2,
            0x80..=0xFF => 2,
            _ => 0,
        };
        byte += 1;
    }
    table
};

/// The text evidence of the bytes of a payload without controls, in half points.
pub fn text_points(payload: &[u8]) -> i64 {
    payload.iter().map(|&b| i64::from(TEXT_POINTS[usize::from(b)])).sum()
}

/// Python's `str.isspace` for one character (Unicode White_Space plus the
/// separators U+001C-U+001F), the definition the JSON view's users know.
fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | '\u{1C}'..='\u{1F}' | ' ' | '\u{85}' | '\u{A0}'
            | '\u{1680}' | '\u{2000}'..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}'
            | '\u{205F}' | '\u{3000}'
    )
}

/// Control bytes other than tab, line feed and carriage return.
fn is_control(byte: u8) -> bool {
    matches!(byte, 0x00..=0x08 | 0x0B | 0x0C | 0x0E..=0x1F | 0x7F)
}

/// The score of the text reading, None when the payload is not valid UTF-8.
pub fn score_string(payload: &[u8]) -> Option<f64> {
    // Decoding first: most payloads that are no text fail within a few bytes.
    let text = std::str::from_utf8(payload).ok()?;
    if payload.is_empty() {
        return Some(0.0);
    }
    // One pass for the control characters and the text points (`text_points`).
    let mut controls = 0usize;
    let mut points = 0i64;
    let mut after_cr = false;
    for &byte in payload {
        // A carriage return ends a line only before a line feed: alone, it is a control.
        controls += usize::from(is_control(byte) || (after_cr && byte != b'\n'));
        after_cr = byte == b'\r';
        points += i64::from(TEXT_POINTS[usize::from(byte)]);
    }
    controls += usize::from(after_cr);
    if controls > 0 {
        return Some(1.0 - STRING_CONTROL_COST * controls as f64);
    }
    if text.chars().all(is_space) {
        return Some(STRING_WHITESPACE);
    }
    Some(STRING_BASE + 0.5 * points as f64)
}

fn number_score(number: u32) -> f64 {
    match number {
        0..=15 => 0.4,
        16..=200 => -0.3,
        201..=2000 => -1.0,
        2001..=65535 => -2.0,
        _ => -4.0,
    }
}

fn wire_type_score(wire: u8) -> f64 {
    match wire {
        0 => 0.2,
        2 => 0.3,
        1 | 5 => -0.3,
        3 => -3.0, // groups: the classic false reading of short strings
        _ => 0.0,
    }
}

/// Sizes whose length-fit score comes from a table (no logarithm per field).
const LEN_FIT_TABLE: usize = 4096;

fn len_fit_score(size: usize) -> f64 {
    static TABLE: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| (0..LEN_FIT_TABLE).map(compute_len_fit_score).collect());
    match table.get(size) {
        Some(&score) => score,
        None => compute_len_fit_score(size),
    }
}

fn compute_len_fit_score(size: usize) -> f64 {
    // A random length fits the rest exactly with a chance of about 1/size.
    let score = (size as f64).ln_1p();
    if score < MESSAGE_LEN_CHILD_CAP {
        score
    } else {
        MESSAGE_LEN_CHILD_CAP
    }
}

/// The own score of a payload that parsed completely into `fields` (its direct
/// fields, a group as one), before the best scores of its LEN children are added.
pub fn score_message(fields: &[Raw]) -> f64 {
    if fields.is_empty() {
        return 0.0;
    }
    let mut score = MESSAGE_BASE;
    let mut previous = 0u32;
    for field in fields {
        score += number_score(field.number) + wire_type_score(field.wire);
        if field.wire == LEN {
            score += len_fit_score(field.vend - field.voff);
        }
        if previous != 0 {
            // Serializers write fields in ascending order.
            score += if field.number >= previous { 0.3 } else { MESSAGE_STEP_BACK };
        }
        previous = field.number;
    }
    score
}

fn one_byte_score(value: u8) -> f64 {
    match value {
        0 => 0.3,
        1..=15 => 0.8,
        16..=63 => 0.0,
        _ => -0.7,
    }
}

/// Log-odds of a multi-byte element by its length (index = bytes).
const PACKED_LENGTH_SCORE: [f64; 10] = [0.0, 0.0, 0.0, 0.0, 0.2, 0.6, 0.6, 0.6, 0.6, 0.6];

/// Log-odds of a multi-byte element by its length and its last byte, which holds the
/// top 7 bits: small for real values (they rarely fill their range), uniform in
/// random bytes.
fn multi_byte_score(size: usize, top: u8) -> f64 {
    let length = PACKED_LENGTH_SCORE.get(size).copied().unwrap_or(0.0);
    length + top_score(top)
}

/// Log-odds of the last byte `top` (1-127) of a multi-byte element: real numbers are
/// spread evenly on a log scale (Benford), so the top 7 bits are `t` with a chance of
/// `ln(1 + 1/t) / ln 128`; random bytes, 1/128.
fn top_score(top: u8) -> f64 {
    static TABLE: std::sync::OnceLock<[f64; 128]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut table = [0.0; 128];
        for (t, slot) in table.iter_mut().enumerate().skip(1) {
            let t = t as f64;
            *slot = (128.0 * (1.0 / t).ln_1p() / 128f64.ln()).ln();
        }
        table
    });
    table.get(usize::from(top)).copied().unwrap_or(0.0)
}

/// The score of the payload read as packed varints, None when it cannot be one.
/// `message`: the payload reads as a message scoring above 0 (its bytes being all
/// below 0x80 is then no evidence for packed).
pub fn score_packed_varints(payload: &[u8], message: bool) -> Option<f64> {
    let last = *payload.last()?;
    if last >= 0x80 {
        return None;
    }
    let mut high_run = 0usize;
    let mut overlong = false;
    let mut previous_high = false;
    for &byte in payload {
        if byte >= 0x80 {
            high_run += 1;
            if high_run >= 10 {
                return None; // a varint over 10 bytes
            }
        } else {
            high_run = 0;
            if byte == 0 && previous_high {
                overlong = true;
            }
        }
        previous_high = byte >= 0x80;
    }
    if overlong {
        return Some(-5.0); // no real encoder writes one
    }
    // Any payload ending below 0x80 parses, so parsing proves little: each element
    // adds the log-odds of its length (and, for one byte, its value) under "real
    // integers" against "random bytes", where a length-k run has chance 2^-k.
    let mut score = PACKED_BASE;
    let mut runs = 0usize;
    let mut first_size = 0usize;
    let mut one_size = true;
    let mut previous_size = 0usize;
    let mut start = 0usize;
    // Whether the elements so far alternate as varint fields' tags and values, the
    // field numbers ascending (the last tag's field number).
    let mut tags = Some(0u64);
    for (index, &byte) in payload.iter().enumerate() {
        if byte >= 0x80 {
            continue;
        }
        let run = payload.get(start..=index).unwrap_or(&[]);
        let size = run.len();
        start = index + 1;
        if let Some(previous) = tags {
            if runs % 2 == 0 {
                let value = if size <= 5 { varint_value(run) } else { 0 };
                let number = value >> 3;
                tags = (value & 7 == 0 && number >= previous.max(1) && number <= scan::MAX_FIELD_NUMBER)
                    .then_some(number);
            }
        }
        score += match size {
            1 => one_byte_score(byte),
            10 => {
                // A negative int32/int64: sign-extended, so 0xff bytes and a final 0x01.
                if byte == 1 && run.get(5..9) == Some(&[0xFF, 0xFF, 0xFF, 0xFF][..]) {
                    2.5
                } else {
                    0.5
                }
            }
            _ => multi_byte_score(size, byte),
        };
        if runs == 0 {
            first_size = size;
        } else {
            one_size &= size == first_size;
            if size.abs_diff(previous_size) >= 2 {
                // Numbers of one field are of one magnitude: neighbours two bytes apart
                // are rare in them, a third of random bytes' neighbours are.
                score -= PACKED_SIZE_JUMP;
            }
        }
        previous_size = size;
        runs += 1;
    }
    if runs > 1 && first_size > 1 && one_size {
        // Elements of one size (ids, timestamps of one magnitude): random bytes rarely
        // manage that for long.
        score += PACKED_SAME_SIZE * (runs - 1) as f64;
    }
    if runs > 1 && first_size == 1 && one_size && !message {
        // Every byte below 0x80: n random bytes manage that with a chance of 2^-n, a
        // field of small numbers about half the time. A message of small numbers has
        // them too: this tells packed from bytes and text, not from a message.
        score += PACKED_ONE_BYTE * (runs - 1) as f64;
    } else if matches!(payload, [0..=8 | 11 | 12 | 14..=31]) {
        // One control byte (not text): a one-byte bytes field is rare - the ground
        // truth's realistic corpus has 39 such payloads, all packed - and a random
        // byte is below 0x80 by a chance of 1/2, as above. (A printable one, `*`, is a
        // string's more often: it is left to the string's score.)
        score += PACKED_ONE_BYTE;
    }
    let score = if score < PACKED_CAP { score } else { PACKED_CAP };
    match tags {
        // The elements alternate as the tags and values of varint fields in ascending
        // order: the payload is a message of varint fields (a Timestamp, a range), or
        // real small numbers that are multiples of 8 at every other place by a chance
        // of about 1/8 each.
        Some(_) if runs % 2 == 0 => Some(score - PACKED_TAG_COST * (runs / 2) as f64),
        _ => Some(score),
    }
}

/// The value of a varint of at most 5 bytes (`run` ends on its last byte).
fn varint_value(run: &[u8]) -> u64 {
    run.iter().rev().fold(0u64, |value, &byte| value << 7 | u64::from(byte & 0x7F))
}

/// The score of the payload read as packed fixed32 (`width` 4) / fixed64 (8).
pub fn score_packed_fixed(payload: &[u8], width: usize) -> Option<f64> {
    if payload.is_empty() || payload.len() % width != 0 {
        return None;
    }
    let count = payload.len() / width;
    let sample = count.min(FLOAT_SAMPLE);
    let (plausible, implausible) = if width == 4 {
        (FLOAT_PLAUSIBLE.0, FLOAT_IMPLAUSIBLE.0)
    } else {
        (FLOAT_PLAUSIBLE.1, FLOAT_IMPLAUSIBLE.1)
    };
    // Zeros and integers of one magnitude weigh by the bytes they cover, so that
    // [3, 5] as fixed64 is not outscored by [3, 0, 5, 0] as fixed32.
    let scale = (width / 4) as f64;
    let last = width - 1;
    let top = |index: usize| payload.get(index * width + last).copied();
    let mut score = 0.0f64;
    for (index, element) in payload.chunks_exact(width).take(sample).enumerate() {
        let number = if width == 4 {
            let mut bytes = [0u8; 4];
            bytes.copy_from_slice(element);
            f64::from(f32::from_le_bytes(bytes))
        } else {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(element);
            f64::from_le_bytes(bytes)
        };
        if number == 0.0 {
            score += 0.5 * scale;
        } else if (1e-6..=1e9).contains(&number.abs()) {
            score += plausible;
        } else if (index > 0 && top(index) == top(index - 1))
            || (index + 1 < count && top(index) == top(index + 1))
        {
            // Integers of one magnitude (counts, timestamps, ids): an element's top byte
            // is its neighbour's, which random bytes manage once in 128.
            score += PACKED_SAME_TOP * scale;
        } else {
            score += implausible;
        }
    }
    let scaled = score * count as f64 / sample as f64 + PACKED_FIXED_BASE;
    Some(if scaled < PACKED_FIXED_CAP { scaled } else { PACKED_FIXED_CAP })
}

/// Whether `payload` parses as the packed `reading` (varint, fixed32 or fixed64),
/// whatever it scores: a schema's packed reading applies where it parses, also where
/// another reading scored too high for the packed ones to be scored ([`PACKED_WORTH`]).
pub fn packed_parses(payload: &[u8], reading: usize) -> bool {
    match reading {
        PACKED_VARINT => score_packed_varints(payload, false).is_some(),
        PACKED_FIXED32 => !payload.is_empty() && payload.len() % 4 == 0,
        PACKED_FIXED64 => !payload.is_empty() && payload.len() % 8 == 0,
        _ => false,
    }
}

/// First bytes a message can start with: a tag of a field number from 1 and a wire
/// type that is not end-group (nothing to end) or 6/7 (invalid).
fn can_start(byte: u8) -> bool {
    byte >= 8 && matches!(byte & 7, 0 | 1 | 2 | 3 | 5)
}

/// The readings of one LEN payload that parse, with their scores.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Candidates {
    pub scores: [f64; READINGS],
    /// Bit `1 << reading` for each reading that parses.
    pub present: u8,
}

impl Candidates {
    pub fn has(&self, reading: usize) -> bool {
        self.present & (1 << reading) != 0
    }

    fn add(&mut self, reading: usize, score: f64) {
        if let Some(slot) = self.scores.get_mut(reading) {
            *slot = score;
            self.present |= 1 << reading;
        }
    }

    /// The score of a reading with its prior (the packed prior; 0 for the others).
    fn with_prior(&self, reading: usize) -> f64 {
        let score = self.scores.get(reading).copied().unwrap_or(0.0);
        if is_packed(reading) {
            score + PACKED_PRIOR
        } else {
            score
        }
    }
}

/// Reused buffers of [`readings`] (no allocation per payload).
#[derive(Default)]
pub struct Scratch {
    fields: Vec<Raw>,
    open: Vec<OpenGroup>,
}

impl Scratch {
    /// The fields the last [`readings`] parsed (its message reading's), leaving
    /// `replacement` (an empty vector) in their place.
    pub fn take_fields(&mut self, replacement: Vec<Raw>) -> Vec<Raw> {
        std::mem::replace(&mut self.fields, replacement)
    }
}

/// The bytes, string and message readings of `buf[voff..vend]` that parse, the
/// message's score still without its children's (see [`finish`]); and whether the
/// message reading has fields (its children are to be scored).
pub fn readings(buf: &[u8], voff: usize, vend: usize, scratch: &mut Scratch) -> (Candidates, bool) {
    let payload = buf.get(voff..vend).unwrap_or(&[]);
    let mut found = Candidates { scores: [0.0; READINGS], present: 0 };
    found.add(BYTES, 0.0);
    if let Some(text) = score_string(payload) {
        found.add(STRING, text);
    }
    let mut children = false;
    if payload.first().is_none_or(|&first| can_start(first)) && parse_message(buf, voff, vend, scratch) {
        found.add(MESSAGE, score_message(&scratch.fields));
        children = !scratch.fields.is_empty();
    }
    (found, children)
}

/// Read `buf[start..end]` as a message into `scratch.fields`; false when it does not
/// parse completely.
fn parse_message(buf: &[u8], start: usize, end: usize, scratch: &mut Scratch) -> bool {
    scratch.fields.clear();
    let mut pos = start;
    while pos < end {
        match scan::read_field(buf, pos, end, &mut scratch.open) {
            Ok(raw) => {
                pos = raw.end;
                scratch.fields.push(raw);
            }
            Err(_) => return false,
        }
    }
    true
}

/// What an occurrence needs of its readings once they are final: packed in 30 bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Profile {
    /// The reading with the highest score with its prior (ties: reading number).
    pub best: u8,
    /// Bits of the readings within [`ODD_COST`] of the best: the ones the occurrence
    /// may be shown as when its field path decides so.
    pub acceptable: u8,
    /// Bits of every reading that parses (a schema's reading must be one of them).
    pub present: u8,
    /// [`ranking`]: the alternatives, best first.
    pub ranking: u16,
}

impl Profile {
    pub const BITS: u32 = 30;

    pub fn pack(self) -> u32 {
        u32::from(self.best & 7) << 27
            | u32::from(self.acceptable & 0x3F) << 21
            | u32::from(self.present & 0x3F) << 15
            | u32::from(self.ranking & 0x7FFF)
    }

    pub fn unpack(bits: u32) -> Profile {
        Profile {
            best: ((bits >> 27) & 7) as u8,
            acceptable: ((bits >> 21) & 0x3F) as u8,
            present: ((bits >> 15) & 0x3F) as u8,
            ranking: (bits & 0x7FFF) as u16,
        }
    }

    pub fn fits(&self, reading: usize) -> bool {
        reading < READINGS && self.present & (1 << reading) != 0
    }

    /// The reading this occurrence is shown as when its path decided `decided`: that
    /// reading when it explains the occurrence nearly as well as its best, else (an odd
    /// occurrence) its own best reading.
    pub fn shown(&self, decided: usize) -> usize {
        if decided < READINGS && self.acceptable & (1 << decided) != 0 {
            decided
        } else {
            usize::from(self.best)
        }
    }
}

/// Make a payload's readings final: the message reading gains `children` (the best
/// scores of its LEN children), the packed readings are scored where they could
/// matter. Returns its profile and its best score with the priors.
pub fn finish(found: &mut Candidates, children: f64, payload: &[u8]) -> (Profile, f64) {
    if found.has(MESSAGE) && children != 0.0 {
        found.scores[MESSAGE] += children;
    }
    with_packed(found, payload);
    profile(found)
}

/// Add the packed readings unless another reading scores more than [`PACKED_WORTH`].
fn with_packed(found: &mut Candidates, payload: &[u8]) {
    for reading in 0..READINGS {
        if found.has(reading) && found.scores[reading] > PACKED_WORTH {
            return;
        }
    }
    if let Some(score) = score_packed_varints(payload, found.has(MESSAGE) && found.scores[MESSAGE] > 0.0) {
        found.add(PACKED_VARINT, score);
    }
    if let Some(score) = score_packed_fixed(payload, 4) {
        found.add(PACKED_FIXED32, score);
    }
    if let Some(score) = score_packed_fixed(payload, 8) {
        found.add(PACKED_FIXED64, score);
    }
}

/// The profile of a payload's final readings, and its best score with the priors.
pub fn profile(found: &Candidates) -> (Profile, f64) {
    let mut best_reading = BYTES;
    let mut best = 0.0f64;
    for reading in 0..READINGS {
        if found.has(reading) {
            let score = found.with_prior(reading);
            if score > best || (score == best && reading < best_reading) {
                best_reading = reading;
                best = score;
            }
        }
    }
    let floor = best - ODD_COST;
    let mut acceptable = 0u8;
    for reading in 0..READINGS {
        // The reading's own score, without its prior: the prior is the path's, counted
        // once in its decision.
        if found.has(reading) && found.scores[reading] >= floor {
            acceptable |= 1 << reading;
        }
    }
    let profile =
        Profile { best: best_reading as u8, acceptable, present: found.present, ranking: ranking(found) };
    (profile, best)
}

/// The readings of short payloads scored before: the same bytes read the same, and
/// names, keys and small values repeat. A direct-mapped table: a collision replaces
/// the entry, so no input can make a lookup cost more than one comparison.
///
/// A payload's score includes its subtree's, which `max_depth` may cut: an entry
/// keeps how many levels below the payload its score needed (`reach`), is stored
/// only when that was all explored, and serves only where as many levels are.
#[derive(Default)]
pub struct Memo {
    slots: Vec<MemoSlot>,
    /// Lookups that missed since the table last grew.
    misses: usize,
    /// Remember nothing (tests compare the walk with and without the memo).
    off: bool,
}

/// The table starts small (a gRPC message of a few fields should not pay for a big
/// one) and grows, emptied, by four when it missed four times its size, up to this
/// (2,048 slots of 136 bytes: 0.27 MiB, one table per thread of pass 1; 4,096 took
/// 0.3-2.9% fewer instructions on the inputs of `bench_decode.py`, 8,192 and 16,384
/// no fewer again, and issue 18's memory bound on the 3.5 MB trace export leaves
/// about 1 MiB to spare).
const MEMO_SLOTS: usize = 2048;
const MEMO_FIRST_SLOTS: usize = 64;
/// Payloads up to this length are remembered.
pub const MEMO_LENGTH: usize = 48;

/// What the memo keeps of a payload: its final readings, best score and profile, and
/// the levels below it its score needed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Known {
    pub found: Candidates,
    pub best: f64,
    pub profile: Profile,
    pub reach: u32,
}

#[derive(Clone, Copy)]
struct MemoSlot {
    length: u8,
    key: [u8; MEMO_LENGTH],
    known: Known,
}

const EMPTY_SLOT: MemoSlot = MemoSlot {
    length: u8::MAX,
    key: [0; MEMO_LENGTH],
    known: Known {
        found: Candidates { scores: [0.0; READINGS], present: 0 },
        best: 0.0,
        profile: Profile { best: 0, acceptable: 0, present: 0, ranking: 0 },
        reach: 0,
    },
};

fn memo_hash(payload: &[u8]) -> usize {
    let mix = |hash: u64, word: u64| (hash.rotate_left(5) ^ word).wrapping_mul(0x51_7C_C1_B7_27_22_0A_95);
    let mut hash = payload.len() as u64;
    // Whole words are loaded as words (a copy of a length known only at run time is a
    // call to memcpy: it was a tenth of pass 1's time on the trace exports).
    let mut words = payload.chunks_exact(8);
    for word in &mut words {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        hash = mix(hash, u64::from_le_bytes(bytes));
    }
    let rest = words.remainder();
    if !rest.is_empty() {
        // The last bytes, little-endian and padded with zeros.
        hash = mix(hash, rest.iter().rev().fold(0u64, |word, &byte| word << 8 | u64::from(byte)));
    }
    (hash >> 40) as usize
}

impl Memo {
    /// A memo that remembers nothing: every payload is scored.
    pub fn off() -> Memo {
        Memo { off: true, ..Memo::default() }
    }

    /// What was stored for `payload`, when it serves `levels` levels below it.
    pub fn get(&mut self, payload: &[u8], levels: u32) -> Option<Known> {
        if payload.len() > MEMO_LENGTH || self.off {
            return None;
        }
        if self.slots.is_empty() || (self.misses > 4 * self.slots.len() && self.slots.len() < MEMO_SLOTS) {
            let size = (self.slots.len() * 4).clamp(MEMO_FIRST_SLOTS, MEMO_SLOTS);
            self.slots = vec![EMPTY_SLOT; size];
            self.misses = 0;
        }
        // The table's size is a power of two (64 times a power of four, at most 2,048).
        let index = memo_hash(payload) & (self.slots.len() - 1);
        if let Some(slot) = self.slots.get(index) {
            if usize::from(slot.length) == payload.len()
                && slot.key.get(..payload.len()) == Some(payload)
                && slot.known.reach <= levels
            {
                return Some(slot.known);
            }
        }
        self.misses += 1;
        None
    }

    /// Remember `payload` (up to [`MEMO_LENGTH`] bytes; longer ones are not kept).
    pub fn put(&mut self, payload: &[u8], known: Known) {
        if payload.len() > MEMO_LENGTH || self.slots.is_empty() || self.off {
            return;
        }
        let index = memo_hash(payload) & (self.slots.len() - 1);
        if let Some(slot) = self.slots.get_mut(index) {
            slot.length = payload.len() as u8;
            if let Some(key) = slot.key.get_mut(..payload.len()) {
                key.copy_from_slice(payload);
            }
            slot.known = known;
        }
    }
}

/// The readings that may be shown as alternatives, best first by score with prior:
/// `bytes` always parses and is left out; so is a packed reading whose score with
/// the prior is 0 or less (nearly any text parses as varints). Encoded as up to five
/// 3-bit `reading + 1` digits, first reading lowest.
pub fn ranking(found: &Candidates) -> u16 {
    let mut ranked: [(f64, usize); READINGS] = [(0.0, 0); READINGS];
    let mut count = 0usize;
    for reading in 0..BYTES {
        if found.has(reading) {
            let score = found.with_prior(reading);
            if score > 0.0 || !is_packed(reading) {
                if let Some(slot) = ranked.get_mut(count) {
                    *slot = (score, reading);
                    count += 1;
                }
            }
        }
    }
    let ranked = ranked.get_mut(..count).unwrap_or(&mut []);
    // Best score first; ties by reading number.
    ranked.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal).then(a.1.cmp(&b.1)));
    let mut code = 0u16;
    for (position, &(_, reading)) in ranked.iter().enumerate() {
        code |= ((reading as u16) + 1) << (3 * position);
    }
    code
}

/// The readings of a [`ranking`] code, best first.
pub fn ranked(code: u16) -> impl Iterator<Item = usize> {
    (0..5).map(move |position| ((code >> (3 * position)) & 7) as usize).take_while(|&d| d != 0).map(|d| d - 1)
}

/// The kind a reading shows as (packed readings share one kind).
pub fn reading_kind(reading: usize) -> Kind {
    match reading {
        MESSAGE => Kind::Message,
        STRING => Kind::String,
        BYTES => Kind::Bytes,
        _ => Kind::Packed,
    }
}

/// The other kinds of the ranking than the chosen reading's, without repeats, best
/// first (at most four).
pub fn alternatives(code: u16, chosen: usize) -> ([Kind; 4], usize) {
    let mut kinds = [Kind::Bytes; 4];
    let mut count = 0usize;
    let chosen_kind = reading_kind(chosen);
    for reading in ranked(code) {
        let kind = reading_kind(reading);
        if reading != chosen && kind != chosen_kind && !kinds[..count].contains(&kind) {
            if let Some(slot) = kinds.get_mut(count) {
                *slot = kind;
                count += 1;
            }
        }
    }
    (kinds, count)
}

/// What a field is shown as (`model.Kind`, in its declaration order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Varint = 0,
    Fixed32 = 1,
    Fixed64 = 2,
    String = 3,
    Bytes = 4,
    Message = 5,
    Packed = 6,
    Group = 7,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Varint => "varint",
            Kind::Fixed32 => "fixed32",
            Kind::Fixed64 => "fixed64",
            Kind::String => "string",
            Kind::Bytes => "bytes",
            Kind::Message => "message",
            Kind::Packed => "packed",
            Kind::Group => "group",
        }
    }

    pub fn from_code(code: i64) -> Option<Kind> {
        Some(match code {
            0 => Kind::Varint,
            1 => Kind::Fixed32,
            2 => Kind::Fixed64,
            3 => Kind::String,
            4 => Kind::Bytes,
            5 => Kind::Message,
            6 => Kind::Packed,
            7 => Kind::Group,
            _ => return None,
        })
    }
}

/// A sum of scores that is the same in whatever order its terms are added: each term
/// is cut to a multiple of 2^-32 (far below any difference a rule makes) and added
/// exactly. A path's totals and a payload's children are such sums, so pass 1
/// may score the two halves of a long message on two threads (`engine.rs`) and add
/// up the same totals, to the bit, as one thread does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Sum(i128);

const SUM_SCALE: f64 = 4_294_967_296.0; // 2^32

impl Sum {
    pub fn of(value: f64) -> Sum {
        // Cut toward zero: the same for a term wherever it is added. `as` saturates
        // (and NaN, which no score is, becomes 0): never undefined. Terms of an i64
        // (below 2^31 in value) take one instruction; i128's conversion is a call.
        let scaled = value * SUM_SCALE;
        if scaled.abs() < 9.0e18 {
            Sum(i128::from(scaled as i64))
        } else {
            Sum(scaled as i128)
        }
    }

    pub fn add(&mut self, value: f64) {
        self.merge(Sum::of(value));
    }

    pub fn merge(&mut self, other: Sum) {
        self.0 = self.0.saturating_add(other.0);
    }

    pub fn value(self) -> f64 {
        self.0 as f64 / SUM_SCALE
    }
}

/// The weight of evidence of every occurrence of one field path, per reading.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub totals: [Sum; READINGS],
    /// Bit `1 << reading` for each reading some occurrence added to.
    pub present: u8,
}

impl Tally {
    /// Add one occurrence, whose best score with the priors is `best`: each reading
    /// that parses adds how far its score is above `best - ODD_COST`.
    pub fn add(&mut self, found: &Candidates, best: f64) {
        let floor = best - ODD_COST;
        for reading in 0..READINGS {
            if found.has(reading) {
                let score = found.scores[reading];
                if score > floor {
                    self.totals[reading].add(score - floor);
                    self.present |= 1 << reading;
                }
            }
        }
    }

    /// Add the occurrences another tally of the same path counted.
    pub fn merge(&mut self, other: &Tally) {
        for (total, more) in self.totals.iter_mut().zip(other.totals) {
            total.merge(more);
        }
        self.present |= other.present;
    }

    /// The reading with the highest total plus its prior (ties to the lower reading
    /// number); bytes for a path never tallied.
    pub fn decide(&self) -> usize {
        let mut best = BYTES;
        let mut best_total = Sum(i128::MIN);
        let prior = Sum::of(PACKED_PRIOR);
        for reading in 0..READINGS {
            if self.present & (1 << reading) != 0 {
                let mut total = self.totals[reading];
                if is_packed(reading) {
                    total.merge(prior);
                }
                if total > best_total || (total == best_total && reading < best) {
                    best = reading;
                    best_total = total;
                }
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The final readings of a payload with no LEN children (or whose children are not
    /// counted), and its profile.
    fn scored(payload: &[u8]) -> (Candidates, Profile, f64) {
        let (mut found, _) = readings(payload, 0, payload.len(), &mut Scratch::default());
        let (profile, best) = finish(&mut found, 0.0, payload);
        (found, profile, best)
    }

    #[test]
    fn strings_score_by_their_characters() {
        assert_eq!(score_string(b""), Some(0.0));
        // h i: 1 + (2 + 2)
        assert_eq!(score_string(b"hi"), Some(5.0));
        assert_eq!(score_string(b"\n"), Some(0.5));
        assert_eq!(score_string(b"a\x00b"), Some(-2.0));
        assert_eq!(score_string(&[0xFF]), None);
        assert_eq!(score_string("\u{2028}\u{3000}".as_bytes()), Some(0.5));
        // "A b\t": 1 + (1 + 2.5 + 2 - 1); "é": two bytes of a UTF-8 character, +1 each
        assert_eq!(score_string(b"A b\t"), Some(5.5));
        assert_eq!(score_string("é".as_bytes()), Some(3.0));
        assert_eq!(text_points(b"#!"), 0);
        // Symbols rare in text count against it: -1 each.
        assert_eq!(text_points(b"^$~\\|<>"), -14);
        // Percentages [94, 40, 79, 94, 78, 36] are printable, but not text.
        let (_, profile, _) = scored(b"^(O^N$");
        assert_eq!(usize::from(profile.best), PACKED_VARINT);
        let (_, profile, _) = scored(b"^[a-z]+$");
        assert_eq!(usize::from(profile.best), STRING);
    }

    #[test]
    fn messages_score_their_fields() {
        assert_eq!(score_message(&[]), 0.0);
        // 08 01: field 1 varint: 2 + 0.4 + 0.2
        let raw = scan::read_field(&[0x08, 0x01], 0, 2, &mut Vec::new()).unwrap();
        assert_eq!(score_message(&[raw]), 2.0 + (0.4 + 0.2));
    }

    #[test]
    fn short_strings_stay_strings_and_packed_is_found() {
        // "hi" also parses as field 13 varint 105: a string wins.
        let (hi, profile, _) = scored(b"hi");
        assert!(hi.has(MESSAGE) && hi.has(STRING));
        assert_eq!(usize::from(profile.best), STRING);
        assert_eq!(ranked(profile.ranking).next(), Some(STRING));
        // 01 02 03 96 01 ac 02: varints 1, 2, 3, 150, 300
        let (packed, profile, _) = scored(&[0x01, 0x02, 0x03, 0x96, 0x01, 0xAC, 0x02]);
        assert!(packed.has(PACKED_VARINT));
        assert_eq!(usize::from(profile.best), PACKED_VARINT);
    }

    #[test]
    fn small_numbers_below_0x80_are_packed_not_bytes() {
        // 86 85 36 27 60: no text (0x1b is a control), no message (0x56 is wire type
        // 6): five random bytes are all below 0x80 once in 32.
        let (_, profile, _) = scored(&[0x56, 0x55, 0x24, 0x1B, 0x3C]);
        assert_eq!(usize::from(profile.best), PACKED_VARINT);
        // A carriage return without a line feed is a control: ")!\rR-6" is numbers.
        assert_eq!(score_string(b"a\rb"), Some(1.0 - STRING_CONTROL_COST));
        assert_eq!(score_string(b"a\r\nb"), Some(1.0 + 0.5 * f64::from(4 - 2 - 2 + 4)));
        let (_, profile, _) = scored(b")!\rR-6");
        assert_eq!(usize::from(profile.best), PACKED_VARINT);
    }

    #[test]
    fn varint_fields_in_ascending_order_are_a_message() {
        // 08 05 10 07: a message {1: 5, 2: 7} (a range, a Timestamp), not [8, 5, 16, 7].
        let (found, profile, _) = scored(&[0x08, 0x05, 0x10, 0x07]);
        assert_eq!(usize::from(profile.best), MESSAGE);
        assert!(found.scores[PACKED_VARINT] < 0.0, "{found:?}");
        // 38 1a 30 38: {7: 26, 6: 56} steps back: the numbers [56, 26, 48, 56].
        let (_, profile, _) = scored(&[0x38, 0x1A, 0x30, 0x38]);
        assert!(is_packed(usize::from(profile.best)), "{profile:?}");
    }

    #[test]
    fn random_ids_are_bytes() {
        // A trace id that parses as varints of 2, 1, 2, 2, 4, 3 and 2 bytes, their top
        // bytes spread as random bytes spread them.
        let id = [
            0xF9, 0x05, 0x7D, 0x33, 0x01, 0x17, 0xDD, 0x9C, 0x5B, 0xCC, 0x87, 0x18, 0x7A, 0xEE, 0x59, 0x5B,
        ];
        let (_, profile, _) = scored(&id);
        assert_eq!(usize::from(profile.best), BYTES);
        // Small numbers end their multi-byte elements on small top bytes (Benford).
        assert!(top_score(1) > 2.5 && top_score(127) < -1.5);
    }

    #[test]
    fn packed_fixed_integers_of_one_magnitude() {
        // Two fixed64 counts whose top bytes agree (not plausible doubles): +1 * 2 each.
        let mut payload = Vec::new();
        payload.extend_from_slice(&0x4100_0000_0000_0001u64.to_le_bytes());
        payload.extend_from_slice(&0x4100_0000_0000_0002u64.to_le_bytes());
        let score = score_packed_fixed(&payload, 8).unwrap();
        assert!(score > 0.0, "{score}");
    }

    #[test]
    fn floats_weigh_by_how_often_random_bits_make_them() {
        // Two plausible floats and one that is not (1e20): random bits make two
        // plausible floats of three about one time in eleven, real floats seldom hold
        // one that is not: bytes.
        let mut payload = Vec::new();
        for value in [1.5f32, 250.0, 1e20] {
            payload.extend_from_slice(&value.to_le_bytes());
        }
        let (_, profile, _) = scored(&payload);
        assert_eq!(usize::from(profile.best), BYTES, "{profile:?}");
        // Three plausible ones: packed floats.
        payload.truncate(8);
        payload.extend_from_slice(&0.25f32.to_le_bytes());
        let (_, profile, _) = scored(&payload);
        assert_eq!(usize::from(profile.best), PACKED_FIXED32, "{profile:?}");
        // [0.5, 1.25] is also the double 0.03125000733: two floats stay two floats.
        let mut pair = 0.5f32.to_le_bytes().to_vec();
        pair.extend_from_slice(&1.25f32.to_le_bytes());
        let (_, profile, _) = scored(&pair);
        assert_eq!(usize::from(profile.best), PACKED_FIXED32, "{profile:?}");
    }

    #[test]
    fn packed_is_not_scored_past_its_worth() {
        let mut found = Candidates { scores: [0.0; READINGS], present: 0 };
        found.add(BYTES, 0.0);
        found.add(MESSAGE, 14.0);
        let payload = [0x08, 0x01];
        finish(&mut found, 1.0, &payload);
        assert!(!found.has(PACKED_VARINT));
        assert_eq!(found.scores[MESSAGE], 15.0);
    }

    #[test]
    fn a_path_decides_by_the_weight_of_evidence() {
        // Three messages and one text that is no message: the path is a message, and
        // the text, an odd occurrence, keeps its own reading.
        let mut tally = Tally::default();
        let message = scored(&[0x08, 0x01, 0x10, 0x02]);
        for _ in 0..3 {
            tally.add(&message.0, message.2);
        }
        let text = scored(b"plain text here");
        tally.add(&text.0, text.2);
        assert_eq!(tally.decide(), MESSAGE);
        assert_eq!(message.1.shown(MESSAGE), MESSAGE);
        assert_eq!(text.1.shown(MESSAGE), STRING);
        // An empty payload scores 0 as message, string and bytes: it follows its path.
        let empty = scored(b"");
        assert_eq!(empty.1.shown(STRING), STRING);
        assert_eq!(empty.1.shown(BYTES), BYTES);
        let mut alone = Tally::default();
        alone.add(&empty.0, empty.2);
        assert_eq!(alone.decide(), MESSAGE);
    }

    #[test]
    fn one_control_byte_is_a_packed_number_and_one_printable_byte_a_string() {
        // 0x16: a repeated field of one small number (bytes fields of one byte are
        // rare); `*` (`list_services` of gRPC reflection): text.
        assert_eq!(scored(&[0x16]).1.best, PACKED_VARINT as u8);
        assert_eq!(scored(&[0x05]).1.best, PACKED_VARINT as u8);
        assert_eq!(scored(b"*").1.best, STRING as u8);
        assert_eq!(scored(b"\n").1.best, STRING as u8);
        assert_eq!(scored(&[0x90]).1.best, BYTES as u8);
    }

    #[test]
    fn profiles_pack_into_30_bits() {
        let profile = Profile { best: 5, acceptable: 0x3F, present: 0x21, ranking: 0x7FFF };
        assert_eq!(Profile::unpack(profile.pack()), profile);
        assert!(profile.pack() < 1 << Profile::BITS);
    }

    #[test]
    fn the_memo_gives_what_was_stored_where_it_serves() {
        let mut memo = Memo::default();
        let (found, profile, best) = scored(b"hi");
        assert_eq!(memo.get(b"hi", 10), None);
        memo.put(b"hi", Known { found, best, profile, reach: 2 });
        assert_eq!(memo.get(b"hi", 2).map(|k| k.profile), Some(profile));
        assert_eq!(memo.get(b"hi", 1), None); // needs two levels below it
        assert_eq!(memo.get(b"ho", 10), None);
    }

    #[test]
    fn alternatives_leave_out_the_chosen_kind() {
        let (_, profile, _) = scored(b"hi");
        let (kinds, count) = alternatives(profile.ranking, STRING);
        assert_eq!(&kinds[..count], &[Kind::Message][..]);
        let (_, count) = alternatives(profile.ranking, MESSAGE);
        assert_eq!(count, 1);
    }
}
