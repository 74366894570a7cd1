#!/usr/bin/env python3
"""Converts every corpus file to its family's usual targets with the fileconv
CLI and judges each result with an independent reader.

    judge.py FILECONV CORPUS_DIR OUT_DIR [--jobs N] [--only SUBSTRING]

References: Pillow (images; rsvg-convert for SVG, ImageMagick for EXR and
HDR), ffprobe and ffmpeg (audio and video), pandoc (documents; LibreOffice
for RTF, whose code pages pandoc 2.17 does not read), pdftotext and pdfinfo
(PDF), openpyxl, xlrd, pyxlsb and odfpy (spreadsheets). Each conversion lands in one
class:

  right           the reference reads the source and the result keeps its content
  refused-both    fileconv refuses and so does the reference
  refused         fileconv refuses (exit 3 or 4) a file the reference reads
  wrong           exit 0, content missing or different, nothing said on stderr
  warned          exit 0, content missing, and stderr says what was dropped
  error           another non-zero exit on a file the reference reads
  crash           killed by a signal, or a panic (exit 101)
  timeout         over TIMEOUT seconds
  over-1GB        peak memory over 1 GiB
  unjudged        fileconv converts what the reference cannot read

Writes OUT_DIR/results.tsv (one line per conversion, with the reason) and
prints a table per family.
"""
import argparse
import collections
import concurrent.futures
import io
import warnings
import json
import os
import re
import signal
import subprocess
import sys
import time
import zipfile

TIMEOUT = 120
HERE = os.path.dirname(os.path.abspath(__file__))
# Debian's ImageMagick, even where a wrapper of that name comes first on PATH.
CONVERT = "/usr/bin/convert" if os.path.exists("/usr/bin/convert") else "convert"
warnings.filterwarnings("ignore")
GIB = 1 << 30

FAMILIES = {
    "image": "jpg jpeg png gif bmp tif tiff webp ico tga qoi exr hdr pbm pgm ppm pam dds svg",
    "audio": "mp3 wav flac ogg oga opus m4a m4b aac ac3 aif aiff caf wma spx mka",
    "video": "mp4 m4v mov mkv webm avi wmv flv ts mpg mpeg 3gp 3g2 ogv",
    "document": "docx odt rtf epub html htm xhtml md pptx odp",
    "sheet": "xlsx xlsm xlsb xls ods csv tsv",
    "pdf": "pdf",
}
FAMILY_OF = {ext: fam for fam, exts in FAMILIES.items() for ext in exts.split()}
TARGETS = {
    "image": ["png", "jpg"],
    "audio": ["wav", "mp3", "flac"],
    "video": ["mp4", "gif"],
    "document": ["txt", "pdf"],
    "sheet": ["csv", "xlsx"],
    "pdf": ["txt", "png"],
}
CLASSES = ["right", "refused-both", "refused", "wrong", "warned", "error", "crash", "timeout", "over-1GB", "unjudged", "reference-wrong"]

# Conversions whose reference reader is shown wrong (scripts/realworld/
# reference_errors.tsv: file, target, why, with the evidence). Such a
# conversion is still converted and checked; only a failed check is classed
# "reference-wrong", outside the share of right conversions, with its reason.
REFERENCE_ERRORS = {}
_errors = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference_errors.tsv")
if os.path.exists(_errors):
    for _line in open(_errors, encoding="utf-8").read().splitlines():
        if _line and not _line.startswith("#"):
            _file, _target, _why = _line.split("\t", 2)
            REFERENCE_ERRORS[(_file, _target)] = _why
WARNING = re.compile(r"^fileconv: (warning|note)", re.M)


def run(cmd, timeout=TIMEOUT, **kw):
    return subprocess.run(cmd, capture_output=True, timeout=timeout, **kw)


# ---------------------------------------------------------------- references


class Unreadable(Exception):
    """The reference cannot read the source."""


def image_reference(path, ext):
    """(width, height, thumbnail or None) of the first frame."""
    if ext == "svg":
        out = run(["rsvg-convert", "-f", "png", path])
        if out.returncode != 0:
            raise Unreadable(out.stderr.decode(errors="replace")[:200])
        return pil_summary(io.BytesIO(out.stdout))
    if ext in ("exr", "hdr"):
        out = run([CONVERT, path + "[0]", "-colorspace", "sRGB", "png:-"])
        if out.returncode != 0 or not out.stdout:
            raise Unreadable(out.stderr.decode(errors="replace")[:200])
        return pil_summary(io.BytesIO(out.stdout), thumbnail=False)
    return pil_summary(path)


def best_icon_entry(im):
    """An ICO's largest entry at its highest colour depth, as Windows shows
    it (Pillow takes the first entry of the largest size, often 4-bit)."""
    if im.format == "ICO" and hasattr(im, "ico"):
        entry = max(im.ico.entry, key=lambda e: (e.square, e.color_depth))
        return im.ico.frame(im.ico.entry.index(entry))
    return im


def pil_summary(src, thumbnail=True):
    from PIL import Image
    try:
        with Image.open(src) as im:
            im.load()
            im = best_icon_entry(im)
            if thumbnail:
                from PIL import ImageOps
                im = ImageOps.exif_transpose(im)
            size = im.size
            if not thumbnail or im.mode in ("I", "F", "I;16", "I;16B", "I;16L", "LAB", "YCbCr"):
                return size[0], size[1], None
            return size[0], size[1], thumb(im)
    except Exception as e:  # noqa: BLE001 - any failure is "cannot read"
        raise Unreadable(f"Pillow: {e}") from e


def thumb(im):
    from PIL import Image
    import numpy as np
    rgba = im.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    white.alpha_composite(rgba)
    return np.asarray(white.convert("RGB").resize((32, 32), Image.BILINEAR), dtype=np.float32)


def decoded_seconds(path, kind):
    """Seconds of the first `kind` ('a' or 'v') stream, by decoding it all."""
    if kind == "a":
        out = run(["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-map", "0:a:0", "-ac", "1", "-ar", "8000", "-f", "s16le", "-"])
        if out.returncode != 0 and not out.stdout:
            raise Unreadable(out.stderr.decode(errors="replace").strip()[:200])
        if not out.stdout:
            raise Unreadable("no audio samples decode")
        return len(out.stdout) / 16000.0
    out = run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames", "-show_entries",
               "stream=nb_read_frames,avg_frame_rate,r_frame_rate,width,height,duration", "-of", "json", path])
    if out.returncode != 0:
        raise Unreadable(out.stderr.decode(errors="replace").strip()[:200])
    streams = json.loads(out.stdout or b"{}").get("streams", [])
    if not streams or not int(streams[0].get("nb_read_frames") or 0):
        raise Unreadable("no video frames decode")
    stream = streams[0]
    # The video's own extent, from its packets: the container's duration
    # counts subtitles and audio, and declared frame rates can be wrong.
    packets = run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time,duration_time",
                   "-of", "csv=p=0", path])
    spans = []
    for line in packets.stdout.decode(errors="replace").splitlines():
        fields = line.split(",")
        try:
            start = float(fields[0])
            spans.append((start, start + (float(fields[1]) if len(fields) > 1 and fields[1] not in ("", "N/A") else 0.0)))
        except ValueError:
            continue
    if spans:
        stream["duration"] = max(e for _, e in spans) - min(s for s, _ in spans)
    return stream


def media_reference(path):
    out = run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,disposition:format=duration", "-of", "json", path])
    if out.returncode != 0:
        raise Unreadable(out.stderr.decode(errors="replace").strip()[:200])
    info = json.loads(out.stdout or b"{}")
    kinds = set()
    for s in info.get("streams", []):
        if s.get("codec_type") == "video" and s.get("disposition", {}).get("attached_pic"):
            continue
        if s.get("codec_type") in ("audio", "video"):
            kinds.add(s["codec_type"][0])
    if not kinds:
        raise Unreadable("no audio or video stream")
    summary = {"kinds": set(), "duration": float(info.get("format", {}).get("duration") or 0)}
    for kind, key in (("a", "audio_seconds"), ("v", "video")):
        if kind in kinds:
            try:
                summary[key] = decoded_seconds(path, kind)
                summary["kinds"].add(kind)
            except Unreadable:
                pass
    if not summary["kinds"]:
        raise Unreadable("no audio or video decodes")
    return summary


# Chinese and Japanese are written without spaces, so a line may wrap
# anywhere in what the word pattern sees as one word: each Han or kana
# character counts as a word of its own.
WORD = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[^\W_\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+", re.UNICODE)


def words(text):
    # NFKC: superscript and subscript digits (km², H₂O) are the digits.
    # A hyphenated compound is one word without its hyphen: pdftotext joins
    # "lorem-" and "ipsum" across a line break into "loremipsum".
    import unicodedata
    text = re.sub(r"(?<=[^\W\d_])-(?=[^\W\d_])", "", unicodedata.normalize("NFKC", text))
    return collections.Counter(w.lower() for w in WORD.findall(text))


def libreoffice_text(path):
    """The text LibreOffice Writer reads from `path` (RTF: pandoc 2.17 reads
    only Windows-1252 and Unicode escapes; LibreOffice every code page)."""
    import tempfile
    import threading
    with tempfile.TemporaryDirectory() as out:
        profile = f"file:///tmp/fileconv-judge-lo-{os.getpid()}-{threading.get_ident()}"
        result = run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--norestore",
                      "--convert-to", "txt:Text (encoded):UTF8", "--outdir", out, path])
        produced = [f for f in os.listdir(out) if f.endswith(".txt")]
        if result.returncode != 0 or not produced:
            raise Unreadable("LibreOffice: " + result.stderr.decode(errors="replace").strip()[:200])
        return open(os.path.join(out, produced[0]), encoding="utf-8-sig", errors="replace").read()


def zip_xml_text(path, members, tags, joiner="\n"):
    """The text of `tags` elements in the zip's `members` parts, in document
    order; with `joiner` "", runs (`t`) join as they are and `br` and
    paragraph ends (`p`) become line breaks."""
    import xml.etree.ElementTree as ET
    parts = []
    with zipfile.ZipFile(path) as z:
        for name in sorted(n for n in z.namelist() if re.match(members, n)):
            root = ET.fromstring(z.read(name))
            for el in root.iter():
                tag = el.tag.rsplit("}", 1)[-1]
                if joiner == "" and tag in ("br", "p"):
                    parts.append("\n")
                elif tag in tags:
                    parts.append("".join(el.itertext()))
            parts.append("\n")
    return joiner.join(parts)


def document_reference(path, ext):
    try:
        if ext == "pptx":
            # Paragraph by paragraph (a word's letters may sit in several
            # runs), a line break (a:br) between its lines.
            return words(zip_xml_text(path, r"ppt/slides/slide\d+\.xml$", {"t", "br"}, joiner=""))
        if ext == "odp":
            return words(zip_xml_text(path, r"content\.xml$", {"p", "h"}))
    except Exception as e:  # noqa: BLE001
        raise Unreadable(f"zip/xml: {e}") from e
    if ext == "rtf":
        return words(libreoffice_text(path))
    reader = {"htm": "html", "xhtml": "html", "md": "markdown"}.get(ext, ext)
    out = run(["pandoc", "-f", reader, "-t", "plain", "--wrap=none", "--lua-filter", os.path.join(HERE, "no-images.lua"), path])
    if out.returncode != 0:
        raise Unreadable("pandoc: " + out.stderr.decode(errors="replace").strip()[:200])
    return words(out.stdout.decode(errors="replace"))


def pdf_reference(path):
    out = run(["pdftotext", "-enc", "UTF-8", path, "-"])
    if out.returncode != 0:
        raise Unreadable("pdftotext: " + out.stderr.decode(errors="replace").strip()[:200])
    pages = out.stdout.decode(errors="replace").split("\f")
    size = run(["pdfinfo", path]).stdout.decode(errors="replace")
    m = re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", size)
    rotated = re.search(r"Page rot:\s+(90|270)\b", size) is not None
    dims = (float(m.group(1)), float(m.group(2))) if m else None
    if dims and rotated:
        dims = (dims[1], dims[0])
    return {"words": words("\n".join(pages)), "pages": [words(p) for p in pages if p.strip()],
            "size": dims if dims and min(dims) > 0 else None}


def cell_text(value):
    import datetime
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d") if value.time() == datetime.time() else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.timedelta):
        minutes = round(value.total_seconds() / 60)
        return f"{'-' if minutes < 0 else ''}{abs(minutes) // 60}:{abs(minutes) % 60:02d}"
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M")
    if isinstance(value, datetime.date):
        return str(value)
    # OOXML escapes characters XML cannot hold as _xHHHH_, as Excel and
    # LibreOffice read them; openpyxl leaves them as written.
    text = re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), str(value)).strip()
    return text or None


def sheet_reference(path, ext, sniff=True):
    """The first sheet's non-empty cells as normalised values. A source CSV's
    delimiter is sniffed; fileconv's CSV output is comma-separated."""
    try:
        if ext in ("xlsx", "xlsm"):
            import openpyxl
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
            ws = wb.worksheets[0]
            values = [cell_text(v) for row in ws.iter_rows(values_only=True) for v in row]
        elif ext == "xls":
            import xlrd
            book = xlrd.open_workbook(path)
            sheet = book.sheet_by_index(0)
            values = []
            for r in range(sheet.nrows):
                for c in range(sheet.ncols):
                    cell = sheet.cell(r, c)
                    if cell.ctype == xlrd.XL_CELL_DATE:
                        values.append(cell_text(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode)))
                    elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                        values.append(cell_text(bool(cell.value)))
                    elif cell.ctype == xlrd.XL_CELL_ERROR:
                        values.append(None)
                    else:
                        values.append(cell_text(cell.value))
        elif ext == "xlsb":
            import pyxlsb
            with pyxlsb.open_workbook(path) as wb:
                with wb.get_sheet(1) as sheet:
                    # pyxlsb gives error cells as their hex code ("0x1d" for #NUM!).
                    values = [None if isinstance(c.v, str) and re.fullmatch(r"0x[0-9a-f]{1,2}", c.v) else cell_text(c.v)
                              for row in sheet.rows(sparse=True) for c in row]
        elif ext == "ods":
            values = ods_values(path)
        else:
            import csv
            delimiter = "\t" if ext == "tsv" else ","
            with open(path, newline="", encoding="utf-8-sig", errors="strict") as f:
                sample = f.read(65536)
                f.seek(0)
                if ext == "csv" and sniff:
                    try:
                        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
                    except csv.Error:
                        pass
                values = [cell_text(numeric(v)) for row in csv.reader(f, delimiter=delimiter) for v in row]
    except Exception as e:  # noqa: BLE001
        raise Unreadable(f"{type(e).__name__}: {e}"[:200]) from e
    return collections.Counter(v for v in values if v is not None)


def ods_values(path):
    """The first table's cells, text as LibreOffice shows it (text:s, tabs,
    line breaks; annotations left out)."""
    import xml.etree.ElementTree as ET
    T = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
    X = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
    O = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
    with zipfile.ZipFile(path) as z:
        root = ET.fromstring(z.read("content.xml"))
    table = next(root.iter(T + "table"), None)
    values = []
    if table is None:
        return values

    def text_of(el):
        out = [el.text or ""]
        for child in el:
            tag = child.tag
            if tag == O + "annotation":
                pass
            elif tag == X + "s":
                out.append(" " * int(child.get(X + "c", "1")))
            elif tag == X + "tab":
                out.append("\t")
            elif tag == X + "line-break":
                out.append("\n")
            else:
                out.append(text_of(child))
            out.append(child.tail or "")
        return "".join(out)

    for row in table.iter(T + "table-row"):
        for cell in row:
            if cell.tag != T + "table-cell":
                continue
            kind = cell.get(O + "value-type")
            if kind in ("float", "percentage", "currency"):
                v = float(cell.get(O + "value"))
            elif kind == "boolean":
                v = cell.get(O + "boolean-value") == "true"
            elif kind == "date":
                v = cell.get(O + "date-value")
            else:
                v = "\n".join(text_of(p) for p in cell if p.tag in (X + "p", X + "h"))
            values.append(cell_text(v))
    return values


def numeric(text):
    try:
        return float(text) if re.fullmatch(r"\s*-?\d+(\.\d+)?([eE][-+]?\d+)?\s*", text) else text
    except ValueError:
        return text


def reference(path, family, ext):
    if family == "image":
        return image_reference(path, ext)
    if family in ("audio", "video"):
        return media_reference(path)
    if family == "document":
        return document_reference(path, ext)
    if family == "sheet":
        return sheet_reference(path, ext)
    return pdf_reference(path)


# ---------------------------------------------------------------- checks


def recall(ref, got):
    total = sum(ref.values())
    if total == 0:
        return 1.0
    return sum(min(n, got.get(w, 0)) for w, n in ref.items()) / total


def check_image(ref, out_path, _target):
    w, h, ref_thumb = ref
    try:
        ow, oh, out_thumb = pil_summary(out_path)
    except Unreadable as e:
        return f"output unreadable: {e}"
    if (ow, oh) != (w, h):
        return f"size {ow}x{oh}, reference {w}x{h}"
    # Under 64 pixels, JPEG's chroma subsampling alone moves colours a lot.
    if ref_thumb is not None and out_thumb is not None and w * h >= 64:
        diff = float(abs(ref_thumb - out_thumb).mean())
        if diff > 14:
            return f"pixels differ: mean difference {diff:.1f}/255"
    return None


def check_media(ref, out_path, target):
    try:
        got = media_reference(out_path)
    except Unreadable as e:
        return f"output unreadable: {e}"
    if target in ("wav", "mp3", "flac"):
        if "a" not in got["kinds"]:
            return "no audio in the output"
        want, have = ref.get("audio_seconds", 0), got.get("audio_seconds", 0)
        if abs(want - have) > max(0.06, 0.01 * want):
            return f"audio lasts {have:.3f} s, source {want:.3f} s"
        return None
    if target == "gif":
        if "v" not in ref["kinds"]:
            return None
        sv, gv = ref["video"], got.get("video")
        if not gv:
            return "no frames in the output"
        src_frames = int(sv.get("nb_read_frames") or 0)
        src_rate = fraction(sv.get("avg_frame_rate")) or fraction(sv.get("r_frame_rate"))
        src_seconds = seconds_of(sv, ref["duration"])
        gif_frames = int(gv.get("nb_read_frames") or 0)
        gif_seconds = got["duration"]
        if gif_frames == 0:
            return "no frames in the output"
        if src_seconds and abs(gif_seconds - src_seconds) > max(0.11, 2 / (src_rate or 10)):
            return f"gif lasts {gif_seconds:.2f} s, source {src_seconds:.2f} s"
        return None
    missing = ref["kinds"] - got["kinds"]
    if missing:
        return "output lacks the source's " + " and ".join({"a": "audio", "v": "video"}[k] for k in sorted(missing))
    if "v" in ref["kinds"]:
        sv, ov = ref["video"], got["video"]
        sf, of = int(sv.get("nb_read_frames") or 0), int(ov.get("nb_read_frames") or 0)
        src_rate, out_rate = fraction(sv.get("avg_frame_rate")), fraction(ov.get("avg_frame_rate"))
        src_seconds = seconds_of(sv, ref["duration"])
        out_seconds = seconds_of(ov, got["duration"])
        tolerance = max(2 / (src_rate if 1 <= src_rate <= 240 else 25), 0.1)
        if src_seconds and abs(src_seconds - out_seconds) > tolerance:
            return f"video lasts {out_seconds:.2f} s ({of} frames), source {src_seconds:.2f} s ({sf} frames)"
        if sf and abs(src_rate - out_rate) < 0.01 and of < sf:
            return f"video has {of} frames, source {sf}"
        if (sv.get("width"), sv.get("height")) != (ov.get("width"), ov.get("height")):
            return f"video is {ov.get('width')}x{ov.get('height')}, source {sv.get('width')}x{sv.get('height')}"
    if "a" in ref["kinds"]:
        want, have = ref.get("audio_seconds", 0), got.get("audio_seconds", 0)
        if abs(want - have) > max(0.1, 0.02 * want):
            return f"audio lasts {have:.3f} s, source {want:.3f} s"
    return None


def seconds_of(stream, fallback):
    try:
        return float(stream.get("duration"))
    except (TypeError, ValueError):
        return fallback


def fraction(text):
    try:
        n, d = (text or "0/0").split("/")
        return float(n) / float(d) if float(d) else 0.0
    except ValueError:
        return 0.0


def output_words(out_path, target):
    if target == "pdf":
        out = run(["pdftotext", "-enc", "UTF-8", out_path, "-"])
        if out.returncode != 0:
            raise Unreadable("pdftotext: " + out.stderr.decode(errors="replace").strip()[:200])
        return words(out.stdout.decode(errors="replace"))
    return words(open(out_path, encoding="utf-8", errors="replace").read())


def check_words(ref, out_path, target):
    try:
        got = output_words(out_path, target)
    except Unreadable as e:
        return f"output unreadable: {e}"
    r = recall(ref, got)
    if r < 0.97:
        missing = [w for w, n in ref.most_common() if got.get(w, 0) < n][:8]
        return f"{r:.0%} of the reference's {sum(ref.values())} words (missing: {' '.join(missing)})"
    return None


def check_pdf(ref, out_path, target):
    if target == "txt":
        got = words(open(out_path, encoding="utf-8", errors="replace").read())
        r = recall(ref["words"], got)
        if r < 0.97:
            missing = [w for w, n in ref["words"].most_common() if got.get(w, 0) < n][:8]
            return f"{r:.0%} of pdftotext's {sum(ref['words'].values())} words (missing: {' '.join(missing)})"
        return None
    try:
        w, h, _ = pil_summary(out_path, thumbnail=False)
    except Unreadable as e:
        return f"output unreadable: {e}"
    if ref["size"] and h:
        pw, ph = ref["size"]
        if abs(w / h - pw / ph) > 0.02 * (pw / ph):
            return f"page image {w}x{h}, page {pw:g}x{ph:g} pt"
    return None


def check_sheet(ref, out_path, target):
    try:
        got = sheet_reference(out_path, target, sniff=False)
    except Unreadable as e:
        return f"output unreadable: {e}"
    got_keys = collections.Counter()
    shown = collections.defaultdict(set)  # decimals shown -> numbers as displayed
    for k, n in got.items():
        got_keys[normalise(k)] += n
        number = displayed_number(k)
        if number is not None:
            shown[number[1]].add(round(number[0], number[1]))
    total = found = 0
    missing = []
    for k, n in ref.items():
        key = normalise(k)
        total += n
        have = min(n, got_keys.get(key, 0))
        if have < n and isinstance(k, float):
            # A number written as displayed (12,346 or 45% or a date) is kept.
            if any(round(k, d) in values for d, values in shown.items()) or excel_date(k) in got_keys:
                have = n
        if have < n and isinstance(k, str):
            # A date, time or duration kept as its serial number (a negative
            # date, which Excel cannot show, or a [h]:mm duration).
            serial = excel_serial(k)
            if serial is not None and any(abs(serial - v) < 1 / 2880 for v in shown.get(9, ())):
                have = n
        found += have
        if have < n and len(missing) < 6:
            missing.append(repr(key))
    r = found / total if total else 1.0
    if r < 0.98:
        return f"{r:.0%} of {total} cells (missing: {', '.join(missing)})"
    return None


def displayed_number(value):
    """(number, decimals shown) of a cell written as a formatted number."""
    if isinstance(value, float):
        return value, 9
    text = str(value).strip().replace(",", "").replace("\u00a0", "").lstrip("$€£¥").strip()
    scale = 1.0
    if text.endswith("%"):
        text, scale = text[:-1], 0.01
    m = re.fullmatch(r"\(?-?\d+(\.(\d+))?\)?", text)
    if not m:
        return None
    negative = text.startswith("(") or text.startswith("-")
    number = float(text.strip("()").lstrip("-")) * (-1 if negative else 1) * scale
    decimals = len(m.group(2) or "") + (2 if scale != 1.0 else 0)
    return number, decimals


def excel_date(serial):
    import datetime
    if not 1 <= serial < 2958466:
        return None
    moment = datetime.datetime(1899, 12, 30) + datetime.timedelta(days=serial)
    return moment.strftime("%Y-%m-%d") if serial == int(serial) else moment.strftime("%Y-%m-%d %H:%M")


def excel_serial(text):
    """The Excel serial (1900 system) of a date, date and time, or H:MM
    duration as `cell_text` writes it, or None."""
    import datetime
    m = re.fullmatch(r"(-?)(\d+):(\d\d)", text)
    if m:
        days = (int(m.group(2)) * 60 + int(m.group(3))) / 1440
        return -days if m.group(1) else days
    for form in ("%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            moment = datetime.datetime.strptime(text, form)
        except ValueError:
            continue
        # Serials 1 to 59 (Jan and Feb 1900) count Excel's phantom 29 February.
        epoch = datetime.datetime(1899, 12, 31) if datetime.datetime(1900, 1, 1) <= moment < datetime.datetime(1900, 3, 1) else datetime.datetime(1899, 12, 30)
        return (moment - epoch).total_seconds() / 86400
    return None


ISO_DATETIME = re.compile(r"^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d)(:\d\d(\.\d+)?)?$")


def normalise(value):
    if isinstance(value, float):
        return f"{value:.6g}"
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").strip()
    m = re.fullmatch(r"(1899-12-3[01][T ])?(\d{1,2}):(\d\d)(:\d\d(\.\d+)?)?( ?[AP]M)?", text)
    if m and (m.group(1) or m.group(4) is not None):
        hour = int(m.group(2)) % 12 + (12 if (m.group(6) or "").strip() == "PM" else 0) if m.group(6) else int(m.group(2))
        return f"{hour:02d}:{m.group(3)}"
    m = ISO_DATETIME.match(text)
    if m:
        return m.group(1) if m.group(2) == "00:00" and not (m.group(3) or ":00").strip(":0.") else f"{m.group(1)} {m.group(2)}"
    f = numeric(text)
    return f"{f:.6g}" if isinstance(f, float) else text


CHECKS = {"image": check_image, "document": check_words, "pdf": check_pdf, "sheet": check_sheet}


# ---------------------------------------------------------------- running


def convert(fileconv, src, out):
    """(class or None, exit code, stderr, seconds, peak bytes of this process)."""
    import tempfile
    import threading
    start = time.monotonic()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([fileconv, "convert", src, out], stdout=subprocess.DEVNULL, stderr=err,
                                start_new_session=True)
        timer = threading.Timer(TIMEOUT, lambda: os.killpg(proc.pid, signal.SIGKILL))
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - start
        err.seek(0)
        text = err.read().decode(errors="replace").strip()
    if seconds >= TIMEOUT:
        return "timeout", None, text, seconds, 0
    return None, proc.returncode, text, seconds, usage.ru_maxrss * 1024


def judge_file(args, rel):
    src = os.path.join(args.corpus, rel)
    ext = rel.rsplit(".", 1)[-1].lower()
    family = FAMILY_OF[ext]
    try:
        ref, ref_error = reference(src, family, ext), None
    except Unreadable as e:
        ref, ref_error = None, str(e)
    except subprocess.TimeoutExpired:
        ref, ref_error = None, "reference timed out"
    except Exception as e:  # noqa: BLE001 - a reader that breaks cannot read the file
        ref, ref_error = None, f"reference failed: {type(e).__name__}: {e}"[:200]
    results = []
    for target in TARGETS[family]:
        if target == ext or (family == "sheet" and ext in ("csv", "tsv") and target == "csv"):
            continue
        out = os.path.join(args.out, "results", rel + "." + target)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        if os.path.exists(out):
            os.remove(out)
        target_ref = ref
        if family == "video" and target == "gif" and ref is not None and "v" not in ref["kinds"]:
            target_ref = None  # nothing to animate: refusing is right
        if family == "audio" and ref is not None and "a" not in ref["kinds"]:
            target_ref = None  # no sound to convert
        klass, code, err, seconds, peak = convert(args.fileconv, src, out)
        reason = err.splitlines()[-1] if err else ""
        if klass is None:
            if peak > GIB:
                klass = "over-1GB"
            elif code < 0 or code == 101:
                klass, reason = "crash", f"exit {code}: {reason}"
            elif code != 0:
                if target_ref is None:
                    klass = "refused-both"
                else:
                    klass = "refused" if code in (3, 4) else "error"
            elif target_ref is None:
                klass, reason = "unjudged", ref_error or "the source has nothing of this kind to convert"
            else:
                try:
                    problem = (check_media(ref, out, target) if family in ("audio", "video")
                               else CHECKS[family](ref, out, target))
                except subprocess.TimeoutExpired:
                    problem = "the reader timed out on the output"
                except Exception as e:  # noqa: BLE001
                    problem = f"the reader failed on the output: {type(e).__name__}: {e}"[:200]
                listed = REFERENCE_ERRORS.get((rel, target)) or REFERENCE_ERRORS.get((rel, "*"))
                if problem is None:
                    klass = "right"
                elif listed:
                    klass, reason = "reference-wrong", f"{problem} [the reference is wrong: {listed}]"
                else:
                    klass = "warned" if WARNING.search(err) else "wrong"
                    reason = problem + (f" [stderr: {reason}]" if reason else "")
        results.append((family, rel, target, klass, f"{seconds:.2f}", reason.replace("\t", " ").replace("\n", " ")))
        if not args.keep and os.path.exists(out):
            os.remove(out)
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("fileconv")
    parser.add_argument("corpus")
    parser.add_argument("out")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--only", default="")
    parser.add_argument("--keep", action="store_true", help="keep the converted files")
    parser.add_argument("--resume", action="store_true", help="keep the results of files already judged")
    args = parser.parse_args()
    args.fileconv = os.path.abspath(args.fileconv)
    files = sorted(
        os.path.relpath(os.path.join(d, f), args.corpus)
        for d, _, fs in os.walk(args.corpus) for f in fs
        if f.rsplit(".", 1)[-1].lower() in FAMILY_OF
    )
    files = [f for f in files if args.only in f]
    os.makedirs(args.out, exist_ok=True)
    results = os.path.join(args.out, "results.tsv")
    done = {}
    if args.resume and os.path.exists(results):
        for line in open(results).read().splitlines()[1:]:
            row = tuple(line.split("\t"))
            done.setdefault(row[1], []).append(row)
    rows = [row for rel in files for row in done.get(rel, [])]
    todo = [rel for rel in files if rel not in done]
    with open(results, "w") as f:
        f.write("family\tfile\ttarget\tclass\tseconds\treason\n")
        for row in rows:
            f.write("\t".join(row) + "\n")
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            for i, result in enumerate(pool.map(lambda rel: judge_file(args, rel), todo), 1):
                rows.extend(result)
                for row in result:
                    f.write("\t".join(row) + "\n")
                f.flush()
                if i % 50 == 0:
                    print(f"{i}/{len(todo)} files", file=sys.stderr)
    print_table(rows, len(files))


def print_table(rows, nfiles):
    by_family = collections.defaultdict(collections.Counter)
    files = collections.defaultdict(set)
    for family, rel, _t, klass, _s, _r in rows:
        by_family[family][klass] += 1
        files[family].add(rel)
    header = ["family", "files", "conversions"] + CLASSES
    print(" | ".join(header))
    total = collections.Counter()
    for family in FAMILIES:
        c = by_family.get(family, collections.Counter())
        total.update(c)
        print(" | ".join([family, str(len(files[family])), str(sum(c.values()))] + [str(c[k]) for k in CLASSES]))
    print(" | ".join(["all", str(nfiles), str(sum(total.values()))] + [str(total[k]) for k in CLASSES]))
    readable = sum(total[k] for k in CLASSES if k not in ("refused-both", "unjudged", "reference-wrong"))
    if readable:
        print(f"right: {total['right']}/{readable} conversions the references can check = {total['right'] / readable:.1%};"
              f" silent losses (wrong): {total['wrong']}")


if __name__ == "__main__":
    main()
