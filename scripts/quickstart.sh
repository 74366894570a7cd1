#!/usr/bin/env bash
# The published Quick Start of the CocoConvert API, as its documentation
# gives it: plain curl and `jq -r`, one poll right after create, a download
# without -L. Only the host and the key are ours to fill in:
#   BASE_URL=http://127.0.0.1:8080 API_KEY=coco_... scripts/quickstart.sh
# Run from the folder holding photo.png; it leaves output.jpg there.
# The free tier is the same script without its three bearer-key header lines
# (the end-to-end test does exactly that with grep -v).
BASE_URL="${BASE_URL:-http://127.0.0.1:8080}"
API_KEY="${API_KEY:-coco_your_api_key}"

# 1. Get a pre-signed upload URL
RESPONSE=$(curl -s -X POST "$BASE_URL/api/files/get-upload-url" \
  -H "Authorization: Bearer $API_KEY" \
  -H "Content-Type: application/json" \
  -d '{"fileName": "photo.png", "fileSize": 204800, "contentType": "image/png"}')
UPLOAD_URL=$(echo "$RESPONSE" | jq -r '.uploadUrl')
FILE_KEY=$(echo "$RESPONSE" | jq -r '.fileKey')

# 2. Upload the file
curl -X PUT "$UPLOAD_URL" \
  -H "Content-Type: image/png" \
  --data-binary @photo.png

# 3. Create the conversion job
JOB=$(curl -s -X POST "$BASE_URL/api/jobs/create" \
  -H "Authorization: Bearer $API_KEY" \
  -H "Content-Type: application/json" \
  -d "{\"fileKey\": \"$FILE_KEY\", \"sourceFormat\": \"png\", \"targetFormat\": \"jpg\", \"fileSize\": 204800}")
JOB_ID=$(echo "$JOB" | jq -r '.jobId')

# 4. Check the job and download the result
STATUS=$(curl -s \
  -H "Authorization: Bearer $API_KEY" \
  "$BASE_URL/api/jobs/$JOB_ID")
DOWNLOAD_URL=$(echo "$STATUS" | jq -r '.downloadUrl')
curl -o output.jpg "$DOWNLOAD_URL"
