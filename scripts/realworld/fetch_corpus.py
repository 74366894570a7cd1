#!/usr/bin/env python3
"""Rebuilds the real-world corpus listed in corpus.tsv under DEST (argument 1),
or, with `--regressions`, the regression fixtures of regressions.tsv as flat
files named by its first column (scripts/make-fixtures puts them in
testdata/realworld).

Each file comes from a local snapshot of its repository when there is one
($MIRRORS/<owner>+<name>/repo, as the session tool `fetch` leaves them), else
from raw.githubusercontent.com at the recorded commit. Every file is checked
against its recorded sha256; files already present and intact are kept.
"""
import hashlib
import os
import subprocess
import sys
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
MIRRORS = os.environ.get("MIRRORS", "/work/.mirror")


def rows(manifest):
    """(repository, commit, path, sha256, file name under DEST)."""
    with open(os.path.join(HERE, manifest)) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            fields = line.rstrip("\n").split("\t")
            if manifest == "regressions.tsv":
                name, repo, commit, path, digest = fields[:5]
                yield repo, commit, path, digest, name
            else:
                repo, commit, path, _size, digest = fields[:5]
                yield repo, commit, path, digest, os.path.join(repo.replace("/", "+"), path)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def main():
    args = [a for a in sys.argv[1:] if a != "--regressions"]
    manifest = "regressions.tsv" if "--regressions" in sys.argv else "corpus.tsv"
    dest = args[0] if args else "target/realworld/corpus"
    fetched = kept = failed = 0
    for repo, commit, path, digest, name in rows(manifest):
        target = os.path.join(dest, name)
        if os.path.exists(target) and sha256(open(target, "rb").read()) == digest:
            kept += 1
            continue
        mirror = os.path.join(MIRRORS, repo.replace("/", "+"), "repo")
        try:
            if os.path.isdir(mirror):
                data = subprocess.run(["git", "-C", mirror, "show", f"{commit}:{path}"], check=True, capture_output=True).stdout
            else:
                url = f"https://raw.githubusercontent.com/{repo}/{commit}/{urllib.request.quote(path)}"
                data = urllib.request.urlopen(url, timeout=60).read()
        except Exception as e:  # noqa: BLE001 - reported and counted
            print(f"fetch: {repo}:{path}: {e}", file=sys.stderr)
            failed += 1
            continue
        if sha256(data) != digest:
            print(f"fetch: {repo}:{path}: sha256 differs from corpus.tsv", file=sys.stderr)
            failed += 1
            continue
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as f:
            f.write(data)
        fetched += 1
    print(f"corpus: {fetched} fetched, {kept} already there, {failed} failed", file=sys.stderr)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
