#!/usr/bin/env bash
# Makes the bench inputs in bench-data/ (not committed):
# - a 9-megapixel photo-like image (ImageMagick plasma fractal with
#   sensor-like noise), as an 8-bit PNG (15 MB) and a quality-90 JPEG;
# - 5 minutes of music-like stereo audio at 44.1 kHz (pink noise in each
#   channel under a chord of sines, made by ffmpeg) as 16-bit WAV (53 MB),
#   FLAC and 192k MP3, and the same looped to one hour (635 MB WAV) for the
#   memory target;
# - 20 s of 1280x720 video at 30 fps (ffmpeg's testsrc2 with light moving
#   noise, so the encoder has real work) with stereo audio, as H.264 + AAC in
#   MP4 and in Matroska (for the remux case);
# - a table of 200,000 rows x 10 columns (an id, names, numbers, dates,
#   booleans, text with commas and quotes) as CSV (written by a few lines of
#   Python) and as XLSX (written from that CSV by LibreOffice, shared strings
#   and styled date cells as Excel writes them);
# - a 200 KB Markdown document: the Markdown fixture's body repeated.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench-data
if [ ! -s bench-data/photo.png ]; then
  convert -size 3672x2448 -seed 42 plasma:fractal -blur 0x1.5 -attenuate 0.25 +noise Gaussian -depth 8 bench-data/photo.png
fi
if [ ! -s bench-data/photo.jpg ]; then
  convert bench-data/photo.png -quality 90 bench-data/photo.jpg
fi
ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }
if [ ! -s bench-data/music.wav ]; then
  ff -f lavfi -i "anoisesrc=color=pink:amplitude=0.15:seed=1:sample_rate=44100:duration=300" \
     -f lavfi -i "anoisesrc=color=pink:amplitude=0.15:seed=2:sample_rate=44100:duration=300" \
     -f lavfi -i "aevalsrc=0.2*sin(2*PI*220*t)+0.15*sin(2*PI*277.2*t)+0.1*sin(2*PI*329.6*t)*sin(2*PI*0.5*t):s=44100:d=300" \
     -filter_complex "[0][2]amix=inputs=2:normalize=0[l];[1][2]amix=inputs=2:normalize=0[r];[l][r]amerge=inputs=2[a]" \
     -map "[a]" -c:a pcm_s16le bench-data/music.wav
fi
[ -s bench-data/music.flac ] || ff -i bench-data/music.wav -c:a flac bench-data/music.flac
[ -s bench-data/music.mp3 ] || ff -i bench-data/music.wav -c:a libmp3lame -b:a 192k bench-data/music.mp3
[ -s bench-data/hour.wav ] || ff -stream_loop 11 -i bench-data/music.wav -c copy bench-data/hour.wav
if [ ! -s bench-data/movie.mp4 ]; then
  ff -f lavfi -i "testsrc2=size=1280x720:rate=30:duration=20,noise=alls=3:allf=t" \
     -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=20" -ac 2 \
     -c:v libx264 -preset medium -crf 20 -pix_fmt yuv420p -c:a aac -b:a 160k bench-data/movie.mp4
fi
[ -s bench-data/movie.mkv ] || ff -i bench-data/movie.mp4 -c copy bench-data/movie.mkv
if [ ! -s bench-data/table.csv ]; then
  python3 - bench-data/table.csv <<'PY'
import csv, datetime, random, sys
random.seed(7)
words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
start = datetime.date(2020, 1, 1)
with open(sys.argv[1], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["id", "name", "city", "amount", "count", "ratio", "date", "active", "note", "code"])
    for i in range(200_000):
        w.writerow([i + 1, random.choice(words).title() + " " + random.choice(words), random.choice(words).upper(),
                    round(random.uniform(-1000, 100000), 2), random.randint(0, 5000), round(random.random(), 6),
                    (start + datetime.timedelta(days=i % 2000)).isoformat(), random.choice(["TRUE", "FALSE"]),
                    'note, "quoted" %d' % (i % 97), "C%05d" % random.randint(0, 99999)])
PY
fi
[ -s bench-data/table.xlsx ] || soffice --headless --norestore --convert-to xlsx --outdir bench-data bench-data/table.csv >/dev/null 2>&1
if [ ! -s bench-data/doc.md ]; then
  for _ in $(seq 230); do sed '1,/^---$/{/^---$/!d};1,/^---$/d' testdata/document/sample.md; echo; done > bench-data/doc.md
fi
# The same document as Word writes it (pandoc's docx), for docx to Markdown.
[ -s bench-data/doc.docx ] || pandoc -f gfm bench-data/doc.md -o bench-data/doc.docx
# A 40-slide deck (pandoc's pptx of the sample, a slide per section) for the slides-to-PDF rows.
if [ ! -s bench-data/deck.pptx ]; then
  for _ in $(seq 10); do sed '1,/^---$/{/^---$/!d};1,/^---$/d' testdata/document/sample.md; echo; done > bench-data/deck.md
  pandoc -f gfm bench-data/deck.md -o bench-data/deck.pptx
fi
# Small files, where start-up is most of the work: a 13 KB PNG (56x42), and 1,000
# small PNGs (one 100x75 plasma picture of 41 KB, copied) for the batch case.
[ -s bench-data/small.png ] || convert -size 56x42 -seed 5 plasma:fractal bench-data/small.png
if [ ! -s bench-data/many/0999.png ]; then
  mkdir -p bench-data/many
  convert -size 100x75 -seed 9 plasma:fractal bench-data/many/0000.png
  for i in $(seq 1 999); do cp bench-data/many/0000.png "bench-data/many/$(printf %04d "$i").png"; done
fi
