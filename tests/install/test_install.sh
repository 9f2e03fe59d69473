#!/usr/bin/env bash
# test_install.sh - racelab as an installed library, used as a user would:
# install into a temporary prefix, build the examples against the installed
# files only (pkg-config, the CMake package, the static library), run them,
# and explore a program with the installed command.
# Usage: test_install.sh SOURCE_DIR BUILD_DIR
set -u
SRC=${1:?usage: test_install.sh SOURCE_DIR BUILD_DIR}
BUILD=${2:?usage: test_install.sh SOURCE_DIR BUILD_DIR}
RL=/dev/null # lib.sh wants it; the installed command is set below
# shellcheck source=../cli/lib.sh
. "$SRC/tests/cli/lib.sh"
work=$(mktemp -d /tmp/racelab-install.XXXXXX)
trap 'rm -rf "$work" "$out" "$err"' EXIT
prefix="$work/prefix"

check() { # check DESCRIPTION COMMAND...: the command succeeds
    local what=$1
    shift
    if ! "$@" >"$out" 2>"$err"; then
        echo "FAIL: $what: $*"
        sed 's/^/  stdout: /' "$out" | head -20
        sed 's/^/  stderr: /' "$err" | head -20
        failures=$((failures + 1))
        return 1
    fi
}

check "install" cmake --install "$BUILD" --prefix "$prefix" || exit 1
for f in bin/racelab lib/libracelab.a lib/libracelab.so lib/racelab/librlpreload.so \
         include/racelab/explore.h include/racelab/shared.h lib/pkgconfig/racelab.pc \
         lib/cmake/racelab/racelabConfig.cmake share/man/man1/racelab.1; do
    [ -e "$prefix/$f" ] || { echo "FAIL: $f was not installed"; failures=$((failures + 1)); }
done
# the shared library shows the public API only
if nm -D --defined-only "$prefix/lib/libracelab.so" | grep -q ' rl__'; then
    echo "FAIL: internal rl__ symbols are exported"; failures=$((failures + 1))
fi
grep -q '^\.TH RACELAB 1' "$prefix/share/man/man1/racelab.1" ||
    { echo "FAIL: the man page has no .TH line"; failures=$((failures + 1)); }

export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
export LD_LIBRARY_PATH="$prefix/lib"
cp "$SRC"/examples/*.c "$SRC"/examples/CMakeLists.txt "$SRC"/examples/Makefile "$work/"

# 1. pkg-config, shared library: the custom target finds the race and
#    proves the fix
check "pkg-config cflags and libs" pkg-config --cflags --libs racelab
has "$out" "-I$prefix/.*include" "pkg-config names the installed headers"
check "build custom_target with pkg-config" make -C "$work" custom_target
check "run custom_target (pkg-config build)" "$work/custom_target"
has "$out" 'alice at step|bob at step' "the custom target's failure names thread and step"
has "$out" 'a second castle handed out' "its rl_check message"
has "$out" 'complete, every schedule' "the locked shop is proved"

# 2. the static library, with its dependencies from pkg-config --static
check "build custom_target statically" sh -c "cc -o '$work/custom_static' '$work/custom_target.c' \
    \$(pkg-config --cflags racelab) '$prefix/lib/libracelab.a' \$(pkg-config --static --libs-only-l racelab | sed 's/-lracelab//')"
check "run custom_target (static)" "$work/custom_static"

# 3. find_package(racelab) and racelab::racelab
check "configure the examples with CMake" cmake -S "$work" -B "$work/cmake-build" \
    -DCMAKE_PREFIX_PATH="$prefix"
check "build the examples with CMake" cmake --build "$work/cmake-build"
check "run custom_target (CMake build)" "$work/cmake-build/custom_target"

# 4. the installed command explores an ordinary program, and replays
check "build bank_race" make -C "$work" bank_race
"$prefix/bin/racelab" explore -- "$work/bank_race" >"$out" 2>"$err"
[ $? = 1 ] || { echo "FAIL: explore bank_race: want exit 1"; failures=$((failures + 1)); }
has "$out" 'a bill was lost' "the program's own message"
has "$out" 'bank_race\.c:[0-9]+ in merchant' "source lines in the trace"
has "$out" 'account_lock' "the lock named by its variable"
schedule=$(sed -n 's/^schedule: //p' "$out" | tail -1)
"$prefix/bin/racelab" explore --replay "$schedule" -- "$work/bank_race" >"$out" 2>"$err"
[ $? = 1 ] || { echo "FAIL: the replay of $schedule does not fail"; failures=$((failures + 1)); }
has "$out" 'a bill was lost' "the replay reproduces the failure"

if [ "$failures" -gt 0 ]; then
    echo "$failures install check(s) failed"
    exit 1
fi
echo "all install checks passed"
