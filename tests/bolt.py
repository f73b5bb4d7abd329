"""Writes a bbolt database file (the format of Trivy's `trivy.db`) from nested dicts, in pure Python.

The layout is bbolt's (go.etcd.io/bbolt, on-disk version 2), written once and never updated:

* pages 0 and 1 are the two meta pages (magic 0xED0CDAED, version 2, page size, the root bucket's
  page, the freelist's page, the page count and the transaction id; the last 8 bytes are the
  FNV-1a 64 hash of the 56 bytes before them). bbolt reads the valid meta with the higher txid;
* page 2 is an empty freelist;
* every bucket, the root one included, is one leaf page (with overflow pages when its elements do
  not fit in one), its keys sorted bytewise. An element is 16 bytes (flags, pos, key size, value
  size; `pos` counts from the element itself), followed after all elements by the keys and values.
  A nested bucket's value is its 16-byte header: the page of its leaf and a sequence (0).

Every page header is 16 bytes: page id, flags (branch 0x01, leaf 0x02, meta 0x04, freelist 0x10),
element count and overflow page count. No branch pages and no inline buckets: a reader does not need
them, and bbolt itself writes a bucket's whole node to overflow pages when it cannot split it.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Union

PAGE_SIZE = 4096
MAGIC = 0xED0CDAED
VERSION = 2
_LEAF, _META, _FREELIST = 0x02, 0x04, 0x10
_BUCKET_LEAF = 0x01
_HEADER = struct.Struct("<QHHI")  # page id, flags, count, overflow
_ELEMENT = struct.Struct("<IIII")  # flags, pos, key size, value size
_META_FIELDS = struct.Struct("<IIIIQQQQQ")  # magic … txid: the 56 bytes the checksum covers
_FNV_OFFSET, _FNV_PRIME = 0xCBF29CE484222325, 0x100000001B3

Tree = Mapping[bytes, Union[bytes, "Tree"]]


def write(path: Path, root: Tree) -> Path:
    """The database file at `path`: `root` maps keys to values (bytes) or to nested buckets (dicts)."""
    pages: list[bytes] = []
    root_page = _bucket(root, pages, first_page=3)
    data = b"".join(pages)
    count = 3 + len(data) // PAGE_SIZE
    metas = [_meta(page_id, root_page, count, txid=page_id) for page_id in (0, 1)]
    freelist = _page(_HEADER.pack(2, _FREELIST, 0, 0))
    path.write_bytes(b"".join(metas) + freelist + data)
    return path


def fnv1a64(data: bytes) -> int:
    value = _FNV_OFFSET
    for byte in data:
        value = ((value ^ byte) * _FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return value


def _meta(page_id: int, root_page: int, count: int, txid: int) -> bytes:
    fields = _META_FIELDS.pack(MAGIC, VERSION, PAGE_SIZE, 0, root_page, 0, 2, count, txid)
    meta = fields + struct.pack("<Q", fnv1a64(fields))
    return _page(_HEADER.pack(page_id, _META, 0, 0) + meta)


def _bucket(tree: Tree, pages: list[bytes], first_page: int) -> int:
    """Writes the nested buckets first, then this bucket's leaf; returns the leaf's page id."""
    items: list[tuple[bytes, bytes, int]] = []
    for key in sorted(tree):
        value = tree[key]
        if isinstance(value, bytes):
            items.append((key, value, 0))
        else:
            child = _bucket(value, pages, first_page)
            items.append((key, struct.pack("<QQ", child, 0), _BUCKET_LEAF))
    page_id = first_page + sum(len(page) for page in pages) // PAGE_SIZE
    pages.append(_leaf(page_id, items))
    return page_id


def _leaf(page_id: int, items: list[tuple[bytes, bytes, int]]) -> bytes:
    if len(items) > 0xFFFF:
        raise ValueError("more than 65535 keys in one bucket")
    elements, payload = b"", b""
    table_end = _ELEMENT.size * len(items)
    for index, (key, value, flags) in enumerate(items):
        pos = table_end + len(payload) - index * _ELEMENT.size  # from this element to its key
        elements += _ELEMENT.pack(flags, pos, len(key), len(value))
        payload += key + value
    size = _HEADER.size + len(elements) + len(payload)
    overflow = (size - 1) // PAGE_SIZE
    return _page(_HEADER.pack(page_id, _LEAF, len(items), overflow) + elements + payload)


def _page(data: bytes) -> bytes:
    """`data` padded to a whole number of pages."""
    return data + b"\0" * (-len(data) % PAGE_SIZE)
