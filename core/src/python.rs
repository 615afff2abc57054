//! The PyO3 boundary: `wiretool._core`, used only by `wiretool/protobuf/native.py`.
//!
//! `Reader` holds the regions (Python `bytes`, never copied) and the [`Engine`];
//! Python asks it to gather, then for each region either the JSON text of its fields
//! (`write_json`, in chunks handed to a `write` callable) or its fields as the
//! public model's `Field` tuples (`fields`, one top-level field per step). Faults
//! and diagnostics come back as plain tuples; `native.py` makes model objects of them.

use std::collections::HashMap;

use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};

use crate::engine::{unpack, Cursor, Diag, Engine, FieldEvent, Severity, Visitor, SPLIT_MIN};
use crate::json::{Heads, JsonWriter, Sink};
use crate::pipeline;
use crate::rules::{self, Kind};
use crate::schema::{read_scalar, Display, FieldInfo, MessageType, Schema};
use crate::text::push_float_repr;

/// The model classes and enum members `fields` builds with (see `native.py`).
struct Model {
    field: Py<PyAny>,
    schema_info: Py<PyAny>,
    tuple_new: Py<PyAny>,
    wire_types: Vec<Py<PyAny>>,
    kinds: Vec<Py<PyAny>>,
    packed_types: Vec<Py<PyAny>>,
}

#[pyclass(module = "wiretool._core")]
struct Reader {
    regions: Vec<(Py<PyBytes>, usize, usize)>,
    stops: Vec<usize>,
    engine: Engine,
    model: Model,
    alternatives: HashMap<u16, Py<PyTuple>>,
    /// The JSON writer's per-path text, kept from one message to the next.
    heads: Heads,
}

/// `(Field, SchemaInfo, wire types, kinds, packed types)` from `native._MODEL`.
type ModelSpec = (Py<PyAny>, Py<PyAny>, Vec<Py<PyAny>>, Vec<Py<PyAny>>, Vec<Py<PyAny>>);

/// The items of a `Field` being built, and its children so far.
type Open<'py> = (Vec<Bound<'py, PyAny>>, Vec<Bound<'py, PyAny>>);

type FieldSpec =
    (u32, String, String, String, Option<String>, Vec<i64>, i64, u8, u8, Option<HashMap<i64, String>>, i64);

fn schema_from(types: Vec<Vec<FieldSpec>>) -> Schema {
    let index = |value: i64| usize::try_from(value).ok();
    let types = types
        .into_iter()
        .map(|fields| {
            let mut message = MessageType::default();
            for (
                number,
                name,
                type_name,
                json_name,
                oneof,
                expected,
                len_reading,
                scalar,
                declared_wire,
                enum_names,
                child,
            ) in fields
            {
                let mut kinds = [None; 6];
                for (slot, code) in kinds.iter_mut().zip(expected) {
                    *slot = Kind::from_code(code);
                }
                let info = FieldInfo {
                    name,
                    type_name,
                    json_name,
                    oneof,
                    expected: kinds,
                    len_reading: index(len_reading).filter(|&r| r < rules::READINGS),
                    scalar,
                    declared_wire,
                    enum_names,
                    child: index(child),
                    json_head: Vec::new(),
                };
                message.insert(number, info.prepare());
            }
            message
        })
        .collect();
    Schema { types, ..Schema::default() }
}

fn severity_code(severity: Severity) -> u8 {
    match severity {
        Severity::Error => 0,
        Severity::Warning => 1,
        Severity::Info => 2,
    }
}

fn diagnostics_out<'py>(py: Python<'py>, found: &mut Vec<Diag>) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for diag in found.drain(..) {
        list.append((diag.offset, severity_code(diag.severity), diag.message, diag.length))?;
    }
    Ok(list)
}

#[pymethods]
impl Reader {
    /// `regions`: `(buffer, start, end)` each; `schema`: the message types of
    /// `native.schema_table` (root first) or None; `model`: `(Field, SchemaInfo,
    /// wire types by number, kinds in declaration order, packed types)`; `threads`:
    /// pass 1 may score the halves of a long message on two threads (the same
    /// results; False: one thread, the reference).
    #[new]
    #[pyo3(signature = (regions, max_depth, schema, model, threads = true))]
    fn new(
        py: Python<'_>,
        regions: Vec<(Py<PyBytes>, usize, usize)>,
        max_depth: u32,
        schema: Option<Vec<Vec<FieldSpec>>>,
        model: ModelSpec,
        threads: bool,
    ) -> PyResult<Self> {
        let (field, schema_info, wire_types, kinds, packed_types) = model;
        if wire_types.len() != 6 || kinds.len() != 8 || packed_types.len() != 3 {
            return Err(PyValueError::new_err("model: 6 wire types, 8 kinds, 3 packed types"));
        }
        let tuple_new = py.get_type::<PyTuple>().getattr("__new__")?.unbind();
        let regions: Vec<_> = regions
            .into_iter()
            .map(|(buffer, start, end)| {
                let size = buffer.bind(py).as_bytes().len();
                let end = end.min(size);
                (buffer, start.min(end), end)
            })
            .collect();
        let mut engine = Engine::new(max_depth, schema.map(schema_from));
        engine.set_threads(threads && pipeline::two_cores(), SPLIT_MIN);
        Ok(Reader {
            regions,
            stops: Vec::new(),
            engine,
            model: Model { field, schema_info, tuple_new, wire_types, kinds, packed_types },
            alternatives: HashMap::new(),
            heads: Heads::default(),
        })
    }

    /// Pass 1 over every region: per region None or its fault `(offset, resume, message)`.
    fn gather<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let faults = PyList::empty(py);
        self.stops.clear();
        for (buffer, start, end) in &self.regions {
            let bytes = buffer.bind(py);
            match self.engine.gather(bytes.as_bytes(), *start, *end) {
                Some(fault) => {
                    self.stops.push(fault.resume);
                    faults.append((fault.offset, fault.resume, fault.message()))?;
                }
                None => {
                    self.stops.push(*end);
                    faults.append(py.None())?;
                }
            }
        }
        Ok(faults)
    }

    /// The type URLs pass 1 met in Anys, by number (call after `gather`).
    fn type_urls<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for url in self.engine.type_urls() {
            list.append(PyBytes::new(py, url))?;
        }
        Ok(list)
    }

    /// After `gather`: the schema's tables extended with the types Anys hold (the
    /// first types as before), the index of `google.protobuf.Any` (-1: none), the
    /// held types `(index, full name)`, and per type URL of `type_urls` the index of
    /// the type it names (-1: not in the schema).
    fn set_any_types(
        &mut self,
        schema: Vec<Vec<FieldSpec>>,
        any: i64,
        held: Vec<(usize, String)>,
        url_types: Vec<i64>,
    ) {
        let types = schema.len();
        let index = |value: i64| usize::try_from(value).ok().filter(|&i| i < types);
        let schema = schema_from(schema).with_any(index(any), &held);
        self.engine.set_any_types(schema, url_types.into_iter().map(index).collect());
    }

    /// The decoder's diagnostics found since the last call: `(offset, severity, message,
    /// length)`, severity 0 error, 1 warning, 2 info.
    fn take_diagnostics<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        diagnostics_out(py, &mut self.engine.diagnostics)
    }

    /// The schema contradictions found while annotating, since the last call.
    fn take_annotation_diagnostics<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        diagnostics_out(py, &mut self.engine.annotation_diagnostics)
    }

    /// Write the FIELD objects of region `region` (comma-separated, the content of its
    /// `"fields"` list) through `write(bytes)`. `threads`: a long region may be
    /// written on two threads (`pipeline`: the same text); False: the plain loop.
    #[pyo3(signature = (region, write, annotate, threads = true))]
    fn write_json(
        &mut self,
        py: Python<'_>,
        region: usize,
        write: Bound<'_, PyAny>,
        annotate: bool,
        threads: bool,
    ) -> PyResult<()> {
        let (buffer, start, end) = self.region(py, region)?;
        let stop = self.stops.get(region).copied().unwrap_or(end);
        let bytes = buffer.bind(py);
        let buf = bytes.as_bytes();
        let mut sink = PySink { write };
        self.write_region(region, buf, (start, end, stop), annotate, threads, &mut sink)
    }

    /// `write_json` straight to the process's standard output (file descriptor 1),
    /// without a Python object per chunk. The caller has flushed what Python wrote.
    #[pyo3(signature = (region, annotate, threads = true))]
    fn write_json_stdout(&mut self, py: Python<'_>, region: usize, annotate: bool, threads: bool) -> PyResult<()> {
        use std::io::Write;
        use std::os::fd::AsFd;

        let (buffer, start, end) = self.region(py, region)?;
        let stop = self.stops.get(region).copied().unwrap_or(end);
        let bytes = buffer.bind(py);
        let buf = bytes.as_bytes();
        // A duplicate of file descriptor 1 (the same open file, offset shared): Rust's
        // `Stdout` is line-buffered and would search every chunk for a newline.
        let out = std::fs::File::from(std::io::stdout().as_fd().try_clone_to_owned().map_err(os_error)?);
        let mut sink = StdoutSink { out };
        self.write_region(region, buf, (start, end, stop), annotate, threads, &mut sink)?;
        sink.out.flush().map_err(os_error)
    }

    /// An iterator over the top-level fields of region `region`, as model `Field`s.
    fn fields(slf: Bound<'_, Self>, region: usize, annotate: bool) -> PyResult<FieldIter> {
        let py = slf.py();
        let (_, start, _) = slf.borrow().region(py, region)?;
        Ok(FieldIter { reader: slf.unbind(), region, annotate, cursor: Cursor { pos: start, note: 0 } })
    }
}

impl Reader {
    /// Pass 2 over a region into `sink` as JSON: on two threads when the region is
    /// long and `threads` allows it, else the plain loop (the reference).
    fn write_region<S: Sink<Error = PyErr>>(
        &mut self,
        region: usize,
        buf: &[u8],
        (start, end, stop): (usize, usize, usize),
        annotate: bool,
        threads: bool,
        sink: &mut S,
    ) -> PyResult<()> {
        let heads = std::mem::take(&mut self.heads);
        let capacity = json_capacity(start, end);
        if threads && pipeline::worth_it(end.saturating_sub(start)) {
            self.heads =
                pipeline::write_json(&mut self.engine, region, buf, (start, end, stop), annotate, capacity, heads, sink)?;
            return Ok(());
        }
        let mut writer = JsonWriter::with_heads(sink, capacity, heads);
        let mut cursor = Cursor { pos: start, note: 0 };
        while self.engine.walk_field(region, buf, end, stop, annotate, &mut cursor, &mut writer)? {}
        self.heads = writer.finish_keeping_heads()?;
        Ok(())
    }

    fn region(&self, py: Python<'_>, region: usize) -> PyResult<(Py<PyBytes>, usize, usize)> {
        match self.regions.get(region) {
            Some((buffer, start, end)) if self.stops.len() == self.regions.len() => {
                Ok((buffer.clone_ref(py), *start, *end))
            }
            Some(_) => Err(PyValueError::new_err("gather() first")),
            None => Err(PyValueError::new_err("no such region")),
        }
    }
}

/// A first guess of a region's JSON size (about 20 bytes of text per byte of input).
fn json_capacity(start: usize, end: usize) -> usize {
    end.saturating_sub(start).saturating_mul(24).saturating_add(256)
}

struct PySink<'py> {
    write: Bound<'py, PyAny>,
}

impl Sink for PySink<'_> {
    type Error = PyErr;
    fn write(&mut self, chunk: &[u8]) -> PyResult<()> {
        self.write.call1((PyBytes::new(self.write.py(), chunk),))?;
        Ok(())
    }
}

struct StdoutSink {
    out: std::fs::File,
}

impl Sink for StdoutSink {
    type Error = PyErr;
    fn write(&mut self, chunk: &[u8]) -> PyResult<()> {
        use std::io::Write;
        self.out.write_all(chunk).map_err(os_error)
    }
}

/// An io::Error as Python's `OSError(errno, strerror)`, which is the matching subclass
/// with its `errno` set (click turns a BrokenPipeError with EPIPE into a quiet exit).
fn os_error(error: std::io::Error) -> PyErr {
    match error.raw_os_error() {
        Some(code) => PyOSError::new_err((code, error.to_string())),
        None => PyErr::from(error),
    }
}

/// The top-level fields of one region, built one at a time (`Reader.fields`).
#[pyclass(module = "wiretool._core")]
struct FieldIter {
    reader: Py<Reader>,
    region: usize,
    annotate: bool,
    cursor: Cursor,
}

#[pymethods]
impl FieldIter {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        let reader = self.reader.bind(py);
        let mut reader = reader.borrow_mut();
        let reader = &mut *reader;
        let (buffer, _, end) = reader.region(py, self.region)?;
        let stop = reader.stops.get(self.region).copied().unwrap_or(end);
        let bytes = buffer.bind(py);
        let buf = bytes.as_bytes();
        let mut builder = ModelBuilder {
            py,
            model: &reader.model,
            alternatives: &mut reader.alternatives,
            stack: Vec::new(),
            done: None,
            values: Vec::new(),
        };
        // A field pass 2 passes over (none before the fault) leaves `done` empty: go on.
        while reader.engine.walk_field(
            self.region,
            buf,
            end,
            stop,
            self.annotate,
            &mut self.cursor,
            &mut builder,
        )? {
            if let Some(field) = builder.done.take() {
                return Ok(Some(field.unbind()));
            }
        }
        Ok(None)
    }
}

/// A [`Visitor`] building the model's `Field` tuples (children before parents).
struct ModelBuilder<'a, 'py> {
    py: Python<'py>,
    model: &'a Model,
    alternatives: &'a mut HashMap<u16, Py<PyTuple>>,
    /// Open containers: the items of their `Field` and their children so far.
    stack: Vec<Open<'py>>,
    done: Option<Bound<'py, PyAny>>,
    values: Vec<u64>,
}

const FIELDS_SLOT: usize = 9;

impl<'py> ModelBuilder<'_, 'py> {
    fn finish(&mut self, items: Vec<Bound<'py, PyAny>>) -> PyResult<()> {
        let field = self
            .model
            .tuple_new
            .bind(self.py)
            .call1((self.model.field.bind(self.py), PyTuple::new(self.py, items)?))?;
        match self.stack.last_mut() {
            Some((_, children)) => children.push(field),
            None => self.done = Some(field),
        }
        Ok(())
    }

    fn kind(&self, kind: Kind) -> Bound<'py, PyAny> {
        self.model
            .kinds
            .get(kind as usize)
            .map_or_else(|| self.py.None().into_bound(self.py), |k| k.bind(self.py).clone())
    }

    fn alternatives(&mut self, kinds: &[Kind]) -> PyResult<Bound<'py, PyAny>> {
        let mut key = 0u16;
        for (position, kind) in kinds.iter().enumerate() {
            key |= ((*kind as u16) + 1) << (4 * position);
        }
        if let Some(tuple) = self.alternatives.get(&key) {
            return Ok(tuple.bind(self.py).clone().into_any());
        }
        let members: Vec<_> = kinds.iter().map(|k| self.kind(*k)).collect();
        let tuple = PyTuple::new(self.py, members)?;
        self.alternatives.insert(key, tuple.clone().unbind());
        Ok(tuple.into_any())
    }

    fn scalar(&self, display: Display) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        Ok(match display {
            Display::Text(text) => PyString::new(py, &text).into_any(),
            Display::Int(value) => value.into_pyobject(py)?.into_any(),
            Display::Unsigned(value) => value.into_pyobject(py)?.into_any(),
            Display::Float(value) => value.into_pyobject(py)?.into_any(),
            Display::Bool(value) => value.into_pyobject(py)?.to_owned().into_any(),
        })
    }

    fn schema_info(&self, field: &FieldInfo, event: &FieldEvent<'_>) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        let display = match event.kind {
            Kind::Packed => {
                let mut text = vec![b'['];
                for (index, value) in self.values.iter().enumerate() {
                    if index > 0 {
                        text.extend_from_slice(b", ");
                    }
                    match read_scalar(field, *value) {
                        Display::Text(name) => text.extend_from_slice(name.as_bytes()),
                        Display::Int(v) => crate::text::push_i64(&mut text, v),
                        Display::Unsigned(v) => crate::text::push_u64(&mut text, v),
                        Display::Float(v) => push_float_repr(&mut text, v),
                        Display::Bool(v) => text.extend_from_slice(if v { b"True" } else { b"False" }),
                    }
                }
                text.push(b']');
                PyString::new(py, &String::from_utf8_lossy(&text)).into_any()
            }
            Kind::Varint | Kind::Fixed32 | Kind::Fixed64 => {
                self.scalar(read_scalar(field, event.raw.value))?
            }
            _ => py.None().into_bound(py),
        };
        let oneof = match &field.oneof {
            Some(name) => PyString::new(py, name).into_any(),
            None => py.None().into_bound(py),
        };
        self.model.schema_info.bind(py).call1((
            PyString::new(py, &field.name),
            PyString::new(py, &field.type_name),
            PyString::new(py, &field.json_name),
            display,
            oneof,
        ))
    }
}

impl Visitor for ModelBuilder<'_, '_> {
    type Error = PyErr;

    fn field(&mut self, event: &FieldEvent<'_>) -> PyResult<()> {
        let py = self.py;
        let raw = &event.raw;
        let none = || py.None().into_bound(py);
        let empty = || PyTuple::empty(py).into_any();
        let int = |value: usize| value.into_pyobject(py).map(|v| v.into_any());
        let mut value = none();
        let mut values = empty();
        let mut packed_type = none();
        match event.kind {
            Kind::Varint | Kind::Fixed32 | Kind::Fixed64 => value = raw.value.into_pyobject(py)?.into_any(),
            Kind::String => value = PyString::new(py, &String::from_utf8_lossy(event.payload)).into_any(),
            Kind::Bytes => value = PyBytes::new(py, event.payload).into_any(),
            Kind::Packed => {
                unpack(event.payload, event.reading, &mut self.values);
                values = PyTuple::new(py, self.values.iter())?.into_any();
                let index = event.reading.saturating_sub(rules::PACKED_VARINT);
                packed_type = self.model.packed_types.get(index).map_or_else(none, |p| p.bind(py).clone());
            }
            Kind::Message | Kind::Group => {}
        }
        let alternatives =
            if raw.wire == crate::scan::LEN { self.alternatives(event.alternatives)? } else { empty() };
        let schema = match event.schema {
            Some(field) => self.schema_info(field, event)?,
            None => none(),
        };
        let wire_type =
            self.model.wire_types.get(usize::from(raw.wire)).map_or_else(none, |w| w.bind(py).clone());
        let items = vec![
            int(raw.offset)?,
            u64::from(raw.number).into_pyobject(py)?.into_any(),
            wire_type,
            int(raw.end - raw.offset)?,
            u64::from(raw.tag_len).into_pyobject(py)?.into_any(),
            self.kind(event.kind),
            int(raw.voff)?,
            int(raw.vend - raw.voff)?,
            value,
            empty(),
            values,
            packed_type,
            alternatives,
            raw.overlong.into_pyobject(py)?.to_owned().into_any(),
            event.expanded.into_pyobject(py)?.to_owned().into_any(),
            schema,
            event.any_value.into_pyobject(py)?.to_owned().into_any(),
        ];
        if (event.kind == Kind::Message || event.kind == Kind::Group) && event.expanded {
            self.stack.push((items, Vec::new()));
            return Ok(());
        }
        self.finish(items)
    }

    fn end_children(&mut self) -> PyResult<()> {
        if let Some((mut items, children)) = self.stack.pop() {
            if let Some(slot) = items.get_mut(FIELDS_SLOT) {
                *slot = PyTuple::new(self.py, children)?.into_any();
            }
            self.finish(items)?;
        }
        Ok(())
    }
}

/// `(value, next_offset)` of the varint at `pos` (before `end`), for framing; a
/// ValueError with the fault's words when it is truncated or too long.
#[pyfunction]
fn read_varint(buf: &[u8], pos: usize, end: usize) -> PyResult<(u64, usize)> {
    match crate::scan::read_varint(buf, pos, end.min(buf.len())) {
        Ok((value, after, _)) => Ok((value, after)),
        Err(kind) => {
            Err(PyValueError::new_err(crate::scan::Fault { offset: pos, resume: pos, kind }.message()))
        }
    }
}

/// Python's `repr(float)` (for tests of the float text).
#[pyfunction]
fn float_repr(number: f64) -> String {
    let mut out = Vec::new();
    push_float_repr(&mut out, number);
    String::from_utf8_lossy(&out).into_owned()
}

#[pymodule]
fn _core(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<Reader>()?;
    module.add_class::<FieldIter>()?;
    module.add_function(wrap_pyfunction!(float_repr, module)?)?;
    module.add_function(wrap_pyfunction!(read_varint, module)?)?;
    Ok(())
}
