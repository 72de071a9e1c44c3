#!/usr/bin/env bash
# Regenerates the seed corpora of the fuzz targets, fuzz/corpus/<name>/ (docs/robustness.md), from what weft and
# its tests produce: small Executables (`weft compile`; "lean" payloads whose kernel library is cut to an ELF
# magic, which validate() accepts and which keeps the seeds small), checkpoints of a 2-step `weft train`, its
# --save safetensors, .npy files from `weft run --logits-out` and by hand, config.json texts, and the .mlir
# files of tests/ir and tests/passes split at `// -----` (comment lines dropped). Usage: scripts/fuzz-corpus.sh
# [path/to/weft] (default build/bin/weft). Needs protoc and python3 (no numpy).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
weft=${1:-${WEFT_BUILD_DIR:-$root/build}/bin/weft}
[ -x "$weft" ] || { echo "fuzz-corpus: no weft binary at $weft (bash scripts/build.sh weft)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Written here first; it replaces fuzz/corpus/ only when everything worked.
corpus=$tmp/corpus
mkdir -p "$corpus"/{executable,checkpoint,safetensors,npy,config,mlir}

# A 1-layer, 8-wide GPT-2 on bytes keeps every file a few KB.
mini=(--n-layer 1 --n-head 2 --n-embd 8 --vocab-size 256 --n-positions 8)
cat > "$tmp/mini.json" <<'JSON'
{"n_layer": 1, "n_head": 2, "n_embd": 16, "vocab_size": 64, "n_positions": 16}
JSON
c=(--no-cache)
"$weft" compile mlp "${c[@]}" -o "$tmp/mlp.wexe" >/dev/null
"$weft" compile mlp --target=cuda "${c[@]}" -o "$tmp/mlp-cuda.wexe" >/dev/null
"$weft" compile gpt2 --preset tiny --seq 8 "${c[@]}" -o "$tmp/gpt2-tiny-seq8.wexe" >/dev/null
"$weft" compile gpt2 --config "$tmp/mini.json" --seq 4 --train "${c[@]}" -o "$tmp/gpt2-mini-train.wexe" >/dev/null
"$weft" compile gpt2 --config "$tmp/mini.json" --seq 4 --train --precision=f16 "${c[@]}" \
  -o "$tmp/gpt2-mini-train-f16.wexe" >/dev/null
"$weft" compile gpt2 --config "$tmp/mini.json" --seq 4 --target=cuda "${c[@]}" -o "$tmp/gpt2-mini-cuda.wexe" >/dev/null
data=/usr/share/common-licenses/GPL-3
"$weft" train gpt2 "${mini[@]}" --data "$data" --steps 2 --batch 2 --seq 4 --sample-tokens 0 "${c[@]}" \
  --checkpoint "$tmp/ckpt-adamw" --save "$tmp/gpt2-mini.safetensors" >/dev/null
"$weft" train gpt2 "${mini[@]}" --data "$data" --steps 2 --batch 2 --seq 4 --sample-tokens 0 "${c[@]}" \
  --optimizer sgd --momentum 0.9 --precision f16 --checkpoint "$tmp/ckpt-sgd-f16" >/dev/null
"$weft" run "$tmp/mlp.wexe" --random-weights --logits-out "$tmp/mlp-out.npy" >/dev/null
"$weft" run gpt2 --config "$tmp/mini.json" --tokens 1,2,3 --random-weights "${c[@]}" \
  --logits-out "$tmp/gpt2-logits.npy" >/dev/null

# Executables: two whole files (the first byte 'W' makes the harness take them as file images) and lean payloads.
for f in mlp mlp-cuda gpt2-tiny-seq8 gpt2-mini-train gpt2-mini-train-f16 gpt2-mini-cuda; do
  tail -c +33 "$tmp/$f.wexe" | protoc -I"$root" runtime/executable.proto --decode=weft.proto.Executable |
    awk '$1 == "kernel_library:" { print "kernel_library: \"\\177ELF\""; next } { print }' |
    protoc -I"$root" runtime/executable.proto --encode=weft.proto.Executable > "$corpus/executable/$f.payload"
done
cp "$tmp/mlp.wexe" "$tmp/mlp-cuda.wexe" "$corpus/executable/"
# A format-4 SPMD payload by hand (the compiler does not emit meshes yet): a 2x2 mesh, a MESH_INDEX buffer, an
# all_gather and a permute over tp.
protoc -I"$root" runtime/executable.proto --encode=weft.proto.Executable > "$corpus/executable/mesh.payload" <<'TXT'
format_version: 4 target: "cpu" program_name: "mesh" arena_size: 256 arena_alignment: 64
mesh { axes { name: "dp" size: 2 } axes { name: "tp" size: 2 } }
buffers { id: 0 name: "idx" kind: MESH_INDEX dtype: I64 byte_size: 8 mesh_axes: 1 }
buffers { id: 1 name: "x" kind: INPUT dtype: F32 shape: 4 byte_size: 16 arena_offset: 64 }
buffers { id: 2 name: "y" kind: OUTPUT dtype: F32 shape: 8 byte_size: 32 arena_offset: 128 }
buffers { id: 3 name: "z" kind: OUTPUT dtype: F32 shape: 4 byte_size: 16 arena_offset: 192 }
steps { label: "gather" collective { kind: ALL_GATHER input: 1 output: 2 axes: 1 dtype: F32 count: 4 } }
steps { label: "swap" collective { kind: PERMUTE input: 1 output: 3 axes: 1 dtype: F32 count: 4
        pairs { source: 0 target: 1 } pairs { source: 1 target: 0 } } }
outputs: 2 outputs: 3
TXT
# Checkpoints: the whole adamw file and both payloads.
cp "$tmp/ckpt-adamw/checkpoint.pb" "$corpus/checkpoint/adamw.ckpt"
tail -c +33 "$tmp/ckpt-adamw/checkpoint.pb" > "$corpus/checkpoint/adamw.payload"
tail -c +33 "$tmp/ckpt-sgd-f16/checkpoint.pb" > "$corpus/checkpoint/sgd-f16.payload"
cp "$tmp/gpt2-mini.safetensors" "$corpus/safetensors/"
cp "$tmp/mlp-out.npy" "$tmp/gpt2-logits.npy" "$corpus/npy/"
cp "$tmp/mini.json" "$corpus/config/mini.json"

python3 - "$root" "$corpus" <<'PY'
import json, os, re, struct, sys
root, corpus = sys.argv[1], sys.argv[2]

def write(sub, name, data):
    with open(os.path.join(corpus, sub, name), 'wb') as f:
        f.write(data.encode() if isinstance(data, str) else data)

# .npy by hand (format 1.0 and 2.0, every dtype readNpy takes, a scalar and an empty tensor).
def npy(descr, shape, data, major=1):
    shape_text = '(%d,)' % shape[0] if len(shape) == 1 else '(' + ', '.join(map(str, shape)) + ')'
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape_text)
    prefix = 10 if major == 1 else 12
    total = (prefix + len(header) + 1 + 63) // 64 * 64
    header = header + ' ' * (total - prefix - len(header) - 1) + '\n'
    length = struct.pack('<H' if major == 1 else '<I', len(header))
    return b'\x93NUMPY' + bytes([major, 0]) + length + header.encode('latin1') + data
write('npy', 'i64-rows.npy', npy('<i8', [2, 5], struct.pack('<10q', *range(10))))
write('npy', 'i32-v2.npy', npy('<i4', [3], struct.pack('<3i', 7, -1, 2**31 - 1), major=2))
write('npy', 'f16-scalar.npy', npy('<f2', [], struct.pack('<e', 1.5)))
write('npy', 'bool.npy', npy('|b1', [2, 3], bytes([1, 0, 0, 1, 1, 0])))
write('npy', 'f32-empty.npy', npy('<f4', [0, 4], b''))

# safetensors by hand: every dtype, a scalar, an empty tensor and __metadata__.
def safetensors(tensors, metadata=None):
    header, data = {}, b''
    for name, dtype, shape, raw in tensors:
        header[name] = {'dtype': dtype, 'shape': shape, 'data_offsets': [len(data), len(data) + len(raw)]}
        data += raw
    if metadata is not None:
        header['__metadata__'] = metadata
    text = json.dumps(header, separators=(',', ':'))
    text += ' ' * (-len(text) % 8)
    return struct.pack('<Q', len(text)) + text.encode() + data
write('safetensors', 'dtypes.safetensors', safetensors([
    ('f32', 'F32', [2], struct.pack('<2f', 1.0, -2.0)),
    ('f16', 'F16', [], struct.pack('<e', 0.5)),
    ('bf16', 'BF16', [1, 2], b'\x80\x3f\x00\x40'),
    ('i32', 'I32', [2], struct.pack('<2i', 3, -4)),
    ('i64', 'I64', [1], struct.pack('<q', 2**40)),
    ('b', 'BOOL', [3], bytes([1, 0, 1])),
    ('empty', 'F32', [0, 3], b''),
], metadata={'format': 'pt'}))
write('safetensors', 'no-tensors.safetensors', safetensors([]))

# config.json: Hugging Face GPT-2 small, a distilgpt2-like one and the bad ones of tests/frontend/ModelTest.cpp.
write('config', 'gpt2.json', json.dumps({
    "activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.1,
    "bos_token_id": 50256, "embd_pdrop": 0.1, "eos_token_id": 50256, "initializer_range": 0.02,
    "layer_norm_epsilon": 1e-05, "model_type": "gpt2", "n_ctx": 1024, "n_embd": 768, "n_head": 12,
    "n_inner": None, "n_layer": 12, "n_positions": 1024, "resid_pdrop": 0.1, "summary_type": "cls_index",
    "task_specific_params": {"text-generation": {"do_sample": True, "max_length": 50}},
    "vocab_size": 50257}, indent=2))
write('config', 'relu-inner.json', '{"n_layer": 3, "n_head": 4, "n_embd": 64, "vocab_size": 1000, '
      '"n_positions": 128, "n_inner": 96, "activation_function": "relu", "layer_norm_epsilon": 1e-6}')
write('config', 'bad-type.json', '{"n_embd": "wide"}')
write('config', 'bad-range.json', '{"n_layer": -2}')
write('config', 'bad-json.json', '{"n_layer": 2,')
write('config', 'bad-divisible.json', '{"n_embd": 100, "n_head": 12}')

# .mlir: every chunk of tests/ir and tests/passes that uses only weft, func and builtin ops.
seen, count = set(), 0
op = re.compile(r'^\s*(?:%[\w#:, %]+=\s*)?"?([a-z_]+)\.', re.M)
for dirpath, _, files in sorted(os.walk(os.path.join(root, 'tests'))):
    rel = os.path.relpath(dirpath, root)
    if not (rel.startswith('tests/ir') or rel.startswith('tests/passes')):
        continue
    for fname in sorted(files):
        if not fname.endswith('.mlir'):
            continue
        text = open(os.path.join(dirpath, fname)).read()
        for i, chunk in enumerate(re.split(r'^// -----\s*$', text, flags=re.M)):
            lines = [l for l in chunk.splitlines() if not l.lstrip().startswith('//') and l.strip()]
            body = '\n'.join(lines) + '\n'
            if len(lines) < 2 or body in seen or set(op.findall(body)) - {'weft', 'func'}:
                continue
            seen.add(body)
            count += 1
            write('mlir', '%s-%02d.mlir' % (fname[:-5], i), body)
print('fuzz-corpus: %d .mlir chunks' % count)
PY
# The tokenizer seeds were made once with Hugging Face's tokenizers (docs/robustness.md): carried over as they are.
[ -d "$root/fuzz/corpus/tokenizer" ] && cp -r "$root/fuzz/corpus/tokenizer" "$corpus/"
rm -rf "$root/fuzz/corpus"
mv "$corpus" "$root/fuzz/corpus"
du -sh "$root/fuzz/corpus"/* "$root/fuzz/corpus"
