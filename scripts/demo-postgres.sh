#!/bin/sh
# make demo-postgres: the demo against a real PostgreSQL server.
# Starts a throwaway server (scripts/pg-server.sh), runs `racelab demo` on
# it, then the lost-update scenario at read committed (PostgreSQL's
# default), and stops the server whatever happens.
# Usage: scripts/demo-postgres.sh PATH-TO-RACELAB
set -eu
racelab=$1
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/racelab-demo-pg.XXXXXX)
trap '"$here/pg-server.sh" stop "$dir"; rm -rf "$dir"' EXIT INT TERM
"$here/pg-server.sh" start "$dir" >/dev/null
url=$(cat "$dir/conninfo")
echo "A throwaway PostgreSQL server is running ($url)."
echo
"$racelab" demo --bank "$url"
echo
echo "The same lost update, two sessions step by step at read committed:"
echo
"$racelab" scenario run lost-update --variant read-committed --bank "$url" || true
echo "'racelab scenario run lost-update --bank URL' shows every isolation level and fix."
