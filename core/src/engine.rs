//! The two passes over a set of regions that share one classification (a port of
//! `wire.py`'s `_Reader`, which stays the reference).
//!
//! Pass 1 ([`Engine::gather`]) walks every region, one top-level field at a time and
//! then depth first, and adds up per field path the scores of each reading of its
//! LEN payloads ([`rules::Tally`]); it explores every payload that *could* be a
//! message, so a path's totals are complete whichever way its ancestors are
//! decided. It keeps, per payload longer than the memo's (`rules::MEMO_LENGTH`), one
//! number for pass 2 (its offset, which readings parse and their ranking; short
//! payloads are found in the memo or scored again), and nothing of the tree: the
//! walk holds the ranges still to visit, never the fields.
//!
//! Pass 2 ([`Engine::walk_field`]) walks a region again, one top-level field per
//! call, and reports each field of its subtree with the decided reading to a
//! [`Visitor`] in wire order (the JSON writer, or the Python model builder). Nesting
//! is followed with an explicit stack: no recursion, whatever `max_depth` is.
//!
//! The order of pass 1 is the reference's, stack for stack: scores are summed in the
//! same order, so the totals - and the decisions - are the same to the bit.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::rules::{self, Candidates, Kind, Memo, Scratch, Tally, BYTES, MESSAGE, READING_NAMES};
use crate::scan::{self, Fault, Fields, OpenGroup, Raw, LEN, SGROUP};
use crate::schema::{FieldInfo, Schema};

/// How bad a diagnostic is (`errors.Severity`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
    Info,
}

/// A problem found in the input, at an offset (`errors.Diagnostic`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diag {
    pub offset: usize,
    pub severity: Severity,
    pub message: String,
    pub length: usize,
}

/// A cheap hasher for the path index (keys are two small integers, not input text
/// an attacker could aim collisions at: field numbers are bounded and paths are
/// numbered in order).
#[derive(Default)]
pub struct PathHasher(u64);

impl Hasher for PathHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }
    fn write_u64(&mut self, value: u64) {
        self.0 = (self.0.rotate_left(5) ^ value).wrapping_mul(0x51_7C_C1_B7_27_22_0A_95);
    }
    fn write_u32(&mut self, value: u32) {
        self.write_u64(u64::from(value));
    }
}

type PathIndex = HashMap<(u32, u32), u32, BuildHasherDefault<PathHasher>>;

/// One field path (the chain of field numbers from the root) and what was seen there.
#[derive(Clone, Debug, Default)]
struct Node {
    tally: Tally,
    decision: Option<u8>,
    /// The message type a schema gives the message at this path.
    message_type: Option<usize>,
}

const ROOT: u32 = 0;
const RECENT_PATHS: usize = 256;
/// Paths made for scalar fields only while there are fewer than this many paths.
const SCALAR_PATHS: usize = 1 << 16;
/// The path of a field that has none (see `scalar_path`).
pub const NO_PATH: u32 = u32::MAX;
/// Pass 1's note on a payload for pass 2: `offset << NOTE_SHIFT | readings << 15 | ranking`.
const NOTE_SHIFT: u32 = 21;
const NOTE_MAX_OFFSET: usize = 1 << (64 - NOTE_SHIFT);

/// One field of the tree as pass 2 reports it.
pub struct FieldEvent<'a> {
    pub raw: Raw,
    /// The field's path (numbered in the order paths are first seen): views may keep
    /// what depends on the path alone, such as the JSON writer its path's text.
    /// [`NO_PATH`] for a scalar field when an input has very many paths.
    pub node: u32,
    pub kind: Kind,
    /// LEN: the reading chosen (`rules` number).
    pub reading: usize,
    /// LEN: the other kinds that also parse, best first.
    pub alternatives: &'a [Kind],
    /// message / group: expanded (false past `max_depth`).
    pub expanded: bool,
    /// The payload bytes (`raw.voff..raw.vend`).
    pub payload: &'a [u8],
    /// What the schema says of this field, when annotating and the field fits it.
    pub schema: Option<&'a FieldInfo>,
}

/// What pass 2 reports to: `field` for every field in wire order; a message or group
/// with `expanded` is followed by its children and then `end_children`.
pub trait Visitor {
    type Error;
    fn field(&mut self, event: &FieldEvent<'_>) -> Result<(), Self::Error>;
    fn end_children(&mut self) -> Result<(), Self::Error>;
}

/// Where pass 2 is in a region (several may be walked in turns).
#[derive(Clone, Copy, Debug, Default)]
pub struct Cursor {
    pub pos: usize,
    /// Index into the region's pass-1 notes.
    pub note: usize,
}

struct Frame {
    fields: Fields,
    node: u32,
    depth: u32,
    annotate: Option<usize>,
}

/// The classification shared by a set of regions, and the walks over them.
pub struct Engine {
    max_depth: u32,
    nodes: Vec<Node>,
    index: PathIndex,
    /// Recent `(parent, number, node)` lookups of `child` (number 0 never occurs).
    recent: Vec<(u32, u32, u32)>,
    notes: Vec<Vec<u64>>,
    schema: Option<Schema>,
    scratch: Scratch,
    memo: Memo,
    open: Vec<OpenGroup>,
    /// Diagnostics not yet taken by the caller, in the order found.
    pub diagnostics: Vec<Diag>,
    /// Schema contradictions found while annotating (`annotate`'s own), kept apart:
    /// the reference lists them after the decoder's.
    pub annotation_diagnostics: Vec<Diag>,
}

impl Engine {
    /// `schema`: hints for the root message type (index 0) and every type below it.
    pub fn new(max_depth: u32, schema: Option<Schema>) -> Self {
        let root_type = schema.as_ref().filter(|s| !s.types.is_empty()).map(|_| 0);
        Engine {
            max_depth,
            nodes: vec![Node { message_type: root_type, ..Node::default() }],
            index: PathIndex::default(),
            recent: vec![(0, 0, 0); RECENT_PATHS],
            notes: Vec::new(),
            schema,
            scratch: Scratch::default(),
            memo: Memo::default(),
            open: Vec::new(),
            diagnostics: Vec::new(),
            annotation_diagnostics: Vec::new(),
        }
    }

    pub fn has_schema(&self) -> bool {
        self.schema.is_some()
    }

    fn child(&mut self, parent: u32, number: u32) -> u32 {
        // Most lookups repeat a recent one (the fields of a repeated message): a small
        // direct-mapped table in front of the hash map.
        let slot =
            (parent.wrapping_mul(0x9E37_79B9) ^ number.wrapping_mul(0x85EB_CA6B)) as usize % RECENT_PATHS;
        if let Some(&(p, n, node)) = self.recent.get(slot) {
            if p == parent && n == number {
                return node;
            }
        }
        let node = self.child_slow(parent, number);
        if let Some(entry) = self.recent.get_mut(slot) {
            *entry = (parent, number, node);
        }
        node
    }

    /// The path of a scalar field, for views that keep text per path: scalars have no
    /// tally, so past [`SCALAR_PATHS`] paths a new one gets [`NO_PATH`] rather than
    /// a node (a hostile input can hold a different field number every few bytes).
    fn scalar_path(&mut self, parent: u32, number: u32) -> u32 {
        if self.nodes.len() < SCALAR_PATHS || self.index.contains_key(&(parent, number)) {
            self.child(parent, number)
        } else {
            NO_PATH
        }
    }

    fn child_slow(&mut self, parent: u32, number: u32) -> u32 {
        if let Some(&node) = self.index.get(&(parent, number)) {
            return node;
        }
        let message_type = self
            .nodes
            .get(parent as usize)
            .and_then(|p| p.message_type)
            .and_then(|t| self.schema.as_ref()?.field(t, number))
            .and_then(|f| f.child);
        let node = self.nodes.len() as u32;
        self.nodes.push(Node { message_type, ..Node::default() });
        self.index.insert((parent, number), node);
        node
    }

    // -- pass 1 -------------------------------------------------------------------

    /// Pass 1 over the next region, `buf[start..end]`: its fault (the walk stops
    /// there), with the fault's diagnostics added to `diagnostics`.
    pub fn gather(&mut self, buf: &[u8], start: usize, end: usize) -> Option<Fault> {
        let end = end.min(buf.len());
        let mut notes = Vec::new();
        let mut pos = start;
        let mut found = None;
        while pos < end {
            match scan::read_field(buf, pos, end, &mut self.open) {
                Ok(raw) => {
                    self.gather_subtree(buf, raw, &mut notes);
                    pos = raw.end;
                }
                Err(fault) => {
                    let open = std::mem::take(&mut self.open);
                    if let Some(outermost) = open.first() {
                        self.gather_subtree(buf, outermost.closed_at(fault.resume), &mut notes);
                    }
                    self.report_fault(&fault, &open, end);
                    self.open = open;
                    found = Some(fault);
                    break;
                }
            }
        }
        self.notes.push(notes);
        found
    }

    fn report_fault(&mut self, fault: &Fault, open: &[OpenGroup], end: usize) {
        for (index, group) in open.iter().enumerate() {
            if fault.resume == end && index == 0 {
                continue; // the fault itself already says this group is not closed
            }
            self.diagnostics.push(Diag {
                offset: group.offset,
                severity: Severity::Error,
                message: format!("group {} at offset {} is not closed", group.number, group.offset),
                length: fault.resume.saturating_sub(group.offset),
            });
        }
        self.diagnostics.push(Diag {
            offset: fault.offset,
            severity: Severity::Error,
            message: fault.message(),
            length: end.saturating_sub(fault.resume),
        });
    }

    /// Score every LEN payload of one top-level field's subtree, in the reference's
    /// order: a level's fields in order, then the levels they opened, last first.
    fn gather_subtree(&mut self, buf: &[u8], top: Raw, notes: &mut Vec<u64>) {
        let first = notes.len();
        let mut stack: Vec<(Fields, u32, u32)> = Vec::new();
        self.gather_field(buf, top, ROOT, 1, notes, &mut stack);
        while let Some((mut level, parent, depth)) = stack.pop() {
            let mut open = std::mem::take(&mut self.open);
            while let Some(raw) = level.next(buf, &mut open) {
                self.gather_field(buf, raw, parent, depth, notes, &mut stack);
            }
            self.open = open;
        }
        // Level by level is not offset order; this subtree's offsets follow the
        // previous subtree's, so sorting its notes keeps the region's ascending.
        if let Some(mine) = notes.get_mut(first..) {
            mine.sort_unstable();
        }
    }

    fn gather_field(
        &mut self,
        buf: &[u8],
        raw: Raw,
        parent: u32,
        depth: u32,
        notes: &mut Vec<u64>,
        stack: &mut Vec<(Fields, u32, u32)>,
    ) {
        if raw.wire == LEN {
            let node = self.child(parent, raw.number);
            let (found, ranking) = self.memo.scored(buf, raw.voff, raw.vend, &mut self.scratch);
            if let Some(n) = self.nodes.get_mut(node as usize) {
                n.tally.add(&found);
            }
            // Short payloads are found again in the memo (or scored again: the same
            // bytes read the same); a note is kept for the long ones only.
            if raw.vend - raw.voff > rules::MEMO_LENGTH && raw.voff < NOTE_MAX_OFFSET {
                notes.push(
                    (raw.voff as u64) << NOTE_SHIFT | u64::from(found.present) << 15 | u64::from(ranking),
                );
            }
            if found.has(MESSAGE) && depth < self.max_depth && raw.vend > raw.voff {
                stack.push((Fields::new(raw.voff, raw.vend, false), node, depth + 1));
            }
        } else if raw.wire == SGROUP && depth < self.max_depth {
            let node = self.child(parent, raw.number);
            if raw.vend > raw.voff {
                stack.push((Fields::new(raw.voff, raw.vend, true), node, depth + 1));
            }
        }
    }

    // -- pass 2 -------------------------------------------------------------------

    fn decided(&mut self, node: u32) -> usize {
        match self.nodes.get_mut(node as usize) {
            Some(n) => match n.decision {
                Some(decision) => usize::from(decision),
                None => {
                    let decision = n.tally.decide();
                    n.decision = Some(decision as u8);
                    decision
                }
            },
            None => BYTES,
        }
    }

    /// The readings pass 1 noted for the payload at `voff` (None: not noted).
    fn noted(&self, region: usize, voff: usize, cursor: &mut usize) -> Option<(u8, u16)> {
        let notes = self.notes.get(region)?;
        let key = (voff as u64) << NOTE_SHIFT;
        let matches = |at: usize| notes.get(at).is_some_and(|note| note >> NOTE_SHIFT == voff as u64);
        let mut at = *cursor;
        if !matches(at) {
            // Payloads pass 2 skips (of messages decided otherwise) are passed over.
            let rest = notes.get(at..).unwrap_or(&[]);
            at += rest.partition_point(|&note| note < key);
            if !matches(at) {
                return None;
            }
        }
        *cursor = at + 1;
        let note = notes.get(at)?;
        Some((((note >> 15) & 0x3F) as u8, (note & 0x7FFF) as u16))
    }

    /// Pass 2: report the next top-level field of region `region` (`buf[..end]`, the
    /// walk stopping before `stop`: where pass 1's fault left the unparsed tail) and
    /// its subtree. Returns false when the region has no more fields.
    #[allow(clippy::too_many_arguments)]
    pub fn walk_field<V: Visitor>(
        &mut self,
        region: usize,
        buf: &[u8],
        end: usize,
        stop: usize,
        annotate: bool,
        cursor: &mut Cursor,
        visitor: &mut V,
    ) -> Result<bool, V::Error> {
        let end = end.min(buf.len());
        if cursor.pos >= stop || cursor.pos >= end {
            return Ok(false);
        }
        let top = match scan::read_field(buf, cursor.pos, end, &mut self.open) {
            Ok(raw) => raw,
            Err(fault) => match self.open.first() {
                Some(outermost) => outermost.closed_at(fault.resume),
                None => {
                    cursor.pos = end;
                    return Ok(false);
                }
            },
        };
        cursor.pos = top.end.max(cursor.pos + 1);
        if !(top.offset < stop || top.wire == SGROUP) {
            return Ok(true);
        }
        let root_type = if annotate && self.has_schema() { Some(0) } else { None };
        let mut stack: Vec<Frame> = Vec::new();
        self.emit(region, buf, top, ROOT, 1, root_type, &mut cursor.note, &mut stack, visitor)?;
        while let Some(frame) = stack.last_mut() {
            let (node, depth, annotate_type) = (frame.node, frame.depth, frame.annotate);
            let mut open = std::mem::take(&mut self.open);
            let next = frame.fields.next(buf, &mut open);
            self.open = open;
            match next {
                Some(raw) => {
                    self.emit(
                        region,
                        buf,
                        raw,
                        node,
                        depth,
                        annotate_type,
                        &mut cursor.note,
                        &mut stack,
                        visitor,
                    )?;
                }
                None => {
                    stack.pop();
                    visitor.end_children()?;
                }
            }
        }
        Ok(true)
    }

    #[allow(clippy::too_many_arguments)]
    fn emit<V: Visitor>(
        &mut self,
        region: usize,
        buf: &[u8],
        raw: Raw,
        parent: u32,
        depth: u32,
        annotate_type: Option<usize>,
        note: &mut usize,
        stack: &mut Vec<Frame>,
        visitor: &mut V,
    ) -> Result<(), V::Error> {
        let payload = buf.get(raw.voff..raw.vend).unwrap_or(&[]);
        let mut reading = BYTES;
        let mut alternatives = [Kind::Bytes; 4];
        let mut alternative_count = 0;
        let mut expanded = true;
        let node = match raw.wire {
            LEN | SGROUP => self.child(parent, raw.number),
            _ => self.scalar_path(parent, raw.number),
        };
        let kind = match raw.wire {
            LEN => {
                let noted = if payload.len() > rules::MEMO_LENGTH {
                    self.noted(region, raw.voff, note)
                } else {
                    None
                };
                let (present, ranking, mut found) = match noted {
                    Some((present, ranking)) => (present, ranking, None),
                    None => {
                        let (found, ranking) = self.memo.scored(buf, raw.voff, raw.vend, &mut self.scratch);
                        (found.present, ranking, Some(found))
                    }
                };
                reading = self.decided(node);
                let forced = self
                    .nodes
                    .get(parent as usize)
                    .and_then(|p| p.message_type)
                    .and_then(|t| self.schema.as_ref()?.field(t, raw.number))
                    .and_then(|f| f.len_reading);
                if let Some(forced) = forced {
                    if present & (1 << forced) != 0 {
                        reading = forced;
                    } else {
                        if present & (1 << reading) == 0 {
                            let found: Candidates = *found.get_or_insert_with(|| {
                                rules::candidates(buf, raw.voff, raw.vend, &mut self.scratch)
                            });
                            reading = found.best();
                        }
                        self.diagnostics.push(contradiction(&raw, forced, reading));
                    }
                }
                let (kinds, count) = rules::alternatives(ranking, reading);
                alternatives = kinds;
                alternative_count = count;
                let kind = rules::reading_kind(reading);
                if kind == Kind::Message {
                    expanded = depth < self.max_depth;
                    if !expanded {
                        self.diagnostics.push(depth_stop(&raw, self.max_depth, "nested message"));
                    }
                }
                kind
            }
            SGROUP => {
                expanded = depth < self.max_depth;
                if !expanded {
                    self.diagnostics.push(depth_stop(&raw, self.max_depth, "group"));
                }
                Kind::Group
            }
            scan::I32 => Kind::Fixed32,
            scan::I64 => Kind::Fixed64,
            _ => Kind::Varint,
        };
        // `annotate._annotate_field`: a field the schema knows gets its information
        // when the wire fits it; its children are read as its message type.
        let mut info: Option<&FieldInfo> = None;
        let mut child_type = None;
        if let Some(message_type) = annotate_type {
            if let Some(field) = self.schema.as_ref().and_then(|s| s.field(message_type, raw.number)) {
                match field.expected.get(usize::from(raw.wire)).copied().flatten() {
                    None => self.annotation_diagnostics.push(wire_contradiction(&raw, field)),
                    Some(expected) if expected == kind => {
                        info = Some(field);
                        child_type = field.child;
                    }
                    Some(_) => {}
                }
            }
        }
        let container = kind == Kind::Message || kind == Kind::Group;
        visitor.field(&FieldEvent {
            raw,
            node,
            kind,
            reading,
            alternatives: alternatives.get(..alternative_count).unwrap_or(&[]),
            expanded,
            payload,
            schema: info,
        })?;
        if container && expanded {
            stack.push(Frame {
                fields: Fields::new(raw.voff, raw.vend, kind == Kind::Group),
                node,
                depth: depth + 1,
                annotate: child_type,
            });
        }
        Ok(())
    }
}

fn contradiction(raw: &Raw, forced: usize, used: usize) -> Diag {
    let name = |reading: usize| READING_NAMES.get(reading).copied().unwrap_or("bytes").replace(':', " ");
    Diag {
        offset: raw.offset,
        severity: Severity::Error,
        message: format!(
            "field {} at offset {}: the schema says {}, but the {}-byte payload is not one; shown as {}",
            raw.number,
            raw.offset,
            name(forced),
            raw.vend - raw.voff,
            name(used)
        ),
        length: raw.end - raw.offset,
    }
}

fn depth_stop(raw: &Raw, max_depth: u32, what: &str) -> Diag {
    Diag {
        offset: raw.offset,
        severity: Severity::Warning,
        message: format!(
            "field {} at offset {}: {what} not expanded, --max-depth {max_depth} reached",
            raw.number, raw.offset
        ),
        length: raw.end - raw.offset,
    }
}

const WIRE_NAMES: [&str; 6] = ["VARINT", "I64", "LEN", "SGROUP", "EGROUP", "I32"];

fn wire_contradiction(raw: &Raw, field: &FieldInfo) -> Diag {
    let wire_name = |wire: u8| WIRE_NAMES.get(usize::from(wire)).copied().unwrap_or("?");
    Diag {
        offset: raw.offset,
        severity: Severity::Error,
        message: format!(
            "field {} ({}: {}) at offset {}: wire type {} contradicts the schema ({}); shown without schema",
            raw.number,
            field.name,
            field.type_name,
            raw.offset,
            wire_name(raw.wire),
            wire_name(field.declared_wire)
        ),
        length: raw.end - raw.offset,
    }
}

/// The elements of a packed payload as unsigned integers (`infer.unpack`).
pub fn unpack(payload: &[u8], reading: usize, out: &mut Vec<u64>) {
    out.clear();
    match reading {
        rules::PACKED_FIXED32 => out
            .extend(payload.chunks_exact(4).map(|c| u64::from(u32::from_le_bytes([c[0], c[1], c[2], c[3]])))),
        rules::PACKED_FIXED64 => out.extend(
            payload
                .chunks_exact(8)
                .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])),
        ),
        _ => {
            let mut value = 0u64;
            let mut shift = 0u32;
            for &byte in payload {
                if shift < 64 {
                    value |= u64::from(byte & 0x7F) << shift;
                }
                if byte < 0x80 {
                    out.push(value);
                    value = 0;
                    shift = 0;
                } else {
                    shift = shift.saturating_add(7);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records what pass 2 reports, as `number:kind` with `(` `)` around children.
    struct Trace(String);

    impl Visitor for Trace {
        type Error = ();
        fn field(&mut self, event: &FieldEvent<'_>) -> Result<(), ()> {
            self.0 += &format!("{}:{}", event.raw.number, event.kind.name());
            if (event.kind == Kind::Message || event.kind == Kind::Group) && event.expanded {
                self.0 += "(";
            } else {
                self.0 += " ";
            }
            Ok(())
        }
        fn end_children(&mut self) -> Result<(), ()> {
            self.0 += ") ";
            Ok(())
        }
    }

    fn trace(data: &[u8], max_depth: u32) -> (String, Vec<Diag>) {
        let mut engine = Engine::new(max_depth, None);
        let fault = engine.gather(data, 0, data.len());
        let stop = fault.map_or(data.len(), |f| f.resume);
        let mut cursor = Cursor::default();
        let mut out = Trace(String::new());
        while engine.walk_field(0, data, data.len(), stop, false, &mut cursor, &mut out).unwrap() {}
        (out.0, engine.diagnostics)
    }

    #[test]
    fn nested_messages_strings_and_packed() {
        // 0a 06 0a 02 68 69 10 01: 1 { 1: "hi", 2: 1 }; 2a 03 01 02 03: packed 1, 2, 3
        let data = [0x0A, 0x06, 0x0A, 0x02, 0x68, 0x69, 0x10, 0x01, 0x2A, 0x03, 0x01, 0x02, 0x03];
        assert_eq!(trace(&data, 100).0, "1:message(1:string 2:varint ) 5:packed ");
    }

    #[test]
    fn depth_is_bounded_without_recursion() {
        let mut data = vec![0x08, 0x01];
        for _ in 0..10_000 {
            let mut outer = vec![0x0A];
            let mut size = data.len();
            while size >= 0x80 {
                outer.push((size as u8 & 0x7F) | 0x80);
                size >>= 7;
            }
            outer.push(size as u8);
            outer.extend_from_slice(&data);
            data = outer;
        }
        let (text, diagnostics) = trace(&data, 5);
        assert_eq!(text.matches('(').count(), 4);
        assert_eq!(diagnostics.len(), 1);
        assert!(diagnostics[0].message.contains("--max-depth 5 reached"));
    }

    #[test]
    fn a_fault_stops_the_walk_with_its_diagnostics() {
        // 08 96 01: 1: 150; 0b 08 01: group 1 { 1: 1 ... ; 0e: wire type 6
        let data = [0x08, 0x96, 0x01, 0x0B, 0x08, 0x01, 0x0E];
        let (text, diagnostics) = trace(&data, 100);
        assert_eq!(text, "1:varint 1:group(1:varint ) ");
        let messages: Vec<_> = diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            ["group 1 at offset 3 is not closed", "invalid wire type 6 in tag at offset 6 (field 1)"]
        );
    }

    #[test]
    fn scalar_paths_are_bounded() {
        // 100,000 varint fields, each of another number: no path kept past the bound.
        let mut data = Vec::new();
        for number in 1..=100_000u32 {
            let mut tag = number << 3;
            while tag >= 0x80 {
                data.push((tag as u8 & 0x7F) | 0x80);
                tag >>= 7;
            }
            data.extend_from_slice(&[tag as u8, 0x01]);
        }
        let mut engine = Engine::new(100, None);
        assert!(engine.gather(&data, 0, data.len()).is_none());
        let mut cursor = Cursor::default();
        let mut out = Trace(String::new());
        while engine.walk_field(0, &data, data.len(), data.len(), false, &mut cursor, &mut out).unwrap() {}
        assert_eq!(out.0.matches(":varint").count(), 100_000);
        assert!(engine.nodes.len() <= SCALAR_PATHS + 1);
    }

    #[test]
    fn packed_elements_unpack() {
        let mut out = Vec::new();
        unpack(&[0x01, 0x96, 0x01], rules::PACKED_VARINT, &mut out);
        assert_eq!(out, [1, 150]);
        unpack(&[0, 0, 0x80, 0x3F], rules::PACKED_FIXED32, &mut out);
        assert_eq!(out, [0x3F80_0000]);
    }
}
