//! The inference rules: what a length-delimited payload is, without a schema.
//!
//! Every scoring and decision rule of the native core is in this module, and only
//! here: the readings of a payload and their scores ([`candidates`]), which of them
//! may be shown as alternatives ([`ranking`], [`alternatives`]), and the decision per
//! field path over all its occurrences ([`Tally::decide`]). The walk (`engine.rs`)
//! calls these and nothing else; changing a rule means changing this file.
//!
//! They are a port of `wiretool/protobuf/infer.py` (`score_*`, `packed_scores`) and of
//! `wire.py`'s `_candidates`, `_ranking`, `_alternatives` and `_Reader._decided`, which
//! stay the documented reference (`infer`'s docstring states the rules); the scores are
//! the same to the bit (the same IEEE-754 operations in the same order), and the tests
//! compare the two on every input they have.
#![forbid(unsafe_code)]

use crate::scan::{self, OpenGroup, Raw, LEN};

/// Readings of a LEN payload, numbered in the order ties are broken by
/// (`wire._KEY_ORDER`: message first, bytes last).
pub const MESSAGE: usize = 0;
pub const STRING: usize = 1;
pub const PACKED_VARINT: usize = 2;
pub const PACKED_FIXED32: usize = 3;
pub const PACKED_FIXED64: usize = 4;
pub const BYTES: usize = 5;
pub const READINGS: usize = 6;

/// The reading's name as the diagnostics write it (`wire._PACKED` keys).
pub const READING_NAMES: [&str; READINGS] =
    ["message", "string", "packed:varint", "packed:fixed32", "packed:fixed64", "bytes"];

pub fn is_packed(reading: usize) -> bool {
    (PACKED_VARINT..=PACKED_FIXED64).contains(&reading)
}

const PACKED_BASE: f64 = -0.6;
const PACKED_CAP: f64 = 4.0;
const PACKED_FIXED_CAP: f64 = 5.0;
/// No packed reading can score above this: where another reading already does, the
/// packed scores are not computed (they cannot change the choice).
const PACKED_MAX: f64 = 5.0;
const PACKED_SAME_SIZE: f64 = 0.5;
const MESSAGE_BASE: f64 = 2.0;
const MESSAGE_LEN_CHILD_CAP: f64 = 3.0;
const MESSAGE_TEXT_CHILD: f64 = 1.0;
const MESSAGE_CLEAN_TEXT_PENALTY: f64 = 4.0;
const STRING_BASE: f64 = 3.0;
const STRING_PER_CHAR: f64 = 0.5;
const STRING_CHAR_CAP: usize = 20;
const STRING_CONTROL_COST: f64 = 3.0;
/// Strings up to this length are always tried as messages too (for the alternatives).
const ALWAYS_TRY_MESSAGE: usize = 8;
/// Elements looked at to judge packed floats.
const FLOAT_SAMPLE: usize = 64;

/// `infer._CONTROL`: control bytes other than tab, newline and carriage return.
fn is_control(byte: u8) -> bool {
    CONTROL[usize::from(byte)]
}

const CONTROL: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = matches!(byte, 0x00..=0x08 | 0x0B | 0x0C | 0x0E..=0x1F | 0x7F);
        byte += 1;
    }
    table
};

/// Python's `str.isspace` for one character (Unicode White_Space plus the
/// separators U+001C-U+001F).
fn is_python_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | '\u{1C}'..='\u{1F}' | ' ' | '\u{85}' | '\u{A0}'
            | '\u{1680}' | '\u{2000}'..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}'
            | '\u{205F}' | '\u{3000}'
    )
}

/// `infer.score_string`: the score of the text reading, None when not UTF-8.
pub fn score_string(payload: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(payload).ok()?;
    if payload.is_empty() {
        return Some(0.2);
    }
    let controls = payload.iter().map(|&b| usize::from(is_control(b))).sum::<usize>();
    if controls > 0 {
        return Some(1.0 - STRING_CONTROL_COST * controls as f64);
    }
    if text.chars().all(is_python_space) {
        return Some(0.5); // "\n" alone is more often a byte than a string
    }
    let chars = payload.len().min(STRING_CHAR_CAP);
    Some(STRING_BASE + STRING_PER_CHAR * chars as f64)
}

/// `infer.is_clean_text`: UTF-8 without control characters (tab, newline, CR allowed).
pub fn is_clean_text(payload: &[u8]) -> bool {
    !payload.iter().any(|&b| is_control(b)) && std::str::from_utf8(payload).is_ok()
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
        3 => -3.0,
        _ => 0.0,
    }
}

fn len_fit_score(size: usize) -> f64 {
    // The common sizes from a table computed once (`infer._LEN_FIT_SCORE`): the same
    // numbers, without a logarithm per field.
    static TABLE: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| (0..4096).map(compute_len_fit_score).collect());
    match table.get(size) {
        Some(&score) => score,
        None => compute_len_fit_score(size),
    }
}

fn compute_len_fit_score(size: usize) -> f64 {
    let score = 0.5 + 0.35 * (size as f64).ln_1p();
    if score < MESSAGE_LEN_CHILD_CAP {
        score
    } else {
        MESSAGE_LEN_CHILD_CAP
    }
}

/// `infer.score_message` over the direct fields of a payload that parsed completely.
fn score_message(fields: &[Raw], text_children: usize, clean_text: bool) -> f64 {
    if fields.is_empty() {
        return 0.1;
    }
    let score = MESSAGE_BASE + MESSAGE_TEXT_CHILD * text_children as f64;
    if clean_text {
        // Clean text that happens to parse stays a coincidence, however many "fields".
        let capped = if score < MESSAGE_BASE { score } else { MESSAGE_BASE };
        return capped - MESSAGE_CLEAN_TEXT_PENALTY;
    }
    let mut score = score;
    let mut previous = 0u32;
    for field in fields {
        score += number_score(field.number) + wire_type_score(field.wire);
        if field.wire == LEN {
            // A random length fits the rest exactly with a chance of about 1/size.
            score += len_fit_score(field.vend - field.voff);
        }
        if previous != 0 {
            score += if field.number >= previous { 0.3 } else { -1.0 };
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

const PACKED_LENGTH_SCORE: [f64; 10] = [0.0, 0.0, 0.2, 0.5, 0.8, 0.8, 0.6, 0.6, 0.6, 0.6];

fn multi_byte_score(size: usize, top: u8) -> f64 {
    let length = PACKED_LENGTH_SCORE.get(size).copied().unwrap_or(0.0);
    length
        + if top < 16 {
            0.6
        } else if top < 64 {
            0.0
        } else {
            -0.8
        }
}

/// `infer.score_packed_varints`.
pub fn score_packed_varints(payload: &[u8]) -> Option<f64> {
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
                return None;
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
        return Some(-5.0);
    }
    let mut score = PACKED_BASE;
    let mut runs = 0usize;
    let mut first_size = 0usize;
    let mut one_size = true;
    let mut start = 0usize;
    for (index, &byte) in payload.iter().enumerate() {
        if byte >= 0x80 {
            continue;
        }
        let run = payload.get(start..=index).unwrap_or(&[]);
        let size = run.len();
        start = index + 1;
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
        } else if size != first_size {
            one_size = false;
        }
        runs += 1;
    }
    if runs > 1 && first_size > 1 && one_size {
        // Elements of one size (ids, timestamps of one magnitude).
        score += PACKED_SAME_SIZE * (runs - 1) as f64;
    }
    Some(if score < PACKED_CAP { score } else { PACKED_CAP })
}

/// `infer.score_packed_fixed`: packed fixed32 (width 4) / fixed64 (width 8).
pub fn score_packed_fixed(payload: &[u8], width: usize) -> Option<f64> {
    if payload.is_empty() || payload.len() % width != 0 {
        return None;
    }
    let count = payload.len() / width;
    let sample = count.min(FLOAT_SAMPLE);
    let per_plausible = if width == 4 { 2.0 } else { 3.0 };
    let mut score = 0.0f64;
    for element in payload.chunks_exact(width).take(sample) {
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
            score += 0.5;
        } else if (1e-6..=1e9).contains(&number.abs()) {
            score += per_plausible;
        } else {
            score -= 2.0;
        }
    }
    let scaled = score * count as f64 / sample as f64 - 1.0;
    Some(if scaled < PACKED_FIXED_CAP { scaled } else { PACKED_FIXED_CAP })
}

/// First bytes a message can start with (`wire._CAN_START`): a tag of a field number
/// from 1 and a wire type that is not end-group or 6/7.
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

    /// The best reading by score, ties to the lower reading number (`_choose`'s
    /// fallback when a schema's reading does not parse).
    pub fn best(&self) -> usize {
        let mut best = BYTES;
        for reading in 0..READINGS {
            if self.has(reading) {
                let score = self.scores[reading];
                let best_score = self.scores[best];
                if score > best_score || (score == best_score && reading < best) {
                    best = reading;
                }
            }
        }
        best
    }
}

/// Reused buffers of [`candidates`] (no allocation per payload).
#[derive(Default)]
pub struct Scratch {
    fields: Vec<Raw>,
    open: Vec<OpenGroup>,
}

/// `wire._candidates`: every reading of `buf[voff..vend]` that parses, with its score.
pub fn candidates(buf: &[u8], voff: usize, vend: usize, scratch: &mut Scratch) -> Candidates {
    let payload = buf.get(voff..vend).unwrap_or(&[]);
    let mut found = Candidates { scores: [0.0; READINGS], present: 0 };
    found.add(BYTES, 0.0);
    let mut best = 0.0f64;
    let mut clean_text = false;
    if let Some(text) = score_string(payload) {
        found.add(STRING, text);
        if text > best {
            best = text;
        }
        clean_text = text > STRING_BASE;
        if clean_text
            && payload.len() > ALWAYS_TRY_MESSAGE
            && !payload.iter().any(|&b| matches!(b, b'\t' | b'\n' | b'\r'))
        {
            // Clean text that no message could be: a message reads as clean text only
            // through a length prefix of 9, 10 or 13 (tab, newline, carriage return).
            return found;
        }
    }
    if payload.first().is_none_or(|&first| can_start(first)) && parse_message(buf, voff, vend, scratch) {
        let fields = &scratch.fields;
        let mut text_children = 0usize;
        let mut text_length_prefix = false;
        for field in fields {
            if field.wire == LEN {
                if field.vend > field.voff && is_clean_text(buf.get(field.voff..field.vend).unwrap_or(&[])) {
                    text_children += 1;
                }
                let prefix = field.voff - field.offset - usize::from(field.tag_len);
                if prefix == 1 && matches!(buf.get(field.voff - 1), Some(9 | 10 | 13)) {
                    text_length_prefix = true;
                }
            }
        }
        // A message reads as clean text only when its length prefixes are \t, \n or \r;
        // then the text reading is the coincidence.
        let score = score_message(fields, text_children, clean_text && !text_length_prefix);
        found.add(MESSAGE, score);
        if score > best {
            best = score;
        }
    }
    if best < PACKED_MAX {
        if let Some(score) = score_packed_varints(payload) {
            found.add(PACKED_VARINT, score);
        }
        if let Some(score) = score_packed_fixed(payload, 4) {
            found.add(PACKED_FIXED32, score);
        }
        if let Some(score) = score_packed_fixed(payload, 8) {
            found.add(PACKED_FIXED64, score);
        }
    }
    found
}

/// The readings of short payloads seen before: the same bytes read the same, and
/// names, keys and small values repeat (`_Reader._known` in the reference). A
/// direct-mapped table: a collision replaces the entry, so no input can make a
/// lookup cost more than one comparison.
#[derive(Default)]
pub struct Memo {
    slots: Vec<MemoSlot>,
    /// Lookups that missed since the table last grew.
    misses: usize,
}

/// The table starts small (a gRPC message of a few fields should not pay for a big
/// one) and grows, emptied, by four when it missed four times its size, up to this.
const MEMO_SLOTS: usize = 4096;
const MEMO_FIRST_SLOTS: usize = 64;
/// Payloads up to this length are remembered.
pub const MEMO_LENGTH: usize = 48;

#[derive(Clone, Copy)]
struct MemoSlot {
    length: u8,
    key: [u8; MEMO_LENGTH],
    found: Candidates,
    ranking: u16,
}

const EMPTY_SLOT: MemoSlot = MemoSlot {
    length: u8::MAX,
    key: [0; MEMO_LENGTH],
    found: Candidates { scores: [0.0; READINGS], present: 0 },
    ranking: 0,
};

fn memo_hash(payload: &[u8]) -> usize {
    let mut hash = payload.len() as u64;
    for chunk in payload.chunks(8) {
        let mut word = [0u8; 8];
        if let Some(head) = word.get_mut(..chunk.len()) {
            head.copy_from_slice(chunk);
        }
        hash = (hash.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(0x51_7C_C1_B7_27_22_0A_95);
    }
    (hash >> 52) as usize
}

impl Memo {
    /// [`candidates`] and [`ranking`] of `buf[voff..vend]`, from the table when the
    /// same short payload was scored before.
    pub fn scored(
        &mut self,
        buf: &[u8],
        voff: usize,
        vend: usize,
        scratch: &mut Scratch,
    ) -> (Candidates, u16) {
        let payload = buf.get(voff..vend).unwrap_or(&[]);
        if payload.len() > MEMO_LENGTH {
            let found = candidates(buf, voff, vend, scratch);
            return (found, ranking(&found));
        }
        if self.slots.is_empty() || (self.misses > 4 * self.slots.len() && self.slots.len() < MEMO_SLOTS) {
            let size = (self.slots.len() * 4).clamp(MEMO_FIRST_SLOTS, MEMO_SLOTS);
            self.slots = vec![EMPTY_SLOT; size];
            self.misses = 0;
        }
        let index = memo_hash(payload) % self.slots.len().max(1);
        if let Some(slot) = self.slots.get(index) {
            if usize::from(slot.length) == payload.len() && slot.key.get(..payload.len()) == Some(payload) {
                return (slot.found, slot.ranking);
            }
        }
        self.misses += 1;
        let found = candidates(buf, voff, vend, scratch);
        let ranked = ranking(&found);
        if let Some(slot) = self.slots.get_mut(index) {
            slot.length = payload.len() as u8;
            if let Some(key) = slot.key.get_mut(..payload.len()) {
                key.copy_from_slice(payload);
            }
            slot.found = found;
            slot.ranking = ranked;
        }
        (found, ranked)
    }
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

/// The readings that may be shown as alternatives, best first (`wire._ranking`):
/// `bytes` always parses and is left out; so is a packed reading scoring 0 or less.
/// Encoded as up to five 3-bit `reading + 1` digits, first reading lowest.
pub fn ranking(found: &Candidates) -> u16 {
    let mut ranked: [(f64, usize); READINGS] = [(0.0, 0); READINGS];
    let mut count = 0usize;
    for reading in 0..BYTES {
        if found.has(reading) {
            let score = found.scores[reading];
            if score > 0.0 || !is_packed(reading) {
                if let Some(slot) = ranked.get_mut(count) {
                    *slot = (score, reading);
                    count += 1;
                }
            }
        }
    }
    let ranked = ranked.get_mut(..count).unwrap_or(&mut []);
    // Best score first; ties by reading number (`(-score, order)` in the reference).
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

/// `wire._alternatives`: the other kinds of the ranking than the chosen reading's,
/// without repeats, best first (at most four).
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

/// The scores of every occurrence of one field path (`wire._Tally`): occurrences, and
/// per reading the total score and how many occurrences it fits.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub occurrences: u64,
    pub totals: [f64; READINGS],
    pub fits: [u64; READINGS],
}

impl Tally {
    /// Add one occurrence (scores are summed in the order the walk meets them, as the
    /// reference does: the totals are the same to the bit).
    pub fn add(&mut self, found: &Candidates) {
        self.occurrences += 1;
        for reading in 0..READINGS {
            if found.has(reading) {
                if self.fits[reading] == 0 {
                    self.totals[reading] = 0.0 + found.scores[reading];
                } else {
                    self.totals[reading] += found.scores[reading];
                }
                self.fits[reading] += 1;
            }
        }
    }

    /// `_Reader._decided`: the reading that fits every occurrence with the best total
    /// (ties to the lower reading number). `bytes` fits everything.
    pub fn decide(&self) -> usize {
        let mut best = BYTES;
        for reading in 0..READINGS {
            if self.fits[reading] == self.occurrences && self.occurrences > 0 {
                let total = self.totals[reading];
                if self.fits[best] != self.occurrences
                    || total > self.totals[best]
                    || (total == self.totals[best] && reading < best)
                {
                    best = reading;
                }
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(payload: &[u8]) -> Candidates {
        candidates(payload, 0, payload.len(), &mut Scratch::default())
    }

    #[test]
    fn strings_score_by_length_and_controls() {
        assert_eq!(score_string(b""), Some(0.2));
        assert_eq!(score_string(b"hi"), Some(4.0));
        assert_eq!(score_string(b"\n"), Some(0.5));
        assert_eq!(score_string(b"a\x00b"), Some(-2.0));
        assert_eq!(score_string(&[0xFF]), None);
        assert_eq!(score_string("\u{2028}\u{3000}".as_bytes()), Some(0.5));
    }

    #[test]
    fn short_strings_stay_strings_and_packed_is_found() {
        // "hi" also parses as field 13 varint 105: a string wins.
        let hi = found(b"hi");
        assert!(hi.has(MESSAGE) && hi.has(STRING));
        assert_eq!(ranking(&hi) & 7, STRING as u16 + 1);
        // 01 02 03 96 01 ac 02: varints 1, 2, 3, 150, 300
        let packed = found(&[0x01, 0x02, 0x03, 0x96, 0x01, 0xAC, 0x02]);
        assert!(packed.has(PACKED_VARINT));
        assert_eq!(packed.best(), PACKED_VARINT);
    }

    #[test]
    fn decisions_need_a_reading_that_fits_every_occurrence() {
        let mut tally = Tally::default();
        tally.add(&found(&[0x08, 0xFF, 0x01])); // a message (and packed), not UTF-8
        tally.add(&found(b"plain text")); // text only
        assert_eq!(tally.decide(), BYTES);
        let mut tally = Tally::default();
        tally.add(&found(&[0x08, 0x01, 0x10, 0x02]));
        tally.add(&found(&[0x08, 0x05]));
        assert_eq!(tally.decide(), MESSAGE);
    }

    #[test]
    fn the_memo_gives_what_scoring_gives() {
        let mut memo = Memo::default();
        let mut scratch = Scratch::default();
        // Every 1- and 2-byte payload, twice (the second time from the table), and
        // payloads that share a slot replace each other.
        for round in 0..2 {
            for first in 0..=255u8 {
                for second in [None, Some(0x01), Some(0x80), Some(b'i')] {
                    let mut payload = vec![first];
                    payload.extend(second);
                    let expected = candidates(&payload, 0, payload.len(), &mut scratch);
                    let (found, ranked) = memo.scored(&payload, 0, payload.len(), &mut scratch);
                    assert_eq!(found, expected, "round {round}, payload {payload:?}");
                    assert_eq!(ranked, ranking(&expected));
                }
            }
        }
    }

    #[test]
    fn alternatives_leave_out_the_chosen_kind() {
        let hi = found(b"hi");
        let (kinds, count) = alternatives(ranking(&hi), STRING);
        assert_eq!(&kinds[..count], &[Kind::Message][..]);
        let (_, count) = alternatives(ranking(&hi), MESSAGE);
        assert_eq!(count, 1);
    }
}
