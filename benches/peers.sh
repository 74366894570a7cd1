#!/usr/bin/env bash
# Side by side: fileconv against libvips and ImageMagick (images), the
# ffmpeg CLI (audio, video), gnumeric's ssconvert (spreadsheets) and pandoc
# (documents) on the
# same files, with the same encoder settings.
# Prints mean wall time (hyperfine), peak RSS (GNU time) and output size, and
# the ratios peer/fileconv (above 1 means fileconv is faster or smaller).
# Usage: benches/peers.sh [start|image|audio|video|sheet|document|all]   (default all)
set -euo pipefail
cd "$(dirname "$0")/.."
benches/make-inputs.sh
cargo build --release -q -p fileconv-cli
FC=$PWD/target/release/fileconv
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
RUNS=${RUNS:-10}

# measure NAME OUTPUT COMMAND: prints "seconds peak_kb bytes"
measure() {
  local json="$out/$1.json"
  hyperfine -N --warmup "${WARMUP:-2}" --runs "$RUNS" --export-json "$json" "$3" >/dev/null 2>&1
  local mean
  mean=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["mean"])' "$json")
  # Peak RSS of the tool itself (no shell in between); word splitting is intended.
  # shellcheck disable=SC2086
  /usr/bin/time -f '%M' -o "$out/$1.mem" $3 >/dev/null 2>&1
  echo "$mean $(tail -1 "$out/$1.mem") $(stat -c %s "$2")"
}

case_row() { # TITLE then triples of NAME OUTPUT COMMAND
  local title=$1; shift
  echo "== $title"
  printf '%-10s %10s %12s %12s %10s %10s\n' tool "time (ms)" "peak (MB)" "bytes" "time x" "mem x"
  local base_t="" base_m=""
  while [ $# -gt 0 ]; do
    read -r t m b < <(measure "$1" "$2" "$3")
    if [ -z "$base_t" ]; then base_t=$t; base_m=$m; fi
    python3 - "$1" "$t" "$m" "$b" "$base_t" "$base_m" <<'PY'
import sys
name, t, m, b, bt, bm = sys.argv[1], *map(float, sys.argv[2:])
print(f"{name:<10} {t*1000:10.1f} {m/1024:12.1f} {int(b):12d} {t/bt:10.2f} {m/bm:10.2f}")
PY
    shift 3
  done
}

what=${1:-all}
if [ "$what" = start ] || [ "$what" = all ]; then
case_row "Start-up: print the version" \
  fileconv "$0" "$FC --version" \
  magick "$0" "convert -version" \
  pandoc "$0" "pandoc --version" \
  vips "$0" "vips --version"

case_row "PNG to JPEG, 10 KB" \
  fileconv "$out/s.jpg" "$FC convert bench-data/small.png $out/s.jpg" \
  vips "$out/t.jpg" "vips copy bench-data/small.png $out/t.jpg" \
  magick "$out/u.jpg" "convert bench-data/small.png $out/u.jpg"

# vips converts one file per process: a shell loop, as people run it.
mkdir -p "$out/many-f" "$out/many-v"
# Both through bash, which expands the file names.
printf 'for f in bench-data/many/*.png; do n=${f##*/}; vips copy "$f" "%s/${n%%.png}.webp"; done\n' "$out/many-v" > "$out/vips-loop.sh"
printf '%s convert bench-data/many/*.png --to webp -j 2 --out-dir %s\n' "$FC" "$out/many-f" > "$out/fileconv-batch.sh"
RUNS=${BATCH_RUNS:-3} WARMUP=1 case_row "1,000 small PNGs to WebP" \
  fileconv "$out/many-f/0999.webp" "bash $out/fileconv-batch.sh" \
  vips "$out/many-v/0999.webp" "bash $out/vips-loop.sh"
fi

if [ "$what" = image ] || [ "$what" = all ]; then
case_row "PNG to JPEG q85, 9 MP" \
  fileconv "$out/f.jpg" "$FC convert bench-data/photo.png $out/f.jpg -o quality=85" \
  vips "$out/v.jpg" "vips copy bench-data/photo.png $out/v.jpg[Q=85]" \
  magick "$out/m.jpg" "convert bench-data/photo.png -quality 85 $out/m.jpg"

case_row "JPEG to PNG, 9 MP" \
  fileconv "$out/f.png" "$FC convert bench-data/photo.jpg $out/f.png" \
  vips "$out/v.png" "vips copy bench-data/photo.jpg $out/v.png" \
  magick "$out/m.png" "convert bench-data/photo.jpg $out/m.png"
fi

if [ "$what" = audio ] || [ "$what" = all ]; then
FF="ffmpeg -nostdin -hide_banner -loglevel error -y"
case_row "WAV to MP3 192k CBR, 5 min stereo" \
  fileconv "$out/f.mp3" "$FC convert bench-data/music.wav $out/f.mp3 -o bitrate=192k" \
  ffmpeg "$out/g.mp3" "$FF -i bench-data/music.wav -c:a libmp3lame -b:a 192k $out/g.mp3"

case_row "FLAC to MP3 192k CBR, 5 min stereo" \
  fileconv "$out/f2.mp3" "$FC convert bench-data/music.flac $out/f2.mp3 -o bitrate=192k" \
  ffmpeg "$out/g2.mp3" "$FF -i bench-data/music.flac -c:a libmp3lame -b:a 192k $out/g2.mp3"

case_row "MP3 to WAV 16-bit, 5 min stereo" \
  fileconv "$out/f.wav" "$FC convert bench-data/music.mp3 $out/f.wav" \
  ffmpeg "$out/g.wav" "$FF -i bench-data/music.mp3 -c:a pcm_s16le $out/g.wav"

RUNS=1 WARMUP=0 case_row "WAV to MP3 192k, 1 hour stereo (memory)" \
  fileconv "$out/h.mp3" "$FC convert bench-data/hour.wav $out/h.mp3 -o bitrate=192k" \
  ffmpeg "$out/k.mp3" "$FF -i bench-data/hour.wav -c:a libmp3lame -b:a 192k $out/k.mp3"
fi

if [ "$what" = video ] || [ "$what" = all ]; then
FF="ffmpeg -nostdin -hide_banner -loglevel error -y"
RUNS=${VIDEO_RUNS:-3} WARMUP=1 case_row "MP4 to MP4, H.264 veryfast crf 23 + AAC 160k, 20 s 720p" \
  fileconv "$out/f.mp4" "$FC convert bench-data/movie.mp4 $out/f.mp4 -o crf=23 -o preset=veryfast -o audioBitrate=160k" \
  ffmpeg "$out/g.mp4" "$FF -i bench-data/movie.mp4 -c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p -c:a aac -b:a 160k $out/g.mp4"

RUNS=${VIDEO_RUNS:-2} WARMUP=0 case_row "MP4 to WebM, VP9 (good, cpu-used 5, row-mt) crf 32 + Opus 128k, 20 s 720p" \
  fileconv "$out/f.webm" "$FC convert bench-data/movie.mp4 $out/f.webm" \
  ffmpeg "$out/g.webm" "$FF -i bench-data/movie.mp4 -c:v libvpx-vp9 -deadline good -cpu-used 5 -row-mt 1 -crf 32 -b:v 0 -pix_fmt yuv420p -c:a libopus -b:a 128k $out/g.webm"

case_row "MKV to MP4 remux (H.264 + AAC copied), 20 s 720p" \
  fileconv "$out/r.mp4" "$FC convert bench-data/movie.mkv $out/r.mp4" \
  ffmpeg "$out/s.mp4" "$FF -i bench-data/movie.mkv -c copy $out/s.mp4"

RUNS=${VIDEO_RUNS:-3} WARMUP=1 case_row "MP4 to GIF, 10 fps, 480 wide, palette, 20 s 720p" \
  fileconv "$out/f.gif" "$FC convert bench-data/movie.mp4 $out/f.gif" \
  ffmpeg "$out/g.gif" "$FF -i bench-data/movie.mp4 -vf fps=10,scale=480:-2:flags=lanczos,split[a][b];[b]palettegen=stats_mode=diff[p];[a][p]paletteuse=diff_mode=rectangle $out/g.gif"
fi

if [ "$what" = sheet ] || [ "$what" = all ]; then
RUNS=${SHEET_RUNS:-3} WARMUP=1 case_row "XLSX to CSV, 200,000 rows x 10 columns" \
  fileconv "$out/f.csv" "$FC convert bench-data/table.xlsx $out/f.csv" \
  ssconvert "$out/s.csv" "ssconvert bench-data/table.xlsx $out/s.csv"

RUNS=${SHEET_RUNS:-3} WARMUP=1 case_row "CSV to XLSX, 200,000 rows x 10 columns" \
  fileconv "$out/f.xlsx" "$FC convert bench-data/table.csv $out/f.xlsx" \
  ssconvert "$out/s.xlsx" "ssconvert bench-data/table.csv $out/s.xlsx"
fi

if [ "$what" = document ] || [ "$what" = all ]; then
case_row "Markdown to HTML, 200 KB" \
  fileconv "$out/f.html" "$FC convert bench-data/doc.md $out/f.html" \
  pandoc "$out/p.html" "pandoc -s -f gfm -t html bench-data/doc.md -o $out/p.html"
case_row "DOCX to Markdown, 200 KB of text" \
  fileconv "$out/f.md" "$FC convert bench-data/doc.docx $out/f.md" \
  pandoc "$out/p.md" "pandoc -f docx -t gfm bench-data/doc.docx -o $out/p.md"
# pandoc makes PDF through LaTeX (not installed); LibreOffice lays out the
# same text from the docx. The issue's target is absolute: under 0.2 s.
cp bench-data/doc.docx "$out/doc.docx"
case_row "Markdown to PDF (LibreOffice: DOCX to PDF), 200 KB" \
  fileconv "$out/f.pdf" "$FC convert bench-data/doc.md $out/f.pdf" \
  soffice "$out/doc.pdf" "soffice --headless --norestore --convert-to pdf --outdir $out $out/doc.docx"
# Office files on their own pages (issue 16): the same files through both.
case_row "DOCX to PDF on its page setup, 200 KB of text" \
  fileconv "$out/fd.pdf" "$FC convert bench-data/doc.docx $out/fd.pdf" \
  soffice "$out/doc.pdf" "soffice --headless --norestore --convert-to pdf --outdir $out $out/doc.docx"
cp bench-data/deck.pptx "$out/deck.pptx"
case_row "PPTX to PDF, 40 slides" \
  fileconv "$out/fp.pdf" "$FC convert bench-data/deck.pptx $out/fp.pdf" \
  soffice "$out/deck.pdf" "soffice --headless --norestore --convert-to pdf --outdir $out $out/deck.pptx"
fi
