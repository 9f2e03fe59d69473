#!/bin/sh
# check-builds.sh [COMPILER:BUILD_TYPE ...] - build racelab with other
# compilers and build types than make test's, -Werror as always, and run
# the whole test suite in each. Default: gcc:Release clang:Release (what
# a packager builds), which CI runs after make test. Each build lives in
# build/COMPILER-BUILD_TYPE. Installs clang when it is asked for and
# missing. Exit status: 0 when every build passed.
set -eu
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- gcc:Release clang:Release
jobs=$(nproc 2>/dev/null || echo 2)
for spec in "$@"; do
    cc=${spec%%:*} type=${spec#*:}
    case $type in Debug|Release|RelWithDebInfo|MinSizeRel) ;;
        *) echo "check-builds: '$spec': the build type is one of Debug, Release, RelWithDebInfo, MinSizeRel" >&2
           exit 2 ;;
    esac
    # clang's sanitizer runtimes (libclang-rt-dev) are only recommended by
    # Debian's clang: the tests build programs with its ThreadSanitizer
    case $cc in gcc) scripts/install-deps.sh gcc ninja-build ;;
        clang) scripts/install-deps.sh clang libclang-rt-dev ninja-build ;;
        *) echo "check-builds: '$spec': the compiler is gcc or clang" >&2; exit 2 ;;
    esac
done
failed=""
for spec in "$@"; do
    cc=${spec%%:*} type=${spec#*:} dir=build/$cc-$type
    echo "== $cc, $type: $dir"
    # Ninja, as make test (a folder made before with another generator goes)
    if [ -f "$dir/CMakeCache.txt" ] && ! grep -qx 'CMAKE_GENERATOR:INTERNAL=Ninja' "$dir/CMakeCache.txt"; then
        rm -rf "$dir"
    fi
    if cmake -G Ninja -S . -B "$dir" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE="$type" >/dev/null &&
        cmake --build "$dir" -j "$jobs" >"$dir.log" 2>&1 &&
        ctest --test-dir "$dir" --output-on-failure -j "$jobs" >>"$dir.log" 2>&1; then
        grep -E 'tests passed|^Total Test time|\((Skipped|Disabled)\)$' "$dir.log" | sed "s/^/[$cc-$type] /"
    else
        tail -n 40 "$dir.log" | sed "s/^/[$cc-$type] /"
        failed="$failed $spec"
    fi
done
if [ -n "$failed" ]; then
    echo "check-builds: FAILED:$failed (logs in build/*.log)"
    exit 1
fi
echo "check-builds: every build passed ($*)"
