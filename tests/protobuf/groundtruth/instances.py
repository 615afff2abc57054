"""Random realistic instances of real message types, filled by the protobuf runtime.

``make(type_name, rng)`` returns a message of that type: the generic filler walks
the descriptor and picks values by field name and type (``values.py``); a few
types have fillers of their own, for the recursive shapes real data has and a
generic filler would not reach: ``google.api.HttpRule`` with additional bindings
1-6 deep, ``DescriptorProto`` with nested types, ``Struct``/``Value`` 12 deep,
``Any`` holding a real message, OpenTelemetry's ``AnyValue`` lists and maps, gRPC
reflection answers carrying serialized ``FileDescriptorProto``s.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from functools import cache

from google.protobuf import any_pb2, descriptor_pb2, struct_pb2
from google.protobuf import descriptor_pool as pool_module
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass

from tests.protobuf.groundtruth import values

MODULES = (
    "google.protobuf.any_pb2", "google.protobuf.api_pb2", "google.protobuf.descriptor_pb2",
    "google.protobuf.duration_pb2", "google.protobuf.empty_pb2",
    "google.protobuf.field_mask_pb2", "google.protobuf.struct_pb2",
    "google.protobuf.timestamp_pb2", "google.protobuf.type_pb2", "google.protobuf.wrappers_pb2",
    "google.api.annotations_pb2", "google.api.client_pb2", "google.api.distribution_pb2",
    "google.api.field_behavior_pb2", "google.api.field_info_pb2", "google.api.http_pb2",
    "google.api.httpbody_pb2", "google.api.metric_pb2", "google.api.monitored_resource_pb2",
    "google.api.resource_pb2", "google.api.routing_pb2", "google.api.service_pb2",
    "google.api.quota_pb2", "google.api.logging_pb2", "google.api.documentation_pb2",
    "google.cloud.location.locations_pb2", "google.logging.type.http_request_pb2",
    "google.longrunning.operations_proto_pb2", "google.rpc.code_pb2",
    "google.rpc.context.attribute_context_pb2", "google.rpc.error_details_pb2",
    "google.rpc.status_pb2", "google.type.date_pb2", "google.type.expr_pb2",
    "google.type.money_pb2", "google.type.postal_address_pb2",
    "grpc_health.v1.health_pb2", "grpc_reflection.v1alpha.reflection_pb2",
    "opentelemetry.proto.collector.logs.v1.logs_service_pb2",
    "opentelemetry.proto.collector.metrics.v1.metrics_service_pb2",
    "opentelemetry.proto.collector.trace.v1.trace_service_pb2",
)
"""The generated modules whose types the corpora use (importing them registers the types
and the extensions, such as ``google.api.http``, in the default pool)."""


@cache
def pool() -> pool_module.DescriptorPool:
    import importlib

    for module in MODULES:
        importlib.import_module(module)
    return pool_module.Default()


def message_class(type_name: str) -> type[Message]:
    return GetMessageClass(pool().FindMessageTypeByName(type_name))


def make(type_name: str, rng: random.Random, depth: int = 0) -> Message:
    special = SPECIAL.get(type_name)
    if special is not None:
        return special(rng, depth)
    message = message_class(type_name)()
    fill(message, rng, depth)
    return message


MAX_DEPTH = 7


def fill(message: Message, rng: random.Random, depth: int) -> None:
    """Set a realistic subset of ``message``'s fields (one member of each oneof)."""
    desc = message.DESCRIPTOR
    chosen = {oneof.name: rng.choice(oneof.fields) for oneof in desc.oneofs}
    keep = 0.85 * 0.75 ** depth
    for fd in desc.fields:
        oneof = fd.containing_oneof
        if oneof is not None and not oneof.name.startswith("_") and chosen[oneof.name] is not fd:
            continue
        if rng.random() > (keep if fd.type == fd.TYPE_MESSAGE else 0.8):
            continue
        if fd.type == fd.TYPE_MESSAGE and depth >= MAX_DEPTH:
            continue
        _set(message, fd, rng, depth)


def _set(message: Message, fd: FieldDescriptor, rng: random.Random, depth: int) -> None:
    if fd.type == fd.TYPE_MESSAGE and fd.message_type.GetOptions().map_entry:
        entries = getattr(message, fd.name)
        key_fd, value_fd = fd.message_type.fields_by_name["key"], fd.message_type.fields_by_name["value"]
        for _ in range(rng.choice([0, 1, 1, 2, 3, 5])):
            key = _scalar(key_fd, rng, allow_empty=False)
            if value_fd.type == value_fd.TYPE_MESSAGE:
                entries[key].CopyFrom(make(value_fd.message_type.full_name, rng, depth + 1))
            else:
                entries[key] = _scalar(value_fd, rng, allow_empty=True)
        return
    if fd.is_repeated:
        field = getattr(message, fd.name)
        if fd.type == fd.TYPE_MESSAGE:
            for _ in range(rng.choice([0, 1, 1, 2, 3, 4, 8] if depth < 3 else [0, 1, 2])):
                field.add().CopyFrom(make(fd.message_type.full_name, rng, depth + 1))
        else:
            count = rng.choice([1, 1, 2, 3, 4, 6, 10, rng.randint(1, 40)])
            field.extend(_scalar(fd, rng, allow_empty=True) for _ in range(count))
        return
    if fd.type == fd.TYPE_MESSAGE:
        getattr(message, fd.name).CopyFrom(make(fd.message_type.full_name, rng, depth + 1))
        getattr(message, fd.name).SetInParent()
        return
    setattr(message, fd.name, _scalar(fd, rng, allow_empty=fd.has_presence))


def _scalar(fd: FieldDescriptor, rng: random.Random, allow_empty: bool) -> object:
    t = fd.type
    if t == fd.TYPE_STRING:
        if allow_empty and rng.random() < 0.04:
            return ""
        return values.text_for(fd.name, rng)
    if t == fd.TYPE_BYTES:
        if allow_empty and rng.random() < 0.04:
            return b""
        return values.bytes_for(fd.name, rng)
    if t == fd.TYPE_BOOL:
        return rng.random() < 0.5
    if t == fd.TYPE_ENUM:
        numbers = [v.number for v in fd.enum_type.values]
        return numbers[min(int(rng.expovariate(0.6)), len(numbers) - 1)]
    if t in (fd.TYPE_DOUBLE, fd.TYPE_FLOAT):
        return values.float_for(fd.name, rng)
    bits = 32 if t in (fd.TYPE_INT32, fd.TYPE_UINT32, fd.TYPE_SINT32, fd.TYPE_FIXED32,
                       fd.TYPE_SFIXED32) else 64
    signed = t in (fd.TYPE_INT32, fd.TYPE_INT64, fd.TYPE_SINT32, fd.TYPE_SINT64,
                   fd.TYPE_SFIXED32, fd.TYPE_SFIXED64)
    return values.int_for(fd.name, bits, signed, rng)


# -- fillers of their own ------------------------------------------------------------

ANY_TYPES = (
    "google.rpc.ErrorInfo", "google.rpc.BadRequest", "google.rpc.RetryInfo",
    "google.rpc.QuotaFailure", "google.rpc.DebugInfo", "google.rpc.ResourceInfo",
    "google.rpc.Help", "google.rpc.LocalizedMessage", "google.rpc.PreconditionFailure",
    "google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.Struct",
    "google.protobuf.StringValue", "google.protobuf.FieldMask", "google.protobuf.Empty",
    "google.type.Money", "google.type.PostalAddress", "google.rpc.Status",
)
"""What ``Any`` holds in the corpora (the error details of google.rpc, the well-known types)."""


def make_any(rng: random.Random, depth: int) -> Message:
    inner_type = rng.choice(ANY_TYPES if depth < 4 else ANY_TYPES[:-1])
    holder = any_pb2.Any()
    holder.Pack(make(inner_type, rng, depth + 1), deterministic=True)
    return holder


def make_struct(rng: random.Random, depth: int, chain: int | None = None) -> Message:
    """A ``Struct``; with ``chain``, one member nests ``chain`` levels of Struct/ListValue."""
    result = struct_pb2.Struct()
    if chain is None:
        chain = rng.choice([0, 0, 1, 2, 3, 5, 8, 12]) if depth == 0 else 0
    for _ in range(rng.randint(0 if chain == 0 and depth else 1, 5)):
        result.fields[values.identifier(rng)].CopyFrom(_leaf_value(rng))
    if chain:
        result.fields[values.word(rng)].CopyFrom(_chain_value(rng, chain))
    return result


def _leaf_value(rng: random.Random) -> struct_pb2.Value:
    value = struct_pb2.Value()
    pick = rng.randrange(5)
    if pick == 0:
        value.number_value = values.float_for("value", rng)
    elif pick == 1:
        value.string_value = values.random_text(rng)
    elif pick == 2:
        value.bool_value = rng.random() < 0.5
    elif pick == 3:
        value.null_value = struct_pb2.NULL_VALUE
    else:
        value.number_value = float(rng.randint(0, 10_000))
    return value


def _chain_value(rng: random.Random, levels: int) -> struct_pb2.Value:
    value = struct_pb2.Value()
    if levels <= 0:
        return _leaf_value(rng)
    if rng.random() < 0.5:
        inner = value.struct_value
        for _ in range(rng.randint(0, 3)):
            inner.fields[values.identifier(rng)].CopyFrom(_leaf_value(rng))
        inner.fields[values.word(rng)].CopyFrom(_chain_value(rng, levels - 1))
    else:
        items = value.list_value
        for _ in range(rng.randint(0, 3)):
            items.values.append(_leaf_value(rng))
        items.values.append(_chain_value(rng, levels - 1))
    return value


def make_value(rng: random.Random, depth: int) -> Message:
    return _chain_value(rng, rng.choice([0, 1, 2, 4])) if depth < 4 else _leaf_value(rng)


def make_http_rule(rng: random.Random, depth: int, nested: int | None = None) -> Message:
    """An ``HttpRule``; at the top, with additional bindings nested 1-6 deep."""
    rule = message_class("google.api.HttpRule")()
    if rng.random() < 0.8:
        rule.selector = values.dotted_name(rng)
    verb = rng.choice(["get", "get", "post", "put", "patch", "delete", "custom"])
    if verb == "custom":
        rule.custom.kind = rng.choice(["HEAD", "OPTIONS", "LIST"])
        rule.custom.path = values.http_pattern(rng)
    else:
        setattr(rule, verb, values.http_pattern(rng))
    if verb in ("post", "put", "patch") or rng.random() < 0.1:
        rule.body = rng.choice(["*", values.identifier(rng)])
    if rng.random() < 0.1:
        rule.response_body = values.identifier(rng)
    if nested is None:
        nested = rng.choice([0, 1, 1, 2, 3, 4, 5, 6]) if depth == 0 else 0
    if nested:
        for _ in range(rng.choice([1, 1, 2])):
            rule.additional_bindings.append(make_http_rule(rng, depth + 1, nested - 1))
    return rule


@cache
def real_descriptors() -> tuple[descriptor_pb2.DescriptorProto, ...]:
    """Every message type of the modules above, as the ``DescriptorProto`` protoc made."""
    found = []
    for file_name in sorted(_files()):
        proto = descriptor_pb2.FileDescriptorProto()
        pool().FindFileByName(file_name).CopyToProto(proto)
        found.extend(proto.message_type)
    return tuple(found)


@cache
def real_files() -> tuple[descriptor_pb2.FileDescriptorProto, ...]:
    found = []
    for file_name in sorted(_files()):
        proto = descriptor_pb2.FileDescriptorProto()
        pool().FindFileByName(file_name).CopyToProto(proto)
        found.append(proto)
    return tuple(found)


def _files() -> set[str]:
    import importlib

    names = set()
    for module in MODULES:
        names.add(importlib.import_module(module).DESCRIPTOR.name)
    return names


def make_descriptor_proto(rng: random.Random, depth: int) -> Message:
    """A real ``DescriptorProto``, with real ones nested in it 1-5 deep (nested_type)."""
    result = descriptor_pb2.DescriptorProto()
    result.CopyFrom(rng.choice(real_descriptors()))
    levels = rng.choice([0, 1, 2, 3, 5]) if depth == 0 else 0
    inner = result
    for _ in range(levels):
        inner = inner.nested_type.add()
        inner.CopyFrom(rng.choice(real_descriptors()))
    return result


def make_file_descriptor_proto(rng: random.Random, depth: int) -> Message:
    return rng.choice(real_files())


def make_reflection_response(rng: random.Random, depth: int) -> Message:
    cls = message_class("grpc.reflection.v1alpha.ServerReflectionResponse")
    response = cls()
    if rng.random() < 0.7:
        response.valid_host = rng.choice(["", values.hostname(rng), "localhost:50051"])
    if rng.random() < 0.8:
        response.original_request.CopyFrom(make_reflection_request(rng, depth + 1))
    pick = rng.randrange(4)
    if pick == 0:
        services = ["grpc.reflection.v1alpha.ServerReflection", "grpc.reflection.v1.ServerReflection",
                    "grpc.health.v1.Health", "helloworld.Greeter", "routeguide.RouteGuide"]
        services += [values.dotted_name(rng) for _ in range(rng.randint(0, 6))]
        for name in rng.sample(services, rng.randint(1, len(services))):
            response.list_services_response.service.add(name=name)
    elif pick == 1:
        for file in rng.sample(real_files(), rng.randint(1, 4)):
            response.file_descriptor_response.file_descriptor_proto.append(
                file.SerializeToString(deterministic=True))
    elif pick == 2:
        response.all_extension_numbers_response.base_type_name = values.dotted_name(rng)
        response.all_extension_numbers_response.extension_number.extend(
            sorted(rng.sample(range(1000, 536_000_000), rng.randint(1, 6))))
    else:
        response.error_response.error_code = rng.choice([5, 3, 12])
        response.error_response.error_message = values.sentence(rng)
    return response


def make_reflection_request(rng: random.Random, depth: int) -> Message:
    request = message_class("grpc.reflection.v1alpha.ServerReflectionRequest")()
    if rng.random() < 0.5:
        request.host = rng.choice(["", values.hostname(rng)])
    pick = rng.randrange(4)
    if pick == 0:
        request.list_services = "*"
    elif pick == 1:
        request.file_containing_symbol = values.dotted_name(rng)
    elif pick == 2:
        request.file_by_filename = values.path(rng)
    else:
        request.file_containing_extension.containing_type = values.dotted_name(rng)
        request.file_containing_extension.extension_number = rng.randint(1000, 536_000_000)
    return request


def make_any_value(rng: random.Random, depth: int) -> Message:
    """OpenTelemetry's ``AnyValue``: lists and maps of values, nested up to 4 deep."""
    value = message_class("opentelemetry.proto.common.v1.AnyValue")()
    pick = rng.randrange(9 if depth < 5 else 6)
    if pick in (0, 1, 2):
        value.string_value = rng.choice([values.random_text(rng), values.word(rng)])
    elif pick == 3:
        value.int_value = values.int_for("value", 64, True, rng)
    elif pick == 4:
        value.double_value = values.float_for("value", rng)
    elif pick == 5:
        value.bool_value = rng.random() < 0.5
    elif pick == 6:
        for _ in range(rng.randint(0, 4)):
            value.array_value.values.append(make_any_value(rng, depth + 1))
        value.array_value.SetInParent()
    elif pick == 7:
        for _ in range(rng.randint(0, 4)):
            entry = value.kvlist_value.values.add(key=values.text_for("key", rng))
            entry.value.CopyFrom(make_any_value(rng, depth + 1))
        value.kvlist_value.SetInParent()
    else:
        value.bytes_value = values.bytes_for("value", rng)
    return value


SPECIAL: dict[str, Callable[[random.Random, int], Message]] = {
    "google.protobuf.Any": make_any,
    "google.protobuf.Struct": lambda rng, depth: make_struct(rng, depth),
    "google.protobuf.Value": make_value,
    "google.api.HttpRule": lambda rng, depth: make_http_rule(rng, depth),
    "google.protobuf.DescriptorProto": make_descriptor_proto,
    "google.protobuf.FileDescriptorProto": make_file_descriptor_proto,
    "grpc.reflection.v1alpha.ServerReflectionResponse": make_reflection_response,
    "grpc.reflection.v1alpha.ServerReflectionRequest": make_reflection_request,
    "opentelemetry.proto.common.v1.AnyValue": make_any_value,
}


def descriptor(type_name: str) -> Descriptor:
    return pool().FindMessageTypeByName(type_name)
