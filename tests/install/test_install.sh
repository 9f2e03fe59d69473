#!/usr/bin/env bash
# test_install.sh - racelab as an installed library, used as a user would,
# without LD_LIBRARY_PATH anywhere:
#  1. the install and build commands of README.md and docs/library.md,
#     read from the Markdown by tests/cli/test_docs.py (the blocks marked
#     <!-- install test -->) and run as written, with HOME a directory of
#     this test's, so that $HOME/.local, their prefix, is a temporary one:
#     make install, the PATH and PKG_CONFIG_PATH lines, the examples built
#     with pkg-config (cc, and examples/Makefile) and with CMake's
#     find_package, and run (custom_target exits 0 only when it found the
#     race and proved the fix). `make install PREFIX=P` runs the
#     Makefile's own recipe, cmake --install BUILD --prefix P, on the build
#     under test: make itself would build build/plain (not necessarily this
#     build) and check Debian's packages first;
#  2. what was installed, the run path pkg-config gives, the static
#     library, and the installed command exploring a program.
# Usage: test_install.sh SOURCE_DIR BUILD_DIR
set -u
SRC=${1:?usage: test_install.sh SOURCE_DIR BUILD_DIR}
BUILD=${2:?usage: test_install.sh SOURCE_DIR BUILD_DIR}
RL=/dev/null # lib.sh wants it; the installed command is set below
# shellcheck source=../cli/lib.sh
. "$SRC/tests/cli/lib.sh"
work=$(mktemp -d /tmp/racelab-install.XXXXXX)
trap 'rm -rf "$work" "$out" "$err"' EXIT
unset LD_LIBRARY_PATH
home="$work/home"
prefix="$home/.local" # the README installs into $HOME/.local
mkdir -p "$home"

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

# 1. the README's commands, as written
{
    printf "HOME='%s'\n" "$home"
    printf "RL_BUILD='%s'\n" "$BUILD"
    cat <<'PRELUDE'
make() {
    if [ $# = 2 ] && [ "$1" = install ] && [ "${2%%=*}" = PREFIX ]; then
        cmake --install "$RL_BUILD" --prefix "${2#PREFIX=}"
    else
        command make "$@"
    fi
}
PRELUDE
} >"$work/prelude.sh"
if ! python3 "$SRC/tests/cli/test_docs.py" --marker "install test" --prelude "$work/prelude.sh" \
        "$SRC" - README.md docs/library.md; then
    echo "FAIL: the install and build commands of README.md and docs/library.md (above)"
    failures=$((failures + 1))
fi
[ -x "$prefix/bin/racelab" ] || { echo "FAIL: the README's install did not reach \$HOME/.local"; exit 1; }

# 2. what was installed
for f in bin/racelab lib/libracelab.a lib/libracelab.so lib/racelab/librlpreload.so lib/racelab/librlmem.so \
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
cp "$SRC"/examples/*.c "$SRC"/examples/CMakeLists.txt "$SRC"/examples/Makefile "$work/"

# pkg-config names the installed headers and gives a run path (the
# programs above ran without LD_LIBRARY_PATH because of it)
check "pkg-config cflags and libs" pkg-config --cflags --libs racelab
has "$out" "-I$prefix/.*include" "pkg-config names the installed headers"
has "$out" "-Wl,-rpath,$prefix/" "pkg-config gives a run path for a prefix the loader does not search"

# the static library, with its dependencies from pkg-config --static
check "build custom_target statically" sh -c "cc -o '$work/custom_static' '$work/custom_target.c' \
    \$(pkg-config --cflags racelab) '$prefix/lib/libracelab.a' \$(pkg-config --static --libs-only-l racelab | sed 's/-lracelab//')"
check "run custom_target (static)" "$work/custom_static"

# the installed command explores an ordinary program, and replays
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

# the installed racelab cc: its runtime found in lib/racelab, the program
# runs natively and its memory accesses are steps under racelab explore
check "racelab cc (installed)" "$prefix/bin/racelab" cc -g -pthread -o "$work/counter_race" \
    "$SRC/tests/programs/counter_race.c"
check "the program built by racelab cc runs" sh -c "'$work/counter_race' >/dev/null; [ \$? -le 1 ]"
"$prefix/bin/racelab" explore -- "$work/counter_race" >"$out" 2>"$err"
[ $? = 1 ] || { echo "FAIL: explore counter_race (racelab cc): want exit 1"; failures=$((failures + 1)); }
has "$out" '^data race on counter' "the race in plain memory, by the installed racelab"

if [ "$failures" -gt 0 ]; then
    echo "$failures install check(s) failed"
    exit 1
fi
echo "all install checks passed"
