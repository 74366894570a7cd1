#!/usr/bin/env python3
"""How closely fileconv's PDF of an office file matches LibreOffice's.

    compare.py FILECONV CORPUS_DIR OUT_DIR [--family slides|documents|sheets] [--limit N]

For every file of the family under CORPUS_DIR (pptx/odp/ppt, docx/odt/doc/rtf,
xlsx/ods/xls), converts it to PDF with LibreOffice (`soffice --headless
--convert-to pdf`, cached in OUT_DIR/libreoffice) and with fileconv, then
measures, per file:

- pages agree: same page count, and every page the same size within 1 pt;
- placement: of LibreOffice's words (pdftotext -bbox), matched to ours in
  reading order (difflib on the word sequence; words left over by text to
  the nearest on the same page), the share whose box centre lies within 4%
  of the page's width and height of LibreOffice's;
- similarity: both PDFs drawn at 50 dpi in grey (pdftoppm), per page
  1 - mean absolute difference / 255, averaged over LibreOffice's pages
  (a missing page counts 0).

Prints one line per file and a summary (files, pages agree %, median
placement %, mean similarity %); writes OUT_DIR/fidelity.tsv. Needs
pdftotext, pdftoppm, pdfinfo (poppler-utils), LibreOffice, and Pillow +
numpy (scripts/realworld/requirements.txt).
"""

import argparse
import difflib
import html
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

FAMILIES = {
    "slides": (".pptx", ".odp", ".ppt"),
    "documents": (".docx", ".odt", ".doc", ".rtf"),
    "sheets": (".xlsx", ".ods", ".xls"),
}
WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')
PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">')


def run(args, timeout=180):
    return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)


def libreoffice_pdf(source: Path, cache: Path) -> Path | None:
    cache.mkdir(parents=True, exist_ok=True)
    key = re.sub(r"[^A-Za-z0-9._-]", "_", str(source))[-150:]
    target = cache / (key + ".pdf")
    if target.exists():
        return target if target.stat().st_size else None
    with tempfile.TemporaryDirectory() as work:
        profile = Path(work) / "profile"
        copy = Path(work) / ("in" + source.suffix.lower())
        copy.write_bytes(source.read_bytes())
        try:
            run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--norestore", "--convert-to", "pdf", "--outdir", work, str(copy)], timeout=300)
        except subprocess.TimeoutExpired:
            pass
        made = Path(work) / "in.pdf"
        target.write_bytes(made.read_bytes() if made.exists() else b"")
    return target if target.stat().st_size else None


def words(pdf: Path):
    """Pages as (width, height, [(text, cx, cy)])."""
    out = run(["pdftotext", "-bbox", str(pdf), "-"]).stdout.decode("utf-8", "replace")
    pages = []
    for chunk in out.split("<page ")[1:]:
        m = PAGE.search("<page " + chunk)
        w, h = float(m.group(1)), float(m.group(2))
        found = [(html.unescape(t), (float(a) + float(c)) / 2, (float(b) + float(d)) / 2) for a, b, c, d, t in WORD.findall(chunk)]
        pages.append((w, h, found))
    return pages


def placement(ours, theirs) -> float | None:
    """Share of LibreOffice's words placed as LibreOffice places them: words
    are matched in reading order (difflib on the word sequences), then the
    rest by text to the nearest unmatched word on the same page (reading
    order flips when two boxes sit side by side)."""
    reference = [(p, t, x, y) for p, (w, h, ws) in enumerate(theirs) for t, x, y in ws]
    if not reference:
        return None
    mine = [(p, t, x, y) for p, (w, h, ws) in enumerate(ours) for t, x, y in ws]
    matcher = difflib.SequenceMatcher(None, [r[1] for r in reference], [m[1] for m in mine], autojunk=False)
    pairs = {}
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            pairs[block.a + k] = block.b + k
    used = set(pairs.values())
    for i, (rp, text, rx, ry) in enumerate(reference):
        if i in pairs:
            continue
        candidates = [j for j, m in enumerate(mine) if j not in used and m[0] == rp and m[1] == text]
        if candidates:
            j = min(candidates, key=lambda j: (mine[j][2] - rx) ** 2 + (mine[j][3] - ry) ** 2)
            pairs[i] = j
            used.add(j)
    placed = 0
    for i, j in pairs.items():
        rp, _, rx, ry = reference[i]
        mp, _, mx, my = mine[j]
        w, h = theirs[rp][0], theirs[rp][1]
        if rp == mp and abs(rx - mx) <= 0.04 * w and abs(ry - my) <= 0.04 * h:
            placed += 1
    return placed / len(reference)


def similarity(ours: Path, theirs: Path, work: Path, pages: int, side_by_side: Path | None = None) -> float:
    import numpy as np
    from PIL import Image

    def draw(pdf, prefix):
        run(["pdftoppm", "-r", "50", "-gray", "-l", "50", str(pdf), str(work / prefix)])
        return sorted(work.glob(prefix + "*.pgm"))

    a, b = draw(ours, "ours"), draw(theirs, "theirs")
    if side_by_side is not None and a and b:
        # The first pages side by side, ours on the left, for a person to look at.
        left, right = Image.open(a[0]).convert("L"), Image.open(b[0]).convert("L")
        both = Image.new("L", (left.width + right.width + 8, max(left.height, right.height)), 128)
        both.paste(left, (0, 0))
        both.paste(right, (left.width + 8, 0))
        side_by_side.parent.mkdir(parents=True, exist_ok=True)
        both.save(side_by_side)
    scores = []
    for i, reference in enumerate(b[:50]):
        if i >= len(a):
            scores.append(0.0)
            continue
        x = np.asarray(Image.open(reference), dtype=np.float32)
        y = Image.open(a[i])
        if y.size != (x.shape[1], x.shape[0]):
            y = y.resize((x.shape[1], x.shape[0]))
        scores.append(1.0 - float(np.abs(x - np.asarray(y, dtype=np.float32)).mean()) / 255.0)
    return sum(scores) / len(scores) if scores else 0.0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("fileconv")
    parser.add_argument("corpus", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--family", choices=FAMILIES, default="slides")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--pick", default="", help="only files whose path contains this")
    parser.add_argument("--side-by-side", type=Path, help="save each file's first pages (ours | LibreOffice's) here as PNG")
    args = parser.parse_args()
    files = sorted(p for p in args.corpus.rglob("*") if p.suffix.lower() in FAMILIES[args.family] and args.pick in str(p))
    if args.limit:
        files = files[: args.limit]
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for source in files:
        reference = libreoffice_pdf(source, args.out / "libreoffice")
        if reference is None:
            print(f"skip (LibreOffice made no PDF)\t{source}")
            continue
        with tempfile.TemporaryDirectory() as work:
            work = Path(work)
            ours = work / "ours.pdf"
            result = run([args.fileconv, "convert", "--from", source.suffix[1:].lower(), str(source), str(ours)])
            theirs_words = words(reference)
            if result.returncode != 0 or not ours.exists():
                rows.append((source, False, 0.0, 0.0, len(theirs_words), 0, "failed: " + result.stderr.decode("utf-8", "replace").strip()[:80]))
                print(f"FAILED\t{source}\t{rows[-1][-1]}")
                continue
            ours_words = words(ours)
            agree = len(ours_words) == len(theirs_words) and all(abs(a[0] - b[0]) <= 1 and abs(a[1] - b[1]) <= 1 for a, b in zip(ours_words, theirs_words))
            placed = placement(ours_words, theirs_words)
            picture = args.side_by_side / (re.sub(r"[^A-Za-z0-9._-]", "_", source.name) + ".png") if args.side_by_side else None
            similar = similarity(ours, reference, work, len(theirs_words), picture)
        rows.append((source, agree, placed, similar, len(theirs_words), len(ours_words), ""))
        shown = "-" if placed is None else f"{placed:.0%}"
        print(f"{'agree' if agree else 'differ'}\tplaced {shown}\tsimilar {similar:.0%}\tpages {len(ours_words)}/{len(theirs_words)}\t{source}")
    with open(args.out / "fidelity.tsv", "w") as tsv:
        tsv.write("file\tpages_agree\tplacement\tsimilarity\tpages_libreoffice\tpages_ours\tnote\n")
        for source, agree, placed, similar, theirs, ours, note in rows:
            tsv.write(f"{source}\t{int(agree)}\t{'' if placed is None else f'{placed:.3f}'}\t{similar:.3f}\t{theirs}\t{ours}\t{note}\n")
    if rows:
        placements = [r[2] for r in rows if r[2] is not None]
        print(
            f"{args.family}: {len(rows)} files, pages agree {sum(r[1] for r in rows) / len(rows):.0%}, "
            f"median placement {statistics.median(placements) if placements else 0:.0%} (over {len(placements)} files with text), "
            f"mean similarity {sum(r[3] for r in rows) / len(rows):.0%}"
        )


if __name__ == "__main__":
    sys.exit(main())
