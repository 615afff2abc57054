//! The two passes over a set of regions that share one classification.
//!
//! Pass 1 ([`Engine::gather`]) walks every region, one top-level field at a time and
//! then depth first, and scores every LEN payload that *could* be a message, with its
//! subtree: a payload is finished when the level of its fields is done (children
//! before their parent, in wire order), and a finished payload adds its best score to
//! its parent's message reading ([`rules::finish`]). Each finished payload is added
//! to its field path's [`rules::Tally`], so a path's totals are complete whichever
//! way its ancestors are decided. A long message's fields may be scored in two halves
//! on two threads ([`SPLIT_MIN`]): the second half by a helper engine with paths of
//! its own, whose paths, tallies, type URLs and notes are then added to this one's in
//! wire order - the same paths, numbered the same, and the same totals (sums of
//! [`rules::Sum`] do not depend on the order of their terms) as one thread makes. Only the levels being read are held (one
//! [`Fields`] cursor each, never the fields). Pass 1 keeps, per payload longer than
//! the memo's (`rules::MEMO_LENGTH`), one number for pass 2: its offset and its
//! [`Profile`]; short payloads are found in the memo, or scored again with their
//! (short) subtree.
//!
//! Pass 2 ([`Engine::walk_field`]) walks a region again, one top-level field per
//! call, and reports each field of its subtree with the reading shown to a
//! [`Visitor`] in wire order (the JSON writer, or the Python model builder). Nesting
//! is followed with an explicit stack: no recursion, whatever `max_depth` is.
//!
//! A field path is the chain of field numbers from the root (a node of `nodes`,
//! keyed by its parent and number). Below a `google.protobuf.Any` - a message of
//! exactly a field 1 holding a type URL and a field 2, both LEN - the type URL is
//! one more element of the path of the fields inside field 2 (`Engine::any_type_url`): an
//! Any is the one place where one chain of field numbers holds messages of many
//! types. Sums are exact ([`rules::Sum`]), so decisions are the same on every run,
//! with one thread or two.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;
use std::thread::{Scope, ScopedJoinHandle};

use crate::rules::{
    self, Candidates, Kind, Known, Memo, Profile, Scratch, Sum, Tally, BYTES, MESSAGE, READING_NAMES,
};
use crate::scan::{self, Fault, Fields, OpenGroup, Raw, LEN, SGROUP};
use crate::schema::{has_range, out_of_range, FieldAt, FieldInfo, Schema};

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
/// an attacker could aim collisions at: field numbers are bounded and paths and type
/// URLs are numbered in order).
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

/// One field path and what was seen there.
#[derive(Clone, Debug, Default)]
struct Node {
    /// Its parent and field number (or `URL_KEYS + url`).
    key: (u32, u32),
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
/// Path elements above every field number stand for type URLs (`URL_KEYS + url`).
const URL_KEYS: u32 = scan::MAX_FIELD_NUMBER as u32 + 1;
/// Type URLs numbered at most (a later one shares the last number: its fields then
/// share a path, which only merges evidence).
const MAX_URLS: u32 = NO_PATH - 1 - URL_KEYS;
/// Longer field-1 payloads are not taken for type URLs (real ones are a few dozen
/// bytes; this also bounds what is kept of them).
pub const TYPE_URL_MAX: usize = 1024;
/// Pass 1's note on a payload for pass 2: `offset << NOTE_SHIFT | profile`.
const NOTE_SHIFT: u32 = Profile::BITS;
const NOTE_MAX_OFFSET: usize = 1 << (64 - NOTE_SHIFT);
const NOTE_MASK: u64 = (1 << NOTE_SHIFT) - 1;
/// Pass 1 scores a message (or a region's top-level fields) of at least this many
/// bytes in two halves on two threads, when the engine may ([`Engine::set_threads`])
/// and the halves can be cut near the middle (each a quarter of it at least).
pub const SPLIT_MIN: usize = 1 << 18;

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
    /// Where `schema` is in the engine's schema ([`Engine::shared_schema`]).
    pub schema_at: Option<FieldAt>,
    /// The value (field 2) of a `google.protobuf.Any`: a bytes field holding a
    /// serialized message, whatever it is read as (the Any's type URL is known).
    pub any_value: bool,
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

/// A level pass 2 is reporting the fields of.
struct Frame {
    fields: Fields,
    level: Level2,
}

/// Where the fields of a level pass 1 reads come from.
enum Source {
    /// One top-level field (a group closed at a fault included).
    One(Option<Raw>),
    /// A message's payload, a group's body, or a whole region that is an Any.
    Range(Fields),
    /// A message's fields, as scoring its message reading read them, and the next.
    List(Vec<Raw>, usize),
}

impl Source {
    fn next(&mut self, buf: &[u8], open: &mut Vec<OpenGroup>) -> Option<Raw> {
        match self {
            Source::One(raw) => raw.take(),
            Source::Range(fields) => fields.next(buf, open),
            Source::List(fields, at) => {
                let raw = fields.get(*at).copied();
                *at += 1;
                raw
            }
        }
    }
}

/// A level pass 1 is reading.
struct Level {
    source: Source,
    /// The path of the level (its fields' paths are its children); [`NO_PATH`] when
    /// only scoring (pass 2 scoring a payload again).
    path: u32,
    depth: u32,
    /// The payload whose message reading this level is (a group's level: the message
    /// the group is in), as an index into the pending stack.
    owner: Option<usize>,
    any: Option<u32>,
    group: bool,
}

/// A LEN payload being scored: its children are being read.
struct Pending {
    node: u32,
    voff: usize,
    vend: usize,
    depth: u32,
    found: Candidates,
    /// The best scores of its LEN children so far.
    children: Sum,
    /// The deepest level its score needed (-1: none below it).
    reach: i64,
    /// Its readings came from the memo: final already.
    done: bool,
    best: f64,
    profile: Profile,
    parent: Option<usize>,
    /// Its note's index in the region's notes (reserved when it was met: in that
    /// order, the notes are in offset order), or `NO_NOTE`.
    note: usize,
}

const NO_NOTE: usize = usize::MAX;

/// Pass 1's notes on one region, in offset order: segments, so that a helper's notes
/// join this thread's without being copied (a copy would hold both at once), each
/// numbered by its place in the whole.
#[derive(Default)]
struct Notes {
    /// Finished segments and the index of each one's first note.
    segments: Vec<(usize, Vec<u64>)>,
    /// The segment notes are added to, and the index of its first note.
    current: Vec<u64>,
    start: usize,
}

impl Notes {
    fn len(&self) -> usize {
        self.start + self.current.len()
    }

    fn push(&mut self, note: u64) {
        self.current.push(note);
    }

    /// The segment holding note `index`, and the index in it.
    fn find(&self, index: usize) -> Option<(&[u64], usize)> {
        if index >= self.start {
            return Some((&self.current, index - self.start));
        }
        let at = self.segments.partition_point(|(start, _)| *start <= index).checked_sub(1)?;
        let (start, notes) = self.segments.get(at)?;
        Some((notes, index - start))
    }

    fn get(&self, index: usize) -> Option<u64> {
        let (notes, at) = self.find(index)?;
        notes.get(at).copied()
    }

    fn get_mut(&mut self, index: usize) -> Option<&mut u64> {
        if index >= self.start {
            return self.current.get_mut(index - self.start);
        }
        let at = self.segments.partition_point(|(start, _)| *start <= index).checked_sub(1)?;
        let (start, notes) = self.segments.get_mut(at)?;
        notes.get_mut(index - *start)
    }

    /// Add another's notes (all after these in offset order) after these.
    fn append(&mut self, other: Notes) {
        let segments = other.segments.into_iter().map(|(_, notes)| notes);
        for notes in segments.chain(std::iter::once(other.current)) {
            if notes.is_empty() {
                continue;
            }
            let start = self.len();
            let current = std::mem::take(&mut self.current);
            if !current.is_empty() {
                self.segments.push((self.start, current));
            }
            self.start = start + notes.len();
            self.segments.push((start, notes));
        }
    }

    /// The index of the first note from `at` on that is not below `key`.
    fn first_from(&self, at: usize, key: u64) -> usize {
        let mut at = at;
        while let Some((notes, index)) = self.find(at) {
            let rest = notes.get(index..).unwrap_or(&[]);
            let skip = rest.partition_point(|&note| note < key);
            at += skip;
            if skip < rest.len() || rest.is_empty() {
                return at;
            }
        }
        at
    }
}

/// What a helper engine scores on the second thread.
enum Half {
    /// The top-level fields of a region from `start` to `end`.
    Top(usize, usize),
    /// The second half of a message's fields, at `depth`.
    Fields(Vec<Raw>, u32),
}

/// What a helper scored: for the payload whose fields it had, the sum of their best
/// scores and the deepest level they needed; its paths in the order it made them
/// (its root standing for the level's own path) with their tallies; its type URLs in
/// order; its notes (in offset order, after the first half's).
struct Part {
    children: Sum,
    reach: i64,
    nodes: Vec<Node>,
    urls: Vec<Box<[u8]>>,
    notes: Notes,
}

/// A helper at work on another thread: it hands back its engine and what it scored.
type HelperRun<'scope> = ScopedJoinHandle<'scope, (Box<Engine>, Part)>;

/// Each half of `start..cut..end` holds a quarter of it at least.
fn balanced(start: usize, cut: usize, end: usize) -> bool {
    let quarter = (end - start) / 4;
    cut - start >= quarter && end - cut >= quarter
}

/// Where to cut a message's `fields` (its payload `start..end`) for two threads: the
/// field nearest the middle, if the message is long enough and the halves balanced.
fn split_point(fields: &[Raw], start: usize, end: usize, split_min: usize) -> Option<usize> {
    if end.saturating_sub(start) < split_min || fields.len() < 2 {
        return None;
    }
    let middle = start + (end - start) / 2;
    let after = fields.partition_point(|raw| raw.offset < middle).clamp(1, fields.len() - 1);
    let offset = |at: usize| fields.get(at).map_or(end, |raw| raw.offset);
    let at = if offset(after - 1).abs_diff(middle) < offset(after).abs_diff(middle) && after > 1 {
        after - 1
    } else {
        after
    };
    balanced(start, offset(at), end).then_some(at)
}

/// The classification shared by a set of regions, and the walks over them.
pub struct Engine {
    max_depth: u32,
    nodes: Vec<Node>,
    index: PathIndex,
    /// Recent `(parent, number, node)` lookups of `child` (number 0 never occurs).
    recent: Vec<(u32, u32, u32)>,
    notes: Vec<Notes>,
    /// Per region: its type URL when the whole region is an Any's two fields.
    region_any: Vec<Option<u32>>,
    /// Type URLs by their text, numbered in the order seen.
    urls: HashMap<Box<[u8]>, u32>,
    /// The texts of the type URLs by number.
    url_texts: Vec<Box<[u8]>>,
    /// Per type URL (by number): the schema type an Any's value of that URL is read
    /// as ([`Engine::set_any_types`]); None: the schema has none of that name.
    url_types: Vec<Option<usize>>,
    /// Shared with pass 2's JSON thread (`pipeline`), which reads it only.
    schema: Option<Arc<Schema>>,
    scratch: Scratch,
    memo: Memo,
    open: Vec<OpenGroup>,
    levels: Vec<Level>,
    pending: Vec<Pending>,
    /// Emptied field lists of finished levels, for the next ones.
    lists: Vec<Vec<Raw>>,
    /// Pass 1 may score half of a long message on a second thread.
    threads: bool,
    split_min: usize,
    /// The second thread's engine, kept from one split to the next of a region (for
    /// its memo).
    helper: Option<Box<Engine>>,
    /// A helper is scoring (one at a time: the machines this is for have two cores).
    helping: bool,
    /// Helpers started (the tests check that they were).
    splits: usize,
    /// Diagnostics not yet taken by the caller, in the order found.
    pub diagnostics: Vec<Diag>,
    /// Schema contradictions found while annotating (`annotate`'s own), kept apart:
    /// they are listed after the decoder's.
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
            region_any: Vec::new(),
            urls: HashMap::new(),
            url_texts: Vec::new(),
            url_types: Vec::new(),
            schema: schema.map(Arc::new),
            scratch: Scratch::default(),
            memo: Memo::default(),
            open: Vec::new(),
            levels: Vec::new(),
            pending: Vec::new(),
            lists: Vec::new(),
            threads: false,
            split_min: SPLIT_MIN,
            helper: None,
            helping: false,
            splits: 0,
            diagnostics: Vec::new(),
            annotation_diagnostics: Vec::new(),
        }
    }

    /// Let pass 1 score the halves of a long message on two threads (the same
    /// results); `split_min`: from how many bytes ([`SPLIT_MIN`]; tests go lower).
    pub fn set_threads(&mut self, on: bool, split_min: usize) {
        self.threads = on;
        self.split_min = split_min.max(2);
    }

    pub fn has_schema(&self) -> bool {
        self.schema.is_some()
    }

    /// The schema, for a reader of [`FieldEvent::schema_at`] on another thread.
    pub fn shared_schema(&self) -> Option<Arc<Schema>> {
        self.schema.clone()
    }

    /// The type URLs pass 1 met (in Anys: a message of exactly a field 1 holding a
    /// type URL and a field 2), by number.
    pub fn type_urls(&self) -> &[Box<[u8]>] {
        &self.url_texts
    }

    /// After pass 1: the schema extended with the types Anys hold (`schema`, whose
    /// first types are those it had, in the same order), and per type URL of
    /// [`Engine::type_urls`] the index of the type it names (None: not in the schema).
    /// Pass 2 then reads the value of an Any of a known type URL as that type.
    pub fn set_any_types(&mut self, schema: Schema, url_types: Vec<Option<usize>>) {
        if self.schema.is_some() {
            self.schema = Some(Arc::new(schema));
            self.url_types = url_types;
        }
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
        // Below a type URL the schema says nothing: its hints stop at the Any.
        let message_type = if number >= URL_KEYS {
            None
        } else {
            self.nodes
                .get(parent as usize)
                .and_then(|p| p.message_type)
                .and_then(|t| self.schema.as_ref()?.field(t, number))
                .and_then(|f| f.child)
        };
        let node = self.nodes.len() as u32;
        self.nodes.push(Node { message_type, key: (parent, number), ..Node::default() });
        self.index.insert((parent, number), node);
        node
    }

    /// The path of the fields inside field 2 of an Any whose type URL is `url`.
    fn url_child(&mut self, node: u32, url: u32) -> u32 {
        self.child(node, URL_KEYS + url)
    }

    /// The number of the type URL of the two fields `url` (field 1) and `payload`
    /// (field 2), when they are an Any's: both LEN, field 1 a type URL.
    fn any_of(&mut self, buf: &[u8], url: &Raw, payload: &Raw) -> Option<u32> {
        if url.number != 1 || url.wire != LEN || payload.number != 2 || payload.wire != LEN {
            return None;
        }
        let text = buf.get(url.voff..url.vend)?;
        if !is_type_url(text) {
            return None;
        }
        Some(self.url_number(text))
    }

    /// The number of a type URL, numbered in the order first seen.
    fn url_number(&mut self, text: &[u8]) -> u32 {
        if let Some(&number) = self.urls.get(text) {
            return number;
        }
        let number = u32::try_from(self.urls.len()).unwrap_or(MAX_URLS).min(MAX_URLS);
        if number < MAX_URLS {
            self.urls.insert(text.into(), number);
            self.url_texts.push(text.into());
        }
        number
    }

    /// The type URL of a message payload or group body (`tolerant`) that is exactly
    /// an Any's two fields.
    fn any_type_url(&mut self, buf: &[u8], start: usize, end: usize, tolerant: bool) -> Option<u32> {
        // Field 1's tag, LEN, is 0x0a (an overlong encoding of it starts above 0x7f):
        // most levels are told at their first byte.
        if !matches!(buf.get(start), Some(&byte) if byte == 0x0A || byte >= 0x80) {
            return None;
        }
        let mut fields = Fields::new(start, end, tolerant);
        let mut open = std::mem::take(&mut self.open);
        let first = fields.next(buf, &mut open).filter(|raw| {
            raw.number == 1 && raw.wire == LEN && is_type_url(buf.get(raw.voff..raw.vend).unwrap_or(&[]))
        });
        let second = first.and_then(|_| fields.next(buf, &mut open));
        let only_two = second.is_some() && fields.next(buf, &mut open).is_none();
        self.open = open;
        match (first, second) {
            (Some(url), Some(payload)) if only_two => self.any_of(buf, &url, &payload),
            _ => None,
        }
    }

    /// The type URL of a message whose fields are `fields`, when they are an Any's.
    fn any_in(&mut self, buf: &[u8], fields: &[Raw]) -> Option<u32> {
        match fields {
            [url, payload] => self.any_of(buf, url, payload),
            _ => None,
        }
    }

    /// The type URL of the level `start..` whose last field is `payload`, a field 2,
    /// when the level is an Any's two fields (its first field a type URL ending where
    /// `payload` starts).
    fn any_ending(&mut self, buf: &[u8], start: usize, payload: Raw) -> Option<u32> {
        let mut open = std::mem::take(&mut self.open);
        let first = scan::read_field(buf, start, payload.offset, &mut open).ok();
        self.open = open;
        match first {
            Some(url) if url.end == payload.offset => self.any_of(buf, &url, &payload),
            _ => None,
        }
    }

    /// The type URL of a region that is exactly an Any's two fields.
    fn region_any_url(&mut self, buf: &[u8], start: usize, end: usize) -> Option<u32> {
        let mut open = std::mem::take(&mut self.open);
        let first = scan::read_field(buf, start, end, &mut open).ok().filter(|raw| raw.wire == LEN);
        let second = first.and_then(|raw| scan::read_field(buf, raw.end, end, &mut open).ok());
        self.open = open;
        match (first, second) {
            (Some(url), Some(payload)) if payload.end == end => self.any_of(buf, &url, &payload),
            _ => None,
        }
    }

    // -- pass 1 -------------------------------------------------------------------

    /// Pass 1 over the next region, `buf[start..end]`: its fault (the walk stops
    /// there), with the fault's diagnostics added to `diagnostics`.
    pub fn gather(&mut self, buf: &[u8], start: usize, end: usize) -> Option<Fault> {
        let end = end.min(buf.len());
        let mut notes = Notes::default();
        let any = if start < end { self.region_any_url(buf, start, end) } else { None };
        self.region_any.push(any);
        if any.is_some() {
            // A whole message that is an Any: its two fields in one level, so that the
            // fields inside field 2 are keyed by the type URL.
            self.score(buf, Source::Range(Fields::new(start, end, false)), ROOT, 1, any, Some(&mut notes), None, false);
            self.notes.push(notes);
            return None;
        }
        let found = if self.threads && end.saturating_sub(start) >= self.split_min {
            std::thread::scope(|scope| match self.top_split(buf, start, end) {
                Some(cut) => {
                    let helper = self.spawn_helper(scope, buf, Half::Top(cut, end));
                    let found = self.gather_fields(buf, start, cut, &mut notes, Some(scope));
                    self.join_helper(helper, ROOT, None, Some(&mut notes));
                    found
                }
                None => self.gather_fields(buf, start, end, &mut notes, Some(scope)),
            })
        } else {
            self.gather_fields(buf, start, end, &mut notes, None)
        };
        // The helper's tables go: pass 2 does not need them, and pass 2's own second
        // thread should not find them still held.
        self.helper = None;
        self.notes.push(notes);
        found
    }

    /// Pass 1 over the top-level fields of `buf[start..end]`, one at a time.
    fn gather_fields<'scope, 'env: 'scope>(
        &mut self,
        buf: &'env [u8],
        start: usize,
        end: usize,
        notes: &mut Notes,
        scope: Option<&'scope Scope<'scope, 'env>>,
    ) -> Option<Fault> {
        let mut pos = start;
        while pos < end {
            match scan::read_field(buf, pos, end, &mut self.open) {
                Ok(raw) => {
                    self.score(buf, Source::One(Some(raw)), ROOT, 1, None, Some(notes), scope, false);
                    pos = raw.end;
                }
                Err(fault) => {
                    let open = std::mem::take(&mut self.open);
                    if let Some(outermost) = open.first() {
                        let closed = outermost.closed_at(fault.resume);
                        self.score(buf, Source::One(Some(closed)), ROOT, 1, None, Some(notes), scope, false);
                    }
                    self.report_fault(&fault, &open, end);
                    self.open = open;
                    return Some(fault);
                }
            }
        }
        None
    }

    /// Where to cut the top-level fields of a long region in two halves for two
    /// threads: the field boundary nearest the middle, when each half holds a quarter
    /// at least and the region reads to its end without a fault (a fault's reports
    /// are the plain loop's).
    fn top_split(&self, buf: &[u8], start: usize, end: usize) -> Option<usize> {
        let middle = start + (end - start) / 2;
        let mut open = Vec::new();
        let mut pos = start;
        let mut cut = None;
        while pos < end {
            if pos > start && cut.is_none_or(|c: usize| pos.abs_diff(middle) < c.abs_diff(middle)) {
                cut = Some(pos);
            }
            pos = scan::read_field(buf, pos, end, &mut open).ok()?.end;
        }
        cut.filter(|&cut| balanced(start, cut, end))
    }

    /// Start a helper engine on a second thread scoring `half`.
    fn spawn_helper<'scope, 'env>(
        &mut self,
        scope: &'scope Scope<'scope, 'env>,
        buf: &'env [u8],
        half: Half,
    ) -> HelperRun<'scope> {
        let max_depth = self.max_depth;
        let mut helper = self.helper.take().unwrap_or_else(|| Box::new(Engine::new(max_depth, None)));
        self.helping = true;
        self.splits += 1;
        scope.spawn(move || {
            let part = helper.score_half(buf, half);
            (helper, part)
        })
    }

    /// Wait for the helper and add what it scored to `owner` (the payload whose
    /// fields it scored, if any), to the paths below `path`, and to `notes`. A panic
    /// of the helper (a bug) is resumed here.
    fn join_helper(
        &mut self,
        handle: HelperRun<'_>,
        path: u32,
        owner: Option<&mut Pending>,
        notes: Option<&mut Notes>,
    ) {
        let (helper, part) = match handle.join() {
            Ok(done) => done,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        self.helper = Some(helper);
        self.helping = false;
        if let Some(owner) = owner {
            owner.children.merge(part.children);
            owner.reach = owner.reach.max(part.reach);
        }
        // Its type URLs and paths in the order it met them, after this engine's: the
        // numbers one thread would have given them.
        let urls: Vec<u32> = part.urls.iter().map(|text| self.url_number(text)).collect();
        let mut paths = Vec::with_capacity(part.nodes.len());
        paths.push(path);
        for node in part.nodes.iter().skip(1) {
            let (parent, number) = node.key;
            let number = match number.checked_sub(URL_KEYS) {
                Some(url) => URL_KEYS + urls.get(url as usize).copied().unwrap_or(MAX_URLS),
                None => number,
            };
            let parent = paths.get(parent as usize).copied().unwrap_or(path);
            let global = self.child(parent, number);
            paths.push(global);
            if let Some(target) = self.nodes.get_mut(global as usize) {
                target.tally.merge(&node.tally);
            }
        }
        if let Some(notes) = notes {
            notes.append(part.notes);
        }
    }

    /// The helper's side: score `half` with paths of its own (its root standing for
    /// the level's path).
    fn score_half(&mut self, buf: &[u8], half: Half) -> Part {
        self.nodes.clear();
        self.nodes.push(Node::default());
        self.index.clear();
        self.recent.fill((0, 0, 0));
        self.urls.clear();
        let mut notes = Notes::default();
        let (children, reach) = match half {
            Half::Top(start, end) => {
                self.gather_fields(buf, start, end, &mut notes, None);
                (Sum::default(), -1)
            }
            Half::Fields(fields, depth) => {
                let (_, children, reach) =
                    self.score(buf, Source::List(fields, 0), ROOT, depth, None, Some(&mut notes), None, true);
                (children, reach)
            }
        };
        Part {
            children,
            reach,
            nodes: std::mem::take(&mut self.nodes),
            urls: std::mem::take(&mut self.url_texts),
            notes,
        }
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

    /// Score every LEN payload of the fields of `source` and below (every payload that
    /// could be a message is explored down to `max_depth`), finishing each one when
    /// the level of its fields is done: children before their parent, in wire order.
    /// With `notes` (pass 1), each finished payload is added to its path's tally and
    /// noted for pass 2; without (scoring a payload again for pass 2), nothing is
    /// tallied and no path is made. Returns the profile of the last payload finished
    /// at the top level; with `outside`, the fields of `source` are those of a payload
    /// scored elsewhere (a helper's half): the sum of their best scores and the
    /// deepest level they needed are returned for it too.
    ///
    /// With a `scope` (pass 1 of a long region, on a machine with two cores), a long
    /// message's fields may be cut in two: the second half goes to a helper engine on
    /// another thread, joined when this thread has scored the first.
    #[allow(clippy::too_many_arguments)]
    fn score<'scope, 'env: 'scope>(
        &mut self,
        buf: &'env [u8],
        source: Source,
        path: u32,
        depth: u32,
        any: Option<u32>,
        mut notes: Option<&mut Notes>,
        scope: Option<&'scope Scope<'scope, 'env>>,
        outside: bool,
    ) -> (Option<Profile>, Sum, i64) {
        let tally = notes.is_some();
        let max_depth = self.max_depth;
        let mut levels = std::mem::take(&mut self.levels);
        let mut pending = std::mem::take(&mut self.pending);
        levels.clear();
        pending.clear();
        let owner = if outside {
            pending.push(Pending {
                node: NO_PATH,
                voff: 0,
                vend: 0,
                depth,
                found: Candidates { scores: [0.0; rules::READINGS], present: 0 },
                children: Sum::default(),
                reach: -1,
                done: true,
                best: 0.0,
                profile: Profile::unpack(0),
                parent: None,
                note: NO_NOTE,
            });
            Some(0)
        } else {
            None
        };
        levels.push(Level { source, path, depth, owner, any, group: false });
        let mut top = None;
        let mut outer = (Sum::default(), -1);
        // The level whose second half a helper is scoring: (its index, the helper).
        let mut split: Option<(usize, HelperRun<'scope>)> = None;
        while let Some(level) = levels.last_mut() {
            let mut open = std::mem::take(&mut self.open);
            let next = level.source.next(buf, &mut open);
            self.open = open;
            let Some(raw) = next else {
                if let Some(done) = levels.pop() {
                    if let Source::List(mut fields, _) = done.source {
                        fields.clear();
                        self.lists.push(fields);
                    }
                    if split.as_ref().is_some_and(|(at, _)| *at == levels.len()) {
                        if let Some((_, helper)) = split.take() {
                            let owner = done.owner.and_then(|o| pending.get_mut(o));
                            self.join_helper(helper, done.path, owner, notes.as_deref_mut());
                        }
                    }
                    if done.owner.is_some() && !done.group {
                        if let Some(node) = pending.pop() {
                            if outside && levels.is_empty() {
                                outer = (node.children, node.reach);
                            } else {
                                top = self.finish(buf, node, &mut pending, notes.as_deref_mut()).or(top);
                            }
                        }
                    }
                }
                continue;
            };
            let (path, depth, owner, any) = (level.path, level.depth, level.owner, level.any);
            if raw.wire == LEN {
                let node = if tally { self.child(path, raw.number) } else { NO_PATH };
                let payload = buf.get(raw.voff..raw.vend).unwrap_or(&[]);
                let known = max_depth.checked_sub(depth).and_then(|levels| self.memo.get(payload, levels));
                let (scored, children) = match known {
                    Some(known) => (
                        Pending {
                            node,
                            voff: raw.voff,
                            vend: raw.vend,
                            depth,
                            found: known.found,
                            children: Sum::default(),
                            reach: i64::from(depth) + i64::from(known.reach),
                            done: true,
                            best: known.best,
                            profile: known.profile,
                            parent: owner,
                            note: NO_NOTE,
                        },
                        known.found.has(MESSAGE) && !payload.is_empty(),
                    ),
                    None => {
                        let (found, children) = rules::readings(buf, raw.voff, raw.vend, &mut self.scratch);
                        (
                            Pending {
                                node,
                                voff: raw.voff,
                                vend: raw.vend,
                                depth,
                                found,
                                children: Sum::default(),
                                reach: if children { i64::from(depth) + 1 } else { -1 },
                                done: false,
                                best: 0.0,
                                profile: Profile::unpack(0),
                                parent: owner,
                                note: NO_NOTE,
                            },
                            children,
                        )
                    }
                };
                let mut scored = scored;
                if let Some(notes) = notes.as_deref_mut() {
                    // A note for every payload whose score needs the levels below it
                    // (scoring it again means reading them again), and for every long
                    // one; short leaves are found again in the memo, or scored again.
                    if (children || payload.len() > rules::MEMO_LENGTH) && raw.voff < NOTE_MAX_OFFSET {
                        scored.note = notes.len();
                        notes.push((raw.voff as u64) << NOTE_SHIFT);
                    }
                }
                if children && depth < max_depth {
                    // The fields its message reading parsed, unless it came from the memo.
                    let mut source = if scored.done {
                        Source::Range(Fields::new(raw.voff, raw.vend, false))
                    } else {
                        let empty = self.lists.pop().unwrap_or_default();
                        Source::List(self.scratch.take_fields(empty), 0)
                    };
                    let (below, inner) = if tally {
                        let below = match any {
                            Some(url) if raw.number == 2 => self.url_child(node, url),
                            _ => node,
                        };
                        let inner = match &source {
                            Source::List(fields, _) => self.any_in(buf, fields),
                            _ => self.any_type_url(buf, raw.voff, raw.vend, false),
                        };
                        (below, inner)
                    } else {
                        (NO_PATH, None)
                    };
                    if let (Some(scope), Source::List(fields, _), None, true) = (scope, &mut source, inner, tally) {
                        if split.is_none() && !self.helping {
                            if let Some(at) = split_point(fields, raw.voff, raw.vend, self.split_min) {
                                let second = fields.split_off(at);
                                let helper = self.spawn_helper(scope, buf, Half::Fields(second, depth + 1));
                                split = Some((levels.len(), helper));
                            }
                        }
                    }
                    pending.push(scored);
                    levels.push(Level {
                        source,
                        path: below,
                        depth: depth + 1,
                        owner: Some(pending.len() - 1),
                        any: inner,
                        group: false,
                    });
                } else {
                    top = self.finish(buf, scored, &mut pending, notes.as_deref_mut()).or(top);
                }
            } else if raw.wire == SGROUP {
                // A group's fields belong to the message it is in: their scores are that
                // message's children, and its score needs the group's level.
                if let Some(owner) = owner.and_then(|o| pending.get_mut(o)) {
                    owner.reach = owner.reach.max(i64::from(depth) + 1);
                }
                if depth < max_depth {
                    let (below, inner) = if tally {
                        (self.child(path, raw.number), self.any_type_url(buf, raw.voff, raw.vend, true))
                    } else {
                        (NO_PATH, None)
                    };
                    levels.push(Level {
                        source: Source::Range(Fields::new(raw.voff, raw.vend, true)),
                        path: below,
                        depth: depth + 1,
                        owner,
                        any: inner,
                        group: true,
                    });
                }
            }
        }
        self.levels = levels;
        self.pending = pending;
        (top, outer.0, outer.1)
    }

    /// Finish a payload whose children are all finished: its final readings (unless
    /// they came from the memo), its tally and note, its best score added to its
    /// parent. Returns its profile when it has no parent.
    fn finish(
        &mut self,
        buf: &[u8],
        mut scored: Pending,
        pending: &mut [Pending],
        notes: Option<&mut Notes>,
    ) -> Option<Profile> {
        let payload = buf.get(scored.voff..scored.vend).unwrap_or(&[]);
        if !scored.done {
            let (profile, best) = rules::finish(&mut scored.found, scored.children.value(), payload);
            scored.profile = profile;
            scored.best = best;
            if scored.reach <= i64::from(self.max_depth) {
                let reach = if scored.reach < 0 { 0 } else { scored.reach - i64::from(scored.depth) };
                let reach = u32::try_from(reach).unwrap_or(u32::MAX);
                self.memo.put(payload, Known { found: scored.found, best, profile, reach });
            }
        }
        if let Some(notes) = notes {
            if let Some(node) = self.nodes.get_mut(scored.node as usize) {
                node.tally.add(&scored.found, scored.best);
            }
            if let Some(note) = notes.get_mut(scored.note) {
                *note |= u64::from(scored.profile.pack());
            }
        }
        match scored.parent.and_then(|p| pending.get_mut(p)) {
            Some(parent) => {
                parent.children.add(scored.best);
                parent.reach = parent.reach.max(scored.reach);
                None
            }
            None => Some(scored.profile),
        }
    }

    /// The profile of the LEN payload `raw` at `depth`, scored again with its subtree
    /// (pass 2, for a payload pass 1 left no note of and the memo does not hold).
    fn rescore(&mut self, buf: &[u8], raw: Raw, depth: u32) -> Profile {
        let (mut found, children) = rules::readings(buf, raw.voff, raw.vend, &mut self.scratch);
        if children && depth < self.max_depth {
            return self.score(buf, Source::One(Some(raw)), NO_PATH, depth, None, None, None, false).0.unwrap_or(Profile {
                best: BYTES as u8,
                acceptable: 1 << BYTES,
                present: 1 << BYTES,
                ranking: 0,
            });
        }
        // No level below it to read: its readings are final at once (as `finish`).
        let payload = buf.get(raw.voff..raw.vend).unwrap_or(&[]);
        let (profile, best) = rules::finish(&mut found, 0.0, payload);
        if !children {
            self.memo.put(payload, Known { found, best, profile, reach: 0 });
        }
        profile
    }

    // -- pass 2 -------------------------------------------------------------------

    /// The reading a field path decided (from its tally, once).
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

    /// The profile pass 1 noted for the payload at `voff` (None: not noted).
    fn noted(&self, region: usize, voff: usize, cursor: &mut usize) -> Option<Profile> {
        let notes = self.notes.get(region)?;
        let voff = voff as u64;
        let mut at = *cursor;
        let offset = |at: usize| notes.get(at).map(|note| note >> NOTE_SHIFT);
        // Pass 2 meets payloads in offset order: the next note is this payload's, or a
        // later one's (this one has none), or one of payloads pass 2 passed over (of
        // messages shown as something else): then it is searched for.
        match offset(at) {
            Some(found) if found < voff => {
                let key = voff << NOTE_SHIFT;
                at = notes.first_from(at, key);
                if offset(at) != Some(voff) {
                    *cursor = at;
                    return None;
                }
            }
            Some(found) if found == voff => {}
            _ => return None,
        }
        *cursor = at + 1;
        let note = notes.get(at)?;
        Some(Profile::unpack((note & NOTE_MASK) as u32))
    }

    /// The profile of the LEN payload `raw` at `depth`: noted by pass 1, remembered, or
    /// scored again.
    fn profile_of(&mut self, region: usize, buf: &[u8], raw: Raw, depth: u32, note: &mut usize) -> Profile {
        let payload = buf.get(raw.voff..raw.vend).unwrap_or(&[]);
        let mut found = self.noted(region, raw.voff, note);
        if found.is_none() && payload.len() <= rules::MEMO_LENGTH {
            found = self
                .max_depth
                .checked_sub(depth)
                .and_then(|levels| self.memo.get(payload, levels))
                .map(|k| k.profile);
        }
        match found {
            Some(profile) => profile,
            None => self.rescore(buf, raw, depth),
        }
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
        let root = Level2 {
            node: ROOT,
            depth: 1,
            any: AnyOf::Known(self.region_any.get(region).copied().flatten()),
            message_type: if self.has_schema() { Some(0) } else { None },
            annotate: if annotate && self.has_schema() { Some(0) } else { None },
        };
        let mut stack: Vec<Frame> = Vec::new();
        self.emit(region, buf, top, root, &mut cursor.note, &mut stack, visitor)?;
        while let Some(frame) = stack.last_mut() {
            let level = frame.level;
            let mut open = std::mem::take(&mut self.open);
            let next = frame.fields.next(buf, &mut open);
            self.open = open;
            match next {
                Some(raw) => self.emit(region, buf, raw, level, &mut cursor.note, &mut stack, visitor)?,
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
        level: Level2,
        note: &mut usize,
        stack: &mut Vec<Frame>,
        visitor: &mut V,
    ) -> Result<(), V::Error> {
        let payload = buf.get(raw.voff..raw.vend).unwrap_or(&[]);
        let depth = level.depth;
        let mut reading = BYTES;
        let mut alternatives = [Kind::Bytes; 4];
        let mut alternative_count = 0;
        let mut expanded = true;
        let node = match raw.wire {
            LEN | SGROUP => self.child(level.node, raw.number),
            _ => self.scalar_path(level.node, raw.number),
        };
        // Field 2 of an Any (a level of exactly a type URL and field 2): its type URL.
        let url = match level.any {
            _ if raw.wire != LEN || raw.number != 2 => None,
            AnyOf::Known(url) => url,
            AnyOf::Range { start, end } if raw.end == end => self.any_ending(buf, start, raw),
            AnyOf::Range { .. } => None,
        };
        let schema_field = level.message_type.and_then(|t| self.schema.as_ref()?.field(t, raw.number));
        let mut child_type = schema_field.and_then(|f| f.child);
        let mut forced = schema_field.and_then(|f| f.len_reading);
        // The value of a google.protobuf.Any whose type URL names a type of the schema
        // is read as that type; else it keeps its reading, and a warning says why.
        let in_any =
            level.message_type.is_some() && level.message_type == self.schema.as_ref().and_then(|s| s.any);
        let mut unpacked = None;
        let mut any_problem = None;
        let kind = match raw.wire {
            LEN => {
                let profile = self.profile_of(region, buf, raw, depth, note);
                // The path's reading, unless this occurrence is an odd one.
                reading = profile.shown(self.decided(node));
                if let (true, Some(url)) = (in_any, url) {
                    match self.url_types.get(url as usize).copied().flatten() {
                        Some(held) if profile.fits(MESSAGE) => {
                            forced = Some(MESSAGE);
                            unpacked = Some(held);
                            child_type = Some(held);
                        }
                        Some(_) => any_problem = Some((url, true)),
                        None => any_problem = Some((url, false)),
                    }
                }
                if let Some(forced) = forced {
                    let payload = buf.get(raw.voff..raw.vend).unwrap_or(&[]);
                    if profile.fits(forced) || rules::packed_parses(payload, forced) {
                        reading = forced;
                    } else {
                        self.diagnostics.push(contradiction(&raw, forced, reading));
                    }
                }
                if let Some((url, parsed)) = any_problem {
                    let text = self.url_texts.get(url as usize).map_or(&[][..], |t| &t[..]);
                    self.diagnostics.push(any_not_read(&raw, text, parsed, reading));
                }
                let (kinds, count) = rules::alternatives(profile.ranking, reading);
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
        // A field the schema knows gets its information when the wire fits it
        // (`annotate`'s rules); its children are read as its message type.
        let mut info: Option<&FieldInfo> = None;
        let mut info_at = None;
        let mut annotate_type = None;
        if let Some(message_type) = level.annotate {
            let at = match unpacked {
                Some(held) => FieldAt::AnyValue(held),
                None => FieldAt::Field { message_type, number: raw.number },
            };
            let field = self.schema.as_ref().and_then(|s| s.at(at));
            if let Some(field) = field {
                match field.expected.get(usize::from(raw.wire)).copied().flatten() {
                    None => self.annotation_diagnostics.push(wire_contradiction(&raw, field)),
                    // A packed field read as other elements than its type's (the decoder
                    // said why) keeps its reading, unannotated: the schema never wins
                    // over the bytes. So does a payload of another kind.
                    Some(expected)
                        if expected == kind
                            && (kind != Kind::Packed || field.len_reading == Some(reading)) =>
                    {
                        if has_range(field) {
                            if let Some(warning) = range_warning(&raw, field, kind, payload) {
                                self.annotation_diagnostics.push(warning);
                            }
                        }
                        info = Some(field);
                        info_at = Some(at);
                        annotate_type = field.child;
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
            schema_at: info_at,
            any_value: url.is_some(),
        })?;
        if container && expanded {
            let group = kind == Kind::Group;
            // Field 2 of an Any: its fields' paths are keyed by the type URL.
            let below = match url {
                Some(url) if !group => self.url_child(node, url),
                _ => node,
            };
            stack.push(Frame {
                fields: Fields::new(raw.voff, raw.vend, group),
                level: Level2 {
                    node: below,
                    depth: depth + 1,
                    any: AnyOf::Range { start: raw.voff, end: raw.vend },
                    message_type: child_type,
                    annotate: annotate_type,
                },
            });
        }
        Ok(())
    }
}

/// The level a field of pass 2 is in.
#[derive(Clone, Copy)]
struct Level2 {
    node: u32,
    depth: u32,
    any: AnyOf,
    /// The schema's type of the level (its hints: forced readings), if any.
    message_type: Option<usize>,
    /// The type the level's fields are annotated with (annotating, where the wire fits).
    annotate: Option<usize>,
}

/// Whether a level of pass 2 is an Any's two fields: known (a whole region), or to be
/// found from its bytes when its field 2 needs it.
#[derive(Clone, Copy)]
enum AnyOf {
    Known(Option<u32>),
    Range { start: usize, end: usize },
}

/// A type URL as `google.protobuf.Any` holds one: printable ASCII without spaces,
/// ending in `/` and a dotted type name (`[!-~]*/[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_]
/// [A-Za-z0-9_]*)+`), at most [`TYPE_URL_MAX`] bytes.
pub fn is_type_url(text: &[u8]) -> bool {
    if text.len() > TYPE_URL_MAX {
        return false;
    }
    let Some(slash) = text.iter().rposition(|&b| b == b'/') else {
        return false;
    };
    if !text.iter().all(|&b| (0x21..=0x7E).contains(&b)) {
        return false;
    }
    let name = text.get(slash + 1..).unwrap_or(&[]);
    let mut parts = 0;
    for part in name.split(|&b| b == b'.') {
        match part.split_first() {
            Some((first, rest))
                if (first.is_ascii_alphabetic() || *first == b'_')
                    && rest.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_') => {}
            _ => return false,
        }
        parts += 1;
    }
    parts >= 2
}

fn contradiction(raw: &Raw, forced: usize, used: usize) -> Diag {
    let name = |reading: usize| READING_NAMES.get(reading).copied().unwrap_or("bytes");
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

/// The warning for the value of a google.protobuf.Any that is not read as the type its
/// URL names: the schema has no such type (`parsed` false), or the value does not
/// parse as a message.
fn any_not_read(raw: &Raw, url: &[u8], parsed: bool, used: usize) -> Diag {
    let url = String::from_utf8_lossy(url);
    let name = url.rsplit('/').next().unwrap_or("");
    let shown = READING_NAMES.get(used).copied().unwrap_or("bytes");
    let why = if parsed {
        format!("the {}-byte value is not a {name} message", raw.vend - raw.voff)
    } else {
        format!("the schema has no message type {name}")
    };
    Diag {
        offset: raw.offset,
        severity: Severity::Warning,
        message: format!(
            "google.protobuf.Any value at offset {} (type URL {url}): {why}; shown as {shown}",
            raw.offset
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

/// A field whose wire type is not its declared type's (`annotate._misfit`).
fn wire_contradiction(raw: &Raw, field: &FieldInfo) -> Diag {
    let wire_name = WIRE_NAMES.get(usize::from(raw.wire)).copied().unwrap_or("?");
    Diag {
        offset: raw.offset,
        severity: Severity::Error,
        message: format!(
            "field {} ({}): declared {} but wire type {} at offset {}; shown as read, without schema",
            raw.number, field.name, field.type_name, wire_name, raw.offset
        ),
        length: raw.end - raw.offset,
    }
}

/// The warning for values of the right wire type outside the declared type's range
/// (`annotate._out_of_range`): a scalar's, or the first of a packed field's elements
/// with how many are.
fn range_warning(raw: &Raw, field: &FieldInfo, kind: Kind, payload: &[u8]) -> Option<Diag> {
    let head = format!(
        "field {} ({}) at offset {}: declared {}, but",
        raw.number, field.name, raw.offset, field.type_name
    );
    let message = match kind {
        Kind::Varint => format!("{head} {}", out_of_range(field, raw.value)?.text()),
        Kind::Packed => {
            // Packed elements of a type with a range are varints (the reading was
            // checked to be the declared one).
            let mut first = None;
            let (mut count, mut outside) = (0usize, 0usize);
            for_each_varint(payload, |value| {
                count += 1;
                if let Some(problem) = out_of_range(field, value) {
                    outside += 1;
                    first.get_or_insert(problem);
                }
            });
            let first = first?.text();
            if outside == 1 {
                format!("{head} an element of the packed field is out of range: {first}")
            } else {
                format!(
                    "{head} {outside} of its {count} packed elements are out of range; the first: {first}"
                )
            }
        }
        _ => return None,
    };
    Some(Diag { offset: raw.offset, severity: Severity::Warning, message, length: raw.end - raw.offset })
}

/// Each varint of a packed payload, as [`unpack`] reads them (wider than 64 bits:
/// truncated; a truncated last one: dropped).
fn for_each_varint(payload: &[u8], mut each: impl FnMut(u64)) {
    let mut value = 0u64;
    let mut shift = 0u32;
    for &byte in payload {
        if shift < 64 {
            value |= u64::from(byte & 0x7F) << shift;
        }
        if byte < 0x80 {
            each(value);
            value = 0;
            shift = 0;
        } else {
            shift = shift.saturating_add(7);
        }
    }
}

/// The elements of a packed payload as unsigned integers (of 64, 32 or 64 bits).
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
        _ => for_each_varint(payload, |value| out.push(value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{len, Text};

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

    /// The JSON text of every field (readings and alternatives: all pass 2 decides).
    fn json_with(mut engine: Engine, data: &[u8]) -> String {
        let fault = engine.gather(data, 0, data.len());
        let stop = fault.map_or(data.len(), |f| f.resume);
        let mut text = Text(Vec::new());
        let mut writer = crate::json::JsonWriter::new(&mut text);
        let mut cursor = Cursor::default();
        while engine.walk_field(0, data, data.len(), stop, false, &mut cursor, &mut writer).unwrap() {}
        writer.finish().unwrap();
        String::from_utf8(text.0).unwrap()
    }

    fn trace(data: &[u8], max_depth: u32) -> (String, Vec<Diag>) {
        trace_with(Engine::new(max_depth, None), data)
    }

    fn trace_with(mut engine: Engine, data: &[u8]) -> (String, Vec<Diag>) {
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

    fn any(type_url: &[u8], value: &[u8]) -> Vec<u8> {
        let mut body = len(1, type_url);
        body.extend(len(2, value));
        len(3, &body)
    }

    const SERVICE: &[u8] = b"grpc.reflection.v1alpha.ServerReflection";

    /// Everything pass 1 and 2 decide and number: the JSON text, the diagnostics, the
    /// type URLs in order, and every path's key in order.
    type Outcome = (String, Vec<Diag>, Vec<Box<[u8]>>, Vec<(u32, u32)>);

    fn outcome(mut engine: Engine, data: &[u8]) -> Outcome {
        let mut probe = Engine::new(engine.max_depth, None);
        probe.set_threads(engine.threads, engine.split_min);
        let text = json_with(probe, data);
        let fault = engine.gather(data, 0, data.len());
        let stop = fault.map_or(data.len(), |f| f.resume);
        let mut cursor = Cursor::default();
        let mut trace = Trace(String::new());
        while engine.walk_field(0, data, data.len(), stop, false, &mut cursor, &mut trace).unwrap() {}
        let keys = engine.nodes.iter().map(|node| node.key).collect();
        SPLITS.with(|splits| splits.set(splits.get() + engine.splits));
        (text + &trace.0, engine.diagnostics.clone(), engine.type_urls().to_vec(), keys)
    }

    thread_local! {
        static SPLITS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    fn threaded(max_depth: u32, split_min: usize) -> Engine {
        let mut engine = Engine::new(max_depth, None);
        engine.set_threads(true, split_min);
        engine
    }

    /// Anys of three type URLs, groups, packed numbers, strings, nested messages,
    /// repeated at the top and inside, the last field cut short.
    fn mixed(items: usize) -> Vec<u8> {
        let urls: [&[u8]; 3] = [b"type.googleapis.com/a.B", b"type.googleapis.com/c.D", b"x.io/e.F"];
        let mut inner = Vec::new();
        for index in 0..items {
            let mut item = len(1, format!("item {index}").as_bytes());
            item.extend(any(urls[index % 3], &len(1, format!("v{}", index % 7).as_bytes())));
            item.extend([0x2B, 0x08, (index % 100) as u8, 0x2C]); // group 5
            item.extend(len(6, &[1, 2, 3, (index % 120) as u8, 0x96, 0x01]));
            item.extend(len(7, &len(1, &len(2, b"deep"))));
            inner.extend(len(2, &item));
        }
        let mut data = Vec::new();
        for _ in 0..3 {
            data.extend(len(1, &len(2, &inner)));
            data.extend(len(3, b"between"));
        }
        data.extend([0x0A, 0x30, 0x01]);
        data
    }

    #[test]
    fn two_threads_decide_and_number_as_one() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut random = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut inputs: Vec<Vec<u8>> = [0, 1, 5, 40, 300].iter().map(|&n| mixed(n)).collect();
        for _ in 0..150 {
            let size = (random() % 2000) as usize;
            inputs.push((0..size).map(|_| (random() >> 24) as u8).collect());
        }
        // Random fields inside well-formed messages: deep levels with odd contents.
        for _ in 0..50 {
            let mut body = Vec::new();
            for _ in 0..(random() % 40) {
                let size = (random() % 60) as usize;
                let payload: Vec<u8> = (0..size).map(|_| (random() >> 24) as u8).collect();
                body.extend(len(1 + (random() % 3) as u8, &payload));
            }
            inputs.push(len(1, &len(1, &body)));
        }
        for (index, data) in inputs.iter().enumerate() {
            SPLITS.with(|splits| splits.set(0));
            for max_depth in [100, 3] {
                let plain = outcome(Engine::new(max_depth, None), data);
                for split_min in [2, 50, 700] {
                    assert_eq!(outcome(threaded(max_depth, split_min), data), plain, "{} bytes", data.len());
                }
            }
            if (1..5).contains(&index) {
                // The mixed inputs: cut at the top and inside (all three levels are
                // long enough at the lowest `split_min`).
                assert!(SPLITS.with(|splits| splits.get()) >= 2, "no split of input {index}");
            }
        }
    }

    #[test]
    fn notes_in_segments_read_as_one_sequence() {
        let mut notes = Notes::default();
        notes.push(10);
        notes.push(20);
        let mut helper = Notes::default();
        for note in [30, 40, 50] {
            helper.push(note);
        }
        notes.append(helper);
        notes.append(Notes::default());
        notes.push(60);
        let mut other = Notes::default();
        other.push(70);
        notes.append(other);
        assert_eq!(notes.len(), 7);
        let all: Vec<_> = (0..8).map(|i| notes.get(i)).collect();
        assert_eq!(all, [10, 20, 30, 40, 50, 60, 70].map(Some).into_iter().chain([None]).collect::<Vec<_>>());
        if let Some(note) = notes.get_mut(3) {
            *note |= 1;
        }
        assert_eq!(notes.get(3), Some(41));
        for (from, key, first) in [(0, 35, 3), (0, 5, 0), (1, 61, 6), (2, 100, 7), (5, 20, 5), (7, 1, 7)] {
            assert_eq!(notes.first_from(from, key), first, "from {from}, key {key}");
        }
    }

    #[test]
    fn long_messages_are_cut_near_the_middle_into_balanced_halves() {
        let field = |offset: usize, end: usize| Raw {
            number: 1,
            wire: LEN,
            tag_len: 1,
            overlong: false,
            offset,
            voff: offset + 2,
            vend: end,
            end,
            value: 0,
        };
        let fields: Vec<Raw> = (0..10).map(|i| field(i * 100, i * 100 + 100)).collect();
        assert_eq!(split_point(&fields, 0, 1000, 10), Some(5));
        assert_eq!(split_point(&fields, 0, 1000, 2000), None); // too short
        let lopsided = [field(0, 10), field(10, 1000)];
        assert_eq!(split_point(&lopsided, 0, 1000, 10), None);
        assert_eq!(split_point(&fields[..1], 0, 100, 10), None);
    }


    #[test]
    fn the_fields_inside_an_any_have_paths_of_their_own_per_type_url() {
        // Three Anys whose value's field 1 is text, one whose field 1 is a printable
        // message (the reflection service list): keyed by type URL, the two field-1
        // paths do not outvote each other.
        let text = b"the quota of the project has been exceeded";
        let strings = any(b"type.googleapis.com/acme.Reason", &len(1, text));
        let listing = any(b"type.googleapis.com/acme.Listing", &len(1, &len(1, SERVICE)));
        let data = [strings.clone(), strings.clone(), strings, listing].concat();
        let (text, _) = trace(&data, 100);
        let reason = "3:message(1:string 2:message(1:string ) ) ";
        let expected =
            format!("{reason}{reason}{reason}3:message(1:string 2:message(1:message(1:string ) ) ) ");
        assert_eq!(text, expected);
    }

    #[test]
    fn an_odd_occurrence_keeps_its_reading_and_its_siblings_theirs() {
        // Four HttpRule-like bindings (field 2: a message holding a path string) and one
        // field 2 that is text after binary bytes: bytes, and the others messages.
        let binding = len(2, &len(2, b"/v1/{name=projects/*}"));
        let odd = len(2, b"\x01\xff\x03 not a message");
        let data = [binding.clone(), binding.clone(), binding.clone(), binding, odd].concat();
        let (text, _) = trace(&data, 100);
        assert_eq!(text, format!("{}2:bytes ", "2:message(2:string ) ".repeat(4)));
    }

    #[test]
    fn a_remembered_score_serves_only_where_as_many_levels_are_explored() {
        // The same short payloads (a message holding a message holding text) at depths
        // 1 to 4: where max_depth cuts the subtree, the score lacks its children and
        // must not be the one remembered higher up. With the memo as without it.
        let inner = len(1, &len(1, b"hello world"));
        let data = [len(4, &inner), len(5, &len(6, &inner)), len(7, &len(8, &len(9, &inner)))].concat();
        for max_depth in [1, 2, 3, 4, 5, 100] {
            let mut plain = Engine::new(max_depth, None);
            plain.memo = Memo::off();
            assert_eq!(
                json_with(plain, &data),
                json_with(Engine::new(max_depth, None), &data),
                "{max_depth}"
            );
        }
    }

    #[test]
    fn type_urls_are_dotted_names_after_a_slash() {
        assert!(is_type_url(b"type.googleapis.com/google.rpc.ErrorInfo"));
        assert!(is_type_url(b"/a.b"));
        assert!(!is_type_url(b"type.googleapis.com/Status"));
        assert!(!is_type_url(b"type.googleapis.com/google.rpc.1x"));
        assert!(!is_type_url(b"type googleapis.com/a.b"));
        assert!(!is_type_url(b"a.b"));
        assert!(!is_type_url(&[b'a'; TYPE_URL_MAX + 1]));
    }

    /// A schema of one message type: field 1 `int32 a`, 2 `repeated float f`
    /// (packed), 3 `repeated bool b` (packed), 4 `double d`.
    fn schema() -> Schema {
        use crate::schema::{scalar, MessageType};
        let field = |name: &str, type_name: &str, scalar: u8, declared_wire: u8, packed: Option<usize>| {
            let mut expected = [None; 6];
            expected[usize::from(declared_wire)] = Some(match declared_wire {
                scan::I64 => Kind::Fixed64,
                scan::I32 => Kind::Fixed32,
                _ => Kind::Varint,
            });
            if packed.is_some() {
                expected[usize::from(LEN)] = Some(Kind::Packed);
            }
            FieldInfo {
                name: name.into(),
                type_name: type_name.into(),
                json_name: name.into(),
                expected,
                len_reading: packed,
                scalar,
                declared_wire,
                ..FieldInfo::default()
            }
            .prepare()
        };
        let mut root = MessageType::default();
        root.insert(1, field("a", "int32", scalar::INT32, scan::VARINT, None));
        root.insert(2, field("f", "float", scalar::FLOAT, scan::I32, Some(rules::PACKED_FIXED32)));
        root.insert(3, field("b", "bool", scalar::BOOL, scan::VARINT, Some(rules::PACKED_VARINT)));
        root.insert(4, field("d", "double", scalar::DOUBLE, scan::I64, None));
        Schema { types: vec![root], ..Schema::default() }
    }

    /// What pass 2 annotates (`number:name` or `number:-`), and every diagnostic.
    fn annotated(data: &[u8]) -> (Vec<String>, Vec<Diag>) {
        struct Names(Vec<String>);
        impl Visitor for Names {
            type Error = ();
            fn field(&mut self, event: &FieldEvent<'_>) -> Result<(), ()> {
                let name = event.schema.map_or("-", |f| f.name.as_str());
                self.0.push(format!("{}:{name}", event.raw.number));
                Ok(())
            }
            fn end_children(&mut self) -> Result<(), ()> {
                Ok(())
            }
        }
        let mut engine = Engine::new(100, Some(schema()));
        assert!(engine.gather(data, 0, data.len()).is_none());
        let mut cursor = Cursor::default();
        let mut names = Names(Vec::new());
        while engine.walk_field(0, data, data.len(), data.len(), true, &mut cursor, &mut names).unwrap() {}
        let mut found = std::mem::take(&mut engine.diagnostics);
        found.append(&mut engine.annotation_diagnostics);
        (names.0, found)
    }

    #[test]
    fn the_schema_never_wins_over_the_wire_type() {
        // 21 00 00 00 00 00 00 f0 3f: field 4 (double) as I64 1.0; 20 96 01: field 4 as
        // a varint; 0d 00 00 c0 7f: field 1 (int32) as I32.
        let data = [0x21, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 0x20, 0x96, 0x01, 0x0D, 0x00, 0x00, 0xC0, 0x7F];
        let (names, found) = annotated(&data);
        assert_eq!(names, ["4:d", "4:-", "1:-"]);
        let messages: Vec<_> = found.iter().map(|d| (d.offset, d.severity, d.message.as_str())).collect();
        assert_eq!(
            messages,
            [
                (
                    9,
                    Severity::Error,
                    "field 4 (d): declared double but wire type VARINT at offset 9; shown as read, without schema"
                ),
                (
                    12,
                    Severity::Error,
                    "field 1 (a): declared int32 but wire type I32 at offset 12; shown as read, without schema"
                ),
            ]
        );
    }

    #[test]
    fn packed_elements_of_another_width_are_not_read_as_the_declared_type() {
        // 12 03 01 02 03: field 2 (packed float) holding 3 bytes: read as packed varints,
        // the decoder says so, and the field stays unannotated.
        let (names, found) = annotated(&[0x12, 0x03, 0x01, 0x02, 0x03]);
        assert_eq!(names, ["2:-"]);
        assert_eq!(found.len(), 1);
        assert!(found[0].message.starts_with("field 2 at offset 0: the schema says packed fixed32"));
    }

    #[test]
    fn the_value_of_an_any_says_so() {
        // 1a 0b {0a 05 "/a.Bc" 12 02 {08 01}}: field 3 holds an Any (a type URL, then
        // field 2); the top level is a field 1 and a field 2 that are no Any.
        struct Marks(Vec<(u32, bool)>);
        impl Visitor for Marks {
            type Error = ();
            fn field(&mut self, event: &FieldEvent<'_>) -> Result<(), ()> {
                self.0.push((event.raw.number, event.any_value));
                Ok(())
            }
            fn end_children(&mut self) -> Result<(), ()> {
                Ok(())
            }
        }
        let data = [
            0x0A, 0x01, 0x78, 0x12, 0x01, 0x79, 0x1A, 0x0B, 0x0A, 0x05, b'/', b'a', b'.', b'B', b'c', 0x12,
            0x02, 0x08, 0x01,
        ];
        let mut engine = Engine::new(100, None);
        assert!(engine.gather(&data, 0, data.len()).is_none());
        let mut cursor = Cursor::default();
        let mut marks = Marks(Vec::new());
        while engine.walk_field(0, &data, data.len(), data.len(), true, &mut cursor, &mut marks).unwrap() {}
        assert_eq!(marks.0, [(1, false), (2, false), (3, false), (1, false), (2, true), (1, false)]);
    }

    #[test]
    fn a_declared_packed_field_that_reads_as_clear_text_is_the_declared_type() {
        // 12 08 " knN knN": field 2 (packed float) holding [999999488.0, 999999488.0],
        // whose bytes are text scoring too high for packed readings to be scored.
        let mut data = vec![0x12, 0x08];
        data.extend_from_slice(b" knN knN");
        let (names, found) = annotated(&data);
        assert_eq!(names, ["2:f"]);
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn out_of_range_values_are_read_with_a_warning() {
        // 08 ff ff ff ff 0f: int32 4294967295; 1a 04 01 02 00 05: packed bools 1, 2, 0, 5;
        // 1a 02 01 07: packed bools 1, 7; 08 7f: int32 127 (in range).
        let data = [
            0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x1A, 0x04, 0x01, 0x02, 0x00, 0x05, 0x1A, 0x02, 0x01, 0x07,
            0x08, 0x7F,
        ];
        let (names, found) = annotated(&data);
        assert_eq!(names, ["1:a", "3:b", "3:b", "1:a"]);
        let messages: Vec<_> = found.iter().map(|d| (d.offset, d.severity, d.message.as_str())).collect();
        assert_eq!(
            messages,
            [
                (
                    0,
                    Severity::Warning,
                    "field 1 (a) at offset 0: declared int32, but varint 4294967295 is not a 32-bit value: \
                     read as -1 (its low 32 bits)"
                ),
                (
                    6,
                    Severity::Warning,
                    "field 3 (b) at offset 6: declared bool, but 2 of its 4 packed elements are out of range; \
                     the first: varint 2 is not 0 or 1: read as true"
                ),
                (
                    12,
                    Severity::Warning,
                    "field 3 (b) at offset 12: declared bool, but an element of the packed field is out of \
                     range: varint 7 is not 0 or 1: read as true"
                ),
            ]
        );
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
