# lib.sh - what the command-line test scripts share: run racelab, check its
# exit code and output. Source it after setting RL (the racelab binary).
failures=0
# Debian's python3, which 'make deps' installs, where it is: a version
# manager's shim first on PATH (pyenv's) takes 0.4 s to start, and the tests
# start it dozens of times.
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

# expect CODE DESCRIPTION -- ARGS...: run racelab ARGS, check the exit code
expect() {
    local want=$1 what=$2
    shift 3
    "$RL" "$@" >"$out" 2>"$err"
    local got=$?
    if [ "$got" != "$want" ]; then
        echo "FAIL: $what: racelab $*: exit $got, want $want"
        sed 's/^/  stdout: /' "$out" | head -20
        sed 's/^/  stderr: /' "$err" | head -20
        failures=$((failures + 1))
        return 1
    fi
    return 0
}

# has FILE PATTERN DESCRIPTION: the file matches the extended regex
has() {
    if ! grep -Eq -- "$2" "$1"; then
        echo "FAIL: $3: no match for /$2/ in:"
        sed 's/^/  /' "$1" | head -30
        failures=$((failures + 1))
    fi
}

# one_line: a usage error is one line on stderr, nothing on stdout
one_line() {
    local n
    n=$(wc -l <"$err")
    if [ "$n" != 1 ] || [ -s "$out" ]; then
        echo "FAIL: $1: want exactly one line on stderr and no stdout, got:"
        sed 's/^/  stderr: /' "$err"
        failures=$((failures + 1))
    fi
}

# json_check PYTHON-EXPRESSION DESCRIPTION: stdout parses and d satisfies it
json_check() {
    if ! "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($1) else 1)" "$out"; then
        echo "FAIL: $2: JSON check failed: $1"
        head -40 "$out" | sed 's/^/  /'
        failures=$((failures + 1))
    fi
}

