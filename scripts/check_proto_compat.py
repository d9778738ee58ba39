"""Checks that a .proto is a compatible evolution of a frozen copy (docs/formats.md):
every message, enum, field and enum value of the frozen schema still exists with the same
number, name, type, label and oneof, or its number AND name are reserved; no message or enum
disappears; the package is unchanged. New fields, values and messages are fine (a minor
bump). Compiles both files with grpc_tools' protoc into descriptors (no system protoc).

usage: python check_proto_compat.py FROZEN.proto CURRENT.proto
exit status 0 when compatible, 1 with one line per problem otherwise.
"""
import os
import sys
import tempfile

from google.protobuf import descriptor_pb2
from grpc_tools import protoc


def load(path):
    out = tempfile.NamedTemporaryFile(suffix=".pb", delete=False).name
    include = os.path.dirname(os.path.abspath(path))
    args = ["protoc", f"-I{include}", f"--descriptor_set_out={out}", os.path.basename(path)]
    if protoc.main(args) != 0:
        sys.exit(f"protoc failed on {path}")
    fds = descriptor_pb2.FileDescriptorSet()
    with open(out, "rb") as f:
        fds.ParseFromString(f.read())
    os.unlink(out)
    (file,) = fds.file
    return file


def reserved(container):
    numbers = [(r.start, r.end) for r in container.reserved_range]
    return numbers, set(container.reserved_name)


def is_reserved(number, name, container, exclusive_end):
    ranges, names = reserved(container)
    in_range = any(start <= number < end if exclusive_end else start <= number <= end for start, end in ranges)
    return in_range and name in names


def walk_messages(messages, prefix):
    for m in messages:
        full = f"{prefix}.{m.name}"
        yield full, m
        yield from walk_messages(m.nested_type, full)


def walk_enums(file):
    for e in file.enum_type:
        yield f"{file.package}.{e.name}", e
    for full, m in walk_messages(file.message_type, file.package):
        for e in m.enum_type:
            yield f"{full}.{e.name}", e


def oneof_name(message, field):
    if field.HasField("oneof_index") and not field.proto3_optional:
        return message.oneof_decl[field.oneof_index].name
    return None


def check(frozen, current):
    problems = []
    if frozen.package != current.package:
        problems.append(f"package changed: {frozen.package} -> {current.package}")
    now_messages = dict(walk_messages(current.message_type, current.package))
    for full, old in walk_messages(frozen.message_type, frozen.package):
        new = now_messages.get(full)
        if new is None:
            problems.append(f"message {full} removed")
            continue
        by_number = {f.number: f for f in new.field}
        for f in old.field:
            g = by_number.get(f.number)
            where = f"{full}.{f.name} = {f.number}"
            if g is None:
                if not is_reserved(f.number, f.name, new, exclusive_end=True):
                    problems.append(f"{where} removed without reserving its number and name")
                continue
            for attr in ("name", "type", "type_name", "label", "proto3_optional"):
                if getattr(f, attr) != getattr(g, attr):
                    problems.append(f"{where}: {attr} changed: {getattr(f, attr)!r} -> {getattr(g, attr)!r}")
            if oneof_name(old, f) != oneof_name(new, g):
                problems.append(f"{where}: oneof changed: {oneof_name(old, f)} -> {oneof_name(new, g)}")
        names = {f.name: f.number for f in new.field}
        for f in old.field:
            if f.name in names and names[f.name] != f.number:
                problems.append(f"{full}.{f.name}: renumbered {f.number} -> {names[f.name]}")
    now_enums = dict(walk_enums(current))
    for full, old in walk_enums(frozen):
        new = now_enums.get(full)
        if new is None:
            problems.append(f"enum {full} removed")
            continue
        by_number = {v.number: v for v in new.value}
        for v in old.value:
            w = by_number.get(v.number)
            if w is None:
                if not is_reserved(v.number, v.name, new, exclusive_end=False):
                    problems.append(f"{full}.{v.name} = {v.number} removed without reserving its number and name")
            elif w.name != v.name:
                problems.append(f"{full} value {v.number} renamed: {v.name} -> {w.name}")
    return problems


def main():
    frozen, current = load(sys.argv[1]), load(sys.argv[2])
    problems = check(frozen, current)
    for p in problems:
        print(f"incompatible: {p}")
    if problems:
        sys.exit(1)
    print(f"{sys.argv[2]} is a compatible evolution of {sys.argv[1]}")


if __name__ == "__main__":
    main()
