#!/usr/bin/env bash
# Fetches and converts the face EMBEDDING model (issue 23 point 2) reproducibly, and (with
# --fixtures) makes the face-comparison test pictures. The results are committed
# (models/face/embedder/, crates/hadir-server/tests/fixtures/face/), so neither the build, CI
# nor the server downloads anything: run this only to check or redo them. Every download is
# pinned and its SHA-256 checked; the converted graph (and the pictures) must come out byte for
# byte as committed (--check fails otherwise). --verify runs the result under tract (PyPI
# bindings of the Rust library, same version line as the server's tract-onnx) and onnxruntime
# on the test pictures and prints their similarities.
#
#   scripts/fetch-face-embedder.sh [--check] [--fixtures] [--verify]
#
# Needs npm and python3 (venv), about 1 GB of downloads (TensorFlow, which tf2onnx needs).
# Work files go under $FACE_WORK (default: a temporary directory, deleted at exit).
set -euo pipefail
cd "$(dirname "$0")/.."

CHECK=0
FIXTURES=0
VERIFY=0
for a in "$@"; do
  case "$a" in
    --check) CHECK=1 ;;
    --fixtures) FIXTURES=1 ;;
    --verify) VERIFY=1 ;;
    *) echo "usage: $0 [--check] [--fixtures] [--verify]" >&2; exit 2 ;;
  esac
done

# The embedder: "faceres" (HSE-FaceRes, a MobileNet from HSE_FaceRec_tf, Apache-2.0) as the
# tfjs graph model in the npm package @vladmandic/human (MIT).
NPM_PKG=@vladmandic/human@3.3.6
NPM_TGZ_SHA=425e9c51dbbca0c8934362b170cb0d54c2529c11c654b3c03092b16e9d6ad3f7
FACERES_JSON_SHA=5b83d49c0385d2e68a05122441b94226313677cae9fcc40b9587ad50079eb4df
FACERES_BIN_SHA=2c7d2d62b76c97528b736527aa09d310ea71743c9e3e79fb6c62d4b2d73af79b
# The converter (tf2onnx needs TensorFlow; numpy < 2 for tf2onnx 1.17) and every dependency,
# pinned as resolved for CPython 3.11 on x86-64 Linux.
PY_PKGS=(tf2onnx==1.17.0 tensorflow-cpu==2.18.1 numpy==1.26.4 onnx==1.17.0 protobuf==5.29.6
  flatbuffers==25.12.19 ml_dtypes==0.5.4 absl-py==2.5.1 astunparse==1.6.3 certifi==2026.10.19.post1
  charset-normalizer==3.5.3 gast==0.7.0 google-pasta==0.2.0 grpcio==1.85.4 h5py==3.16.0 idna==3.21
  keras==3.15.1 libclang==18.1.1 Markdown==3.11.4 markdown-it-py==4.3.0 MarkupSafe==3.0.4 mdurl==0.1.2
  namex==0.1.0 opt_einsum==3.4.0 optree==0.20.0 packaging==26.4 Pygments==2.21.0 requests==2.34.2
  rich==15.0.0 six==1.17.0 tensorboard==2.18.0 tensorboard-data-server==0.7.2
  tensorflow-io-gcs-filesystem==0.37.1 termcolor==3.3.0 typing_extensions==4.16.0 urllib3==2.8.0
  Werkzeug==3.1.9 wrapt==2.5.2)
ONNX_OUT=models/face/embedder/faceres.onnx
# Fixtures: scikit-image's "astronaut" (NASA, public domain) and matplotlib's "grace_hopper"
# (U.S. Navy, public domain), from their wheels.
SKIMAGE_WHL=scikit_image-0.25.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
SKIMAGE_WHL_SHA=24cc986e1f4187a12aa319f777b36008764e856e5013666a4a83f8df083c2641
ASTRONAUT_SHA=88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5
MPL_WHL=matplotlib-3.11.2-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.whl
MPL_WHL_SHA=07d9b9fa60cd4c393692f50d0bb03123242ddf61c99bb0e95e75feb354e7c1a8
HOPPER_SHA=a8ca6d734765703b09728ab47fe59f473d93ae3967fc24c7c0288c3c7adb7130
FIX_PKGS=(pillow==13.0.0)
VERIFY_PKGS=(tract==0.23.9 onnxruntime==1.32.0 numpy==2.0.2 pillow==13.0.0)
FIX_OUT=crates/hadir-server/tests/fixtures/face
DETECTOR=${FACE_DETECTOR:-models/face/face_detection_short_range.onnx}  # from the face branch

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
rm -f "$WORK"/vladmandic-human-*.tgz
(cd "$WORK" && npm pack --silent "$NPM_PKG" >/dev/null)
TGZ=$(ls "$WORK"/vladmandic-human-*.tgz)
sha_ok "$TGZ" "$NPM_TGZ_SHA"
mkdir -p "$WORK/npm"
tar xzf "$TGZ" -C "$WORK/npm" package/models/faceres.json package/models/faceres.bin package/LICENSE
sha_ok "$WORK/npm/package/models/faceres.json" "$FACERES_JSON_SHA"
sha_ok "$WORK/npm/package/models/faceres.bin" "$FACERES_BIN_SHA"

echo "==> converter (tf2onnx 1.17.0, tensorflow-cpu 2.18.1, pinned)"
python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install -q "${PY_PKGS[@]}"

echo "==> converting to ONNX"
# NCHW input (like the detector's), only the 1024-d descriptor output (the package's model also
# has age and gender heads, not used here).
PYTHONHASHSEED=0 "$WORK/venv/bin/python" -m tf2onnx.convert --tfjs "$WORK/npm/package/models/faceres.json" \
  --output "$WORK/raw.onnx" --opset 13 --inputs-as-nchw input_1:0 --outputs global_pooling/Mean \
  >"$WORK/convert.log" 2>&1 || { cat "$WORK/convert.log" >&2; exit 1; }
# tf2onnx names the tensors and nodes it adds from a counter that differs run to run: rename
# them by position. The weights are float16 in the package (tfjs quantization): keep them as
# float16 with a Cast back to float32 (exact, and half the size). Fixed batch of 1, names
# `input` and `embedding`; then onnx's checker validates the graph.
"$WORK/venv/bin/python" - "$WORK/raw.onnx" "$WORK/faceres.onnx" <<'EOF'
import re
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

model = onnx.load(sys.argv[1])
g = model.graph
assert len(g.input) == 1 and len(g.output) == 1
rename = {g.input[0].name: "input", g.output[0].name: "embedding"}
for i, node in enumerate(g.node):
    for o in node.output:
        if o not in rename and re.search(r"__\d+", o):
            rename[o] = re.sub(r"_+\d+", "", o) + f"_{i}"
    if re.search(r"__\d+", node.name):
        node.name = re.sub(r"_+\d+", "", node.name) + f"_{i}"
inits = {t.name for t in g.initializer}
for node in g.node:
    for k, name in enumerate(node.input):
        if name in inits and name not in rename:
            rename[name] = f"{node.name}/w{k}"
assert len(set(rename.values())) == len(rename)
for node in g.node:
    node.input[:] = [rename.get(n, n) for n in node.input]
    node.output[:] = [rename.get(n, n) for n in node.output]
for v in list(g.input) + list(g.output):
    v.name = rename[v.name]
    d = v.type.tensor_type.shape.dim[0]
    d.Clear()
    d.dim_value = 1
del g.value_info[:]

weights, casts = [], []
for t in g.initializer:
    a = numpy_helper.to_array(t)
    name = rename[t.name]
    if a.dtype == np.float32 and a.size > 16 and np.array_equal(a.astype(np.float16).astype(np.float32), a):
        weights.append(numpy_helper.from_array(a.astype(np.float16), name + "/f16"))
        casts.append(helper.make_node("Cast", [name + "/f16"], [name], name=name + "/cast", to=TensorProto.FLOAT))
    else:
        weights.append(numpy_helper.from_array(a, name))
del g.initializer[:]
g.initializer.extend(sorted(weights, key=lambda t: t.name))
nodes = sorted(casts, key=lambda n: n.name) + list(g.node)
del g.node[:]
g.node.extend(nodes)
g.name = "faceres"
g.doc_string = ""  # tf2onnx writes the source's path here
for node in g.node:
    node.doc_string = ""
del model.opset_import[:]
model.opset_import.extend([helper.make_opsetid("", 13)])
model.producer_name = "hadir scripts/fetch-face-embedder.sh"
model.producer_version = ""
model.doc_string = ("HSE-FaceRes (MobileNet, HSE_FaceRec_tf, Apache-2.0) from npm @vladmandic/human 3.3.6 "
                    "models/faceres.json, converted by tf2onnx 1.17.0; descriptor output only")
onnx.checker.check_model(model, full_check=True)
onnx.save(model, sys.argv[2])
EOF
if [ "$CHECK" = 1 ]; then
  cmp "$WORK/faceres.onnx" "$ONNX_OUT"
  echo "ok: $ONNX_OUT is what the conversion gives"
else
  mkdir -p "$(dirname "$ONNX_OUT")"
  cp "$WORK/faceres.onnx" "$ONNX_OUT"
  cp "$WORK/npm/package/LICENSE" models/face/embedder/LICENSE-MIT-human.txt
  echo "wrote $ONNX_OUT ($(stat -c %s "$ONNX_OUT") bytes)"
fi

if [ "$FIXTURES" = 1 ]; then
  echo "==> face comparison pictures from $SKIMAGE_WHL and $MPL_WHL"
  "$WORK/venv/bin/pip" download -q --no-deps --only-binary=:all: -d "$WORK/whl" \
    scikit-image==0.25.2 matplotlib==3.11.2 --platform manylinux2014_x86_64 --python-version 3.11
  sha_ok "$WORK/whl/$SKIMAGE_WHL" "$SKIMAGE_WHL_SHA"
  sha_ok "$WORK/whl/$MPL_WHL" "$MPL_WHL_SHA"
  (cd "$WORK" && python3 -m zipfile -e "whl/$SKIMAGE_WHL" sk >/dev/null && python3 -m zipfile -e "whl/$MPL_WHL" mpl >/dev/null)
  ASTRONAUT=$WORK/sk/skimage/data/astronaut.png
  HOPPER=$WORK/mpl/matplotlib/mpl-data/sample_data/grace_hopper.jpg
  sha_ok "$ASTRONAUT" "$ASTRONAUT_SHA"
  sha_ok "$HOPPER" "$HOPPER_SHA"
  python3 -m venv "$WORK/venv-fix"
  "$WORK/venv-fix/bin/pip" install -q "${FIX_PKGS[@]}"
  mkdir -p "$WORK/fix"
  "$WORK/venv-fix/bin/python" - "$ASTRONAUT" "$HOPPER" "$WORK/fix" <<'EOF'
import sys
from PIL import Image, ImageEnhance

ast = Image.open(sys.argv[1]).convert("RGB")  # 512×512, Eileen Collins
hop = Image.open(sys.argv[2]).convert("RGB")  # 512×600, Grace Hopper
out = sys.argv[3]
# same_a: the astronaut's head and shoulders, 224×224.
ast.crop((96, 0, 352, 256)).resize((224, 224), Image.LANCZOS).save(f"{out}/same_a.jpg", quality=85, optimize=True)
# same_b: the same photo otherwise: turned 8° about the face, a wider crop off-centre, smaller,
# brighter, less contrast, stronger JPEG compression.
b = ast.rotate(8, resample=Image.BICUBIC, center=(226, 129), fillcolor=(0, 0, 0))
b = b.crop((60, 20, 420, 380)).resize((200, 200), Image.LANCZOS)
b = ImageEnhance.Brightness(b).enhance(1.25)
b = ImageEnhance.Contrast(b).enhance(0.85)
b.save(f"{out}/same_b.jpg", quality=60, optimize=True)
# other: another person, Grace Hopper's head and shoulders, 224×224.
hop.crop((110, 80, 430, 400)).resize((224, 224), Image.LANCZOS).save(f"{out}/other.jpg", quality=85, optimize=True)
EOF
  for f in same_a same_b other; do
    if [ "$CHECK" = 1 ]; then
      cmp "$WORK/fix/$f.jpg" "$FIX_OUT/$f.jpg"
    else
      mkdir -p "$FIX_OUT"
      cp "$WORK/fix/$f.jpg" "$FIX_OUT/$f.jpg"
    fi
  done
  if [ "$CHECK" = 1 ]; then echo "ok: $FIX_OUT/{same_a,same_b,other}.jpg are what the script gives"; else echo "wrote $FIX_OUT/{same_a,same_b,other}.jpg"; fi
fi

if [ "$VERIFY" = 1 ]; then
  echo "==> verify: tract ${VERIFY_PKGS[0]#tract==} and onnxruntime on the test pictures"
  if [ ! -f "$DETECTOR" ]; then echo "$DETECTOR is missing (scripts/fetch-face-models.sh makes it)" >&2; exit 1; fi
  python3 -m venv "$WORK/venv-verify"
  "$WORK/venv-verify/bin/pip" install -q "${VERIFY_PKGS[@]}"
  "$WORK/venv-verify/bin/python" - "$WORK/faceres.onnx" "$DETECTOR" "$FIX_OUT" <<'EOF'
import sys

import numpy as np
import onnxruntime as ort
import tract
from PIL import Image

embedder, detector, fixtures = sys.argv[1:4]
SIDE = 128

def anchors():
    a = []
    for stride, per in ((8, 2), (16, 6)):
        grid = SIDE // stride
        a += [((x + 0.5) / grid, (y + 0.5) / grid) for y in range(grid) for x in range(grid) for _ in range(per)]
    return np.array(a, np.float32)

def best_face(det, img):
    """The detector's best box (centre x, y and side in the picture's pixels), letterboxed as
    hadir-server's signals/face.rs does."""
    w, h = img.size
    scale = SIDE / max(w, h)
    nw, nh = max(1, min(SIDE, round(w * scale))), max(1, min(SIDE, round(h * scale)))
    ox, oy = (SIDE - nw) // 2, (SIDE - nh) // 2
    x = np.full((1, 3, SIDE, SIDE), -1.0, np.float32)
    x[0, :, oy:oy + nh, ox:ox + nw] = (np.asarray(img.resize((nw, nh), Image.BILINEAR), np.float32) / 127.5 - 1).transpose(2, 0, 1)
    r, c = det.run(None, {det.get_inputs()[0].name: x})
    r, c = r.reshape(896, 16), c.reshape(896)
    i = int(np.argmax(c))
    a = anchors()[i]
    cx, cy = (a[0] * SIDE + r[i, 0] - ox) / scale, (a[1] * SIDE + r[i, 1] - oy) / scale
    return cx, cy, max(r[i, 2], r[i, 3]) / scale, 1 / (1 + np.exp(-c[i]))

def face_input(img, cx, cy, side, enlarge=1.2):
    s = side * enlarge
    crop = img.crop(tuple(round(v) for v in (cx - s / 2, cy - s / 2, cx + s / 2, cy + s / 2)))
    a = np.asarray(crop.resize((224, 224), Image.BILINEAR), np.float32)  # RGB, 0…255
    return np.ascontiguousarray(a.transpose(2, 0, 1)[None])

det = ort.InferenceSession(detector, providers=["CPUExecutionProvider"])
emb = ort.InferenceSession(embedder, providers=["CPUExecutionProvider"])
m = tract.onnx().load(embedder)
m.set_input_fact(0, "1,3,224,224,f32")
plan = m.into_model().into_runnable()
vec = {}
for name in ("same_a", "same_b", "other"):
    img = Image.open(f"{fixtures}/{name}.jpg").convert("RGB")
    cx, cy, side, score = best_face(det, img)
    x = face_input(img, cx, cy, side)
    v_ort = emb.run(None, {"input": x})[0][0]
    v_tract = plan.run([x])[0].to_numpy()[0]
    print(f"{name}: face score {score:.3f}, box centre ({cx:.0f}, {cy:.0f}) side {side:.0f}; "
          f"tract vs onnxruntime max |diff| {np.abs(v_ort - v_tract).max():.2e} (max |v| {np.abs(v_ort).max():.2f})")
    vec[name] = v_tract
cos = lambda a, b: float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))
print(f"cosine same_a/same_b {cos(vec['same_a'], vec['same_b']):.3f}, same_a/other {cos(vec['same_a'], vec['other']):.3f}, "
      f"same_b/other {cos(vec['same_b'], vec['other']):.3f}")
EOF
fi
