"""Is this body a video container? Decided from its first bytes, never from headers.

Covers what FFmpeg users send: MP4/MOV/3GP (ISO BMFF), Matroska/WebM, AVI, MPEG program
and elementary streams, MPEG-TS, FLV, Ogg, ASF/WMV. Decoding later is the real test;
this only turns obvious non-videos away with a 4xx before anything is stored.
"""

from __future__ import annotations

_ISO_BMFF_BRANDS_IMAGE = {b"avif", b"avis", b"heic", b"heix", b"mif1", b"msf1"}


def container_of(head: bytes) -> str | None:
    """The container's name, or None when the bytes do not start like a video."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return None if head[8:12] in _ISO_BMFF_BRANDS_IMAGE else "mp4"
    if len(head) >= 8 and head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip"):
        return "mov"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "matroska"
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return "avi"
    if head.startswith((b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3")):
        return "mpeg"
    if len(head) >= 377 and head[0] == 0x47 and head[188] == 0x47 and head[376] == 0x47:
        return "mpegts"
    if head.startswith(b"FLV\x01"):
        return "flv"
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"):
        return "asf"
    return None
