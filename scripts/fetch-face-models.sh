#!/usr/bin/env bash
# Fetches and converts the face model (issue 23) reproducibly, and (with --fixtures) makes the
# face test pictures. The results are committed (models/face/, crates/hadir-server/tests/
# fixtures/face/), so neither the build, CI nor the server downloads anything: run this only
# to check or redo them. Every download is pinned and its SHA-256 checked; the converted graph
# must come out byte for byte as committed (--check fails otherwise).
#
#   scripts/fetch-face-models.sh [--check] [--fixtures]
#
# Needs npm and python3 (venv). Work files go under $FACE_WORK (default: a temporary
# directory, deleted at exit).
set -euo pipefail
cd "$(dirname "$0")/.."

CHECK=0
FIXTURES=0
for a in "$@"; do
  case "$a" in
    --check) CHECK=1 ;;
    --fixtures) FIXTURES=1 ;;
    *) echo "usage: $0 [--check] [--fixtures]" >&2; exit 2 ;;
  esac
done

# The detector: MediaPipe's BlazeFace short-range model, in the npm package (Apache-2.0).
NPM_PKG=@mediapipe/face_detection@0.4.1657300184
NPM_TGZ_SHA=a118cde74923dc4435257fbfbb613464a0f58d115dff6314d4ff96c8aebf6419
TFLITE_SHA=3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633
# The converter and its dependencies, pinned.
PY_PKGS=(tflite2onnx==0.4.1 tflite==2.18.0 onnx==1.23.2 numpy==2.4.6 flatbuffers==25.12.19 protobuf==7.36.2)
ONNX_OUT=models/face/face_detection_short_range.onnx
# Fixtures: scikit-image's "astronaut" picture (NASA, public domain) from its wheel.
SKIMAGE_WHL=scikit_image-0.25.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
SKIMAGE_WHL_SHA=24cc986e1f4187a12aa319f777b36008764e856e5013666a4a83f8df083c2641
ASTRONAUT_SHA=88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5

if [ -n "${FACE_WORK:-}" ]; then
  WORK=$FACE_WORK
  mkdir -p "$WORK"
else
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
fi

sha_ok() { # file expected-sha
  local got
  got=$(sha256sum "$1" | cut -d' ' -f1)
  if [ "$got" != "$2" ]; then
    echo "checksum mismatch for $1: $got, expected $2" >&2
    exit 1
  fi
}

echo "==> $NPM_PKG"
(cd "$WORK" && npm pack --silent "$NPM_PKG" >/dev/null)
TGZ=$(ls "$WORK"/mediapipe-face_detection-*.tgz)
sha_ok "$TGZ" "$NPM_TGZ_SHA"
mkdir -p "$WORK/npm"
tar xzf "$TGZ" -C "$WORK/npm"
TFLITE=$WORK/npm/package/face_detection_short_range.tflite
sha_ok "$TFLITE" "$TFLITE_SHA"

echo "==> converter (${PY_PKGS[*]})"
python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install -q "${PY_PKGS[@]}"

echo "==> converting to ONNX"
# tflite2onnx writes the weights in set order (differs run to run): sort them by name so the
# graph is byte-for-byte reproducible, then let onnx's checker validate it.
"$WORK/venv/bin/tflite2onnx" "$TFLITE" "$WORK/raw.onnx" 2>"$WORK/convert.log"
"$WORK/venv/bin/python" - "$WORK/raw.onnx" "$WORK/face_detection_short_range.onnx" <<'EOF'
import sys
import onnx

model = onnx.load(sys.argv[1])
for field in (model.graph.initializer, model.graph.value_info):
    ordered = sorted(field, key=lambda t: t.name)
    del field[:]
    field.extend(ordered)
onnx.checker.check_model(model)
onnx.save(model, sys.argv[2])
EOF
if [ "$CHECK" = 1 ]; then
  cmp "$WORK/face_detection_short_range.onnx" "$ONNX_OUT"
  echo "ok: $ONNX_OUT is what the conversion gives"
else
  mkdir -p models/face
  cp "$WORK/face_detection_short_range.onnx" "$ONNX_OUT"
  echo "wrote $ONNX_OUT ($(stat -c %s "$ONNX_OUT") bytes)"
fi

if [ "$FIXTURES" = 1 ]; then
  echo "==> face test pictures from $SKIMAGE_WHL"
  "$WORK/venv/bin/pip" download -q --no-deps --only-binary=:all: -d "$WORK/whl" scikit-image==0.25.2 \
    --platform manylinux2014_x86_64 --python-version 3.11
  sha_ok "$WORK/whl/$SKIMAGE_WHL" "$SKIMAGE_WHL_SHA"
  (cd "$WORK" && python3 -m zipfile -e "whl/$SKIMAGE_WHL" sk >/dev/null)
  sha_ok "$WORK/sk/skimage/data/astronaut.png" "$ASTRONAUT_SHA"
  "$WORK/venv/bin/pip" install -q pillow==13.0.0
  OUT=crates/hadir-server/tests/fixtures/face
  mkdir -p "$OUT"
  "$WORK/venv/bin/python" - "$WORK/sk/skimage/data/astronaut.png" "$OUT" <<'EOF'
import sys
from PIL import Image

src = Image.open(sys.argv[1]).convert("RGB")  # 512×512
out = sys.argv[2]
# One face: the whole portrait, 256×256.
src.resize((256, 256), Image.LANCZOS).save(f"{out}/face_one.jpg", quality=85)
# Two faces: the head, and its mirror image, side by side (320×160).
head = src.crop((98, 0, 354, 256)).resize((160, 160), Image.LANCZOS)
two = Image.new("RGB", (320, 160))
two.paste(head, (0, 0))
two.paste(head.transpose(Image.FLIP_LEFT_RIGHT), (160, 0))
two.save(f"{out}/face_two.jpg", quality=85)
# No face: the portrait's lower right quarter (suit and flag), 192×192.
src.crop((256, 256, 512, 512)).resize((192, 192), Image.LANCZOS).save(f"{out}/face_none.jpg", quality=85)
EOF
  echo "wrote $OUT/face_{one,two,none}.jpg"
fi
