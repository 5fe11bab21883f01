#!/usr/bin/env python3
"""Writes the malformed inputs of this directory (README.md says what each one is). Run from this directory."""
import gzip

head = b"user_id,item_id,weight\n"
good = b"u1,i1,1\nu2,i2,2\n"
open("invalid_utf8.csv", "wb").write(head + good + b"u\xc3\x28x,i3,1\n")
open("nul_byte.csv", "wb").write(head + good + b"u3,i\x003,1\n")
open("utf16.csv", "wb").write("user_id,item_id\nu1,i1\n".encode("utf-16-le"))
open("bom_in_the_middle.csv", "wb").write(b"\xef\xbb\xbf" + head + good + b"\xef\xbb\xbf" + head + good)
open("number_1e309.csv", "wb").write(head + good + b"u3,i3,1e309\n")
open("negative_zero.csv", "wb").write(head + b"u1,i1,-0\nu2,i2,-0.0\n")
z = gzip.compress(head + good * 2000, mtime=0)
open("truncated.csv.gz", "wb").write(z[: len(z) // 2])
open("deeply_nested.json", "wb").write(b'{"playlists": [' + b"[" * 50000 + b"]" * 50000 + b"]}\n")
open("nul_escape.json", "wb").write(b'{"playlists": [{"pid": 1, "tracks": [{"track_uri": "a\\u0000b"}]}]}\n')
