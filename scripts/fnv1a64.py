"""Prints the FNV-1a 64-bit hash of a file as 16 hex digits: the drift checksum recorded in
generated code headers (a change detector, not a security measure). Mirrored in
tests/codec_fbs.rs."""
import sys

h = 0xCBF29CE484222325
with open(sys.argv[1], "rb") as f:
    for byte in f.read():
        h ^= byte
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
print(f"{h:016x}")
