//! wiretool's native core: the protobuf hot path of `wiretool decode`.
//!
//! Bytes in; out come the walk (fields, faults with offsets), the readings of every
//! length-delimited payload and their scores, the decision per field path, and the
//! JSON text of `decode --format json`. Python keeps the CLI, the schemas, the
//! renderers and the public model; it calls this crate through one module,
//! `wiretool/protobuf/native.py`, which owns the interface.
//!
//! Layout (each pure module is `#![forbid(unsafe_code)]`):
//!
//! - [`scan`]: varints, tags, lengths, groups; one field at a time; faults.
//! - [`rules`]: every inference rule - the scores of each reading, the ranking of
//!   alternatives, the decision per path. The one module to change a rule in.
//! - [`engine`]: pass 1 (gather the scores of every path) and pass 2 (report each
//!   field with its decided reading to a visitor), with explicit stacks.
//! - [`schema`]: what a schema says per message type and field (hints, names).
//! - [`json`]: the FIELD objects of the JSON contract, written from pass 2.
//! - [`pipeline`]: pass 2 and its JSON on two threads, the same text as the plain
//!   loop (which stays the reference).
//! - [`text`]: Python's float repr and JSON string escaping.
//! - `python` (feature `python`): the PyO3 boundary, the only place with `unsafe`
//!   (inside PyO3's macros).
//!
//! Hostile bytes: nothing indexes without a bound check or unwraps a value derived
//! from the input; nesting is followed with explicit stacks bounded by the input
//! and by `max_depth`; memory is bounded by the input (pass 1 keeps one 8-byte note
//! per payload and the ranges still to visit; pass 2 one level cursor per depth).
#![cfg_attr(not(feature = "python"), forbid(unsafe_code))]

pub mod engine;
pub mod json;
pub mod pipeline;
pub mod rules;
pub mod scan;
pub mod schema;
pub mod text;

#[cfg(test)]
mod testing;

#[cfg(feature = "python")]
mod python;
