#!/usr/bin/env bash
# Makes the bench inputs in bench-data/ (not committed): a 9-megapixel
# photo-like image (ImageMagick plasma fractal with sensor-like noise), as an
# 8-bit PNG (15 MB) and a quality-90 JPEG.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench-data
if [ ! -s bench-data/photo.png ]; then
  convert -size 3672x2448 -seed 42 plasma:fractal -blur 0x1.5 -attenuate 0.25 +noise Gaussian -depth 8 bench-data/photo.png
fi
if [ ! -s bench-data/photo.jpg ]; then
  convert bench-data/photo.png -quality 90 bench-data/photo.jpg
fi
