#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test.
#   1. unit and corpus tests (GoogleTest) under ASan + UBSan, warnings as errors;
#   2. the release build (programs and benchmarks; the tests ran in step 1) must compile,
#      and its Debian package install and serve (packaging/test_package.sh, as root);
#   3. each libFuzzer target for P2PSIP_FUZZ_SECONDS (default 60) under ASan + UBSan,
#      as many at once as there are cores (each fuzzer is one process).
# Fails on the first failing step.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

jobs=$(nproc)
fuzz_seconds=${P2PSIP_FUZZ_SECONDS:-60}

echo "== unit tests (asan preset)"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$jobs"
ctest --preset asan -j "$jobs"

echo "== release build (benchmarks compile)"
cmake --preset release -DP2PSIP_BUILD_TESTS=OFF >/dev/null
cmake --build --preset release -j "$jobs"

echo "== the Debian package: cpack, installed in a throwaway root, a phone registered"
bash packaging/test_package.sh build/release

echo "== fuzzers, ${fuzz_seconds}s each (fuzz preset)"
cmake --preset fuzz -DP2PSIP_FUZZ_SECONDS="$fuzz_seconds" >/dev/null
cmake --build --preset fuzz -j "$jobs"
ctest --preset fuzz -j "$jobs"
