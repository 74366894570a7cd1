#!/usr/bin/env python3
"""Chooses the real-world corpus from local snapshots of public repositories.

Reads the snapshots under $MIRRORS (default /work/.mirror/<owner>+<name>/repo,
as the session tool `fetch` leaves them) and writes corpus.tsv beside this
script: one line per file with its repository, commit, path, size, sha256 and
licence. Run once when the corpus changes; `fetch_corpus.py` rebuilds the files from
corpus.tsv on any machine. The choice is deterministic: files are taken in the
order of the sha256 of their path, at most CAP per (repository, extension).
"""
import hashlib
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MIRRORS = os.environ.get("MIRRORS", "/work/.mirror")

# Extensions the engine reads, with the variants real files use.
EXTENSIONS = {
    "jpg", "jpeg", "png", "gif", "bmp", "tif", "tiff", "webp", "ico", "tga", "qoi", "exr", "hdr",
    "pbm", "pgm", "ppm", "pam", "dds", "svg",
    "mp3", "wav", "flac", "ogg", "oga", "opus", "m4a", "m4b", "aac", "ac3", "aif", "aiff", "caf", "wma", "spx",
    "mp4", "m4v", "mov", "mkv", "mka", "webm", "avi", "wmv", "flv", "ts", "mpg", "mpeg", "3gp", "3g2", "ogv",
    "docx", "odt", "rtf", "epub", "html", "htm", "xhtml", "md", "pptx", "odp",
    "xlsx", "xlsm", "xlsb", "xls", "ods", "csv", "tsv",
    "pdf",
}

# (repository, licence, path pattern, cap per extension, largest size in bytes)
SOURCES = [
    ("lovell/sharp", "Apache-2.0", r"^test/fixtures/", 14, 8 << 20),
    ("exiftool/exiftool", "GPL-3.0-or-later OR Artistic-1.0-Perl", r"^t/images/", 12, 8 << 20),
    ("libvips/libvips", "LGPL-2.1-or-later", r"^test/test-suite/images/", 10, 8 << 20),
    ("libsdl-org/libtiff", "libtiff", r"^test/images/", 40, 8 << 20),
    ("pnggroup/libpng", "libpng-2.0", r"^contrib/(pngsuite|testpngs)/", 45, 8 << 20),
    ("libjpeg-turbo/libjpeg-turbo", "IJG AND BSD-3-Clause", r"^testimages/", 20, 8 << 20),
    ("webmproject/libwebp-test-data", "BSD-3-Clause", r"", 30, 8 << 20),
    ("kovidgoyal/calibre", "GPL-3.0", r"^(resources|src/calibre/ebooks|src/odf|manual|icons)/", 7, 8 << 20),
    ("hglm/detex", "ISC", r"", 10, 8 << 20),
    ("beetbox/beets", "MIT", r"^test/rsrc/", 12, 8 << 20),
    ("taglib/taglib", "LGPL-2.1 OR MPL-1.1", r"^tests/data/", 14, 8 << 20),
    ("jiaaro/pydub", "MIT", r"^test/data/", 12, 8 << 20),
    ("mediaelement/mediaelement-files", "MIT (samples: CC-BY Blender Foundation)", r"", 5, 25 << 20),
    ("Matroska-Org/matroska-test-files", "BSD-style (Matroska test suite)", r"", 8, 25 << 20),
    ("sannies/mp4parser", "Apache-2.0", r"", 14, 12 << 20),
    ("google/ExoPlayer", "Apache-2.0", r"^testdata/src/test/assets/media/", 9, 12 << 20),
    ("GStreamer/gst-plugins-good", "LGPL-2.1-or-later", r"^tests/", 6, 12 << 20),
    ("openpreserve/format-corpus", "CC0-1.0 / per-folder (see the repository)", r"", 14, 12 << 20),
    ("mwilliamson/mammoth.js", "BSD-2-Clause", r"^test/test-data/", 20, 8 << 20),
    ("eea/odfpy", "Apache-2.0 OR GPL-2.0-or-later", r"^(tests|examples)/", 12, 8 << 20),
    ("joniles/rtfparserkit", "Apache-2.0", r"", 25, 8 << 20),
    ("dotnet/Open-XML-SDK", "MIT", r"^test/", 18, 8 << 20),
    ("apache/poi", "Apache-2.0", r"^test-data/", 18, 8 << 20),
    ("python-excel/xlrd", "BSD-3-Clause", r"^tests/samples/", 14, 8 << 20),
    ("SheetJS/test_files", "Apache-2.0", r"", 12, 8 << 20),
    ("jmcnamara/XlsxWriter", "BSD-2-Clause", r"^xlsxwriter/test/comparison/xlsx_files/", 18, 8 << 20),
    ("qpdf/qpdf", "Apache-2.0", r"^(qpdf/qtest/qpdf|examples/qtest)/", 22, 8 << 20),
    ("py-pdf/sample-files", "CC-BY-SA-4.0 (per-file notes in the repository)", r"", 32, 12 << 20),
]

# Inner parts of unpacked packages are not files anyone converts.
SKIP = re.compile(r"(/\.|/(META-INF|OEBPS|EPUB|word|xl|ppt)/|_rels/)")


def git(repo_dir, *args):
    return subprocess.run(["git", "-C", repo_dir, *args], check=True, capture_output=True).stdout


def main():
    rows = []
    for repo, licence, pattern, cap, max_bytes in SOURCES:
        repo_dir = os.path.join(MIRRORS, repo.replace("/", "+"), "repo")
        if not os.path.isdir(repo_dir):
            sys.exit(f"no snapshot of {repo} at {repo_dir}")
        commit = git(repo_dir, "rev-parse", "HEAD").decode().strip()
        listing = git(repo_dir, "ls-tree", "-r", "-l", "-z", "HEAD").split(b"\0")
        by_ext = {}
        for entry in listing:
            if not entry:
                continue
            meta, path = entry.split(b"\t", 1)
            _mode, kind, blob, size = meta.split()
            if not size.isdigit():
                continue
            path = path.decode("utf-8", "replace")
            if kind != b"blob" or not re.search(pattern, path) or SKIP.search("/" + path):
                continue
            ext = path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
            if ext not in EXTENSIONS or not 0 < int(size) <= max_bytes:
                continue
            by_ext.setdefault(ext, []).append((hashlib.sha256(path.encode()).hexdigest(), path, blob.decode(), int(size)))
        for ext in sorted(by_ext):
            for _key, path, blob, size in sorted(by_ext[ext])[:cap]:
                data = git(repo_dir, "cat-file", "blob", blob)
                rows.append((repo, commit, path, str(size), hashlib.sha256(data).hexdigest(), licence))
    with open(os.path.join(HERE, "corpus.tsv"), "w") as out:
        out.write("# repository\tcommit\tpath\tbytes\tsha256\tlicence\n")
        for row in rows:
            out.write("\t".join(row) + "\n")
    print(f"{len(rows)} files from {len(SOURCES)} repositories", file=sys.stderr)


if __name__ == "__main__":
    main()
