# racelab: two commands do all the set-up on a fresh Debian machine.
#   make demo   install what is missing, build, run `racelab demo`
#   make demo-postgres   the same demo against a throwaway PostgreSQL server
#   make demo-tsan   the data race beside the race condition, under
#               ThreadSanitizer
#   make test   install what is missing, then build and run the tests in
#               three builds at once: ThreadSanitizer, Address+UB sanitizers
#               (the tests each can run) and plain (what only it can run,
#               the quick ones, and the explorer's tests once more on its
#               portable context switch)
#   make check-builds   GCC and clang Release builds and their tests (CI)
#   make bench  both benchmarks, CSV and charts into bench/results/
#   make install PREFIX=/usr/local   the command, the library, headers,
#               pkg-config and CMake files, the man page
# Each build lives in its own folder under build/.

# Ninja builds: the Makefile generator starts a cmake process or three
# per target (dependencies, progress), and a process costs about a
# millisecond of CPU on this kind of machine: Ninja takes a quarter less
# CPU for the address build. g++ builds a C++ test program; gdb is what
# `racelab explore --gdb` runs; python3 and bsdutils (script) are used by
# the command-line tests; valgrind by its race-detector test (and its
# headers by the build); chromium by the test that opens racelab's
# pictures and web pages in a real browser (tests/browser).
DEPS      := cmake ninja-build make gcc g++ gdb libc6-dev binutils pkg-config libcmocka-dev uthash-dev python3 bsdutils \
             libsqlite3-dev sqlite3 libpq-dev postgresql valgrind chromium
JOBS      ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_GEN := -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
# The sanitizer builds at -O1, as both sanitizers' manuals advise: a third
# less compile time for the address build than -O2, and its tests run no
# slower (check-builds keeps -O2 and -O3 building with -Werror).
CMAKE_SAN := -DCMAKE_C_FLAGS_RELWITHDEBINFO='-O1 -g -DNDEBUG'
# a pipeline fails when any of its commands does (a build piped into sed)
SHELL       := /bin/bash
.SHELLFLAGS := -o pipefail -c

PREFIX    ?= /usr/local

.PHONY: all deps build cli check-builds demo demo-postgres demo-tsan test test-plain test-thread test-address \
        build-plain build-thread build-address \
        bench install clean

all: build

deps:
	@scripts/install-deps.sh $(DEPS)

# (a build folder configured before with another generator is made again)
build/plain/build.ninja build/thread/build.ninja build/address/build.ninja: CMakeLists.txt | deps
	@if [ -f $(@D)/CMakeCache.txt ] && ! grep -qx 'CMAKE_GENERATOR:INTERNAL=Ninja' $(@D)/CMakeCache.txt; \
	then rm -rf $(@D); fi
	@cmake -S . -B $(@D) $(CMAKE_GEN) $(if $(filter plain,$(notdir $(@D))),,$(CMAKE_SAN)) \
	    -DRACELAB_SANITIZE=$(subst plain,,$(notdir $(@D))) 2>&1 \
	    | sed -u 's/^/[$(notdir $(@D))] /'

build: deps build/plain/build.ninja
	cmake --build build/plain -j $(JOBS)

# The demos build the command alone, not the tests.
cli: deps build/plain/build.ninja
	cmake --build build/plain -j $(JOBS) --target racelab_cli

demo: cli
	./build/plain/racelab demo

demo-postgres: cli
	@scripts/demo-postgres.sh ./build/plain/racelab

# The data race beside the race condition: the ThreadSanitizer build runs
# the unsynchronized billing (a report) and the racy one (none, yet 20 lost).
demo-tsan: deps build/thread/build.ninja
	cmake --build build/thread -j $(JOBS) --target racelab_cli
	@scripts/demo-tsan.sh ./build/thread/racelab

# The address and plain builds first, side by side (the address build's
# tests take longest; the plain build's soundness oracle waits on its native
# runs for most of a minute, so it starts early and overlaps the rest); then
# every build's tests run while the thread build compiles (one make job
# each). The machine is CPU-bound throughout (vmstat: no idle time until
# the last tests), so what shortens make test is less work, then order.
# Each line of output is prefixed with its build's name. The throwaway
# PostgreSQL servers of all three are copies of one cluster
# (scripts/pg-server.sh, RACELAB_PG_TEMPLATE). TEST_JOBS: tests at once
# in each build.
TEST_JOBS ?= 3
PLAIN_EXCLUDE := -E "^(cli_cycles_(postgresql|restart|idle)|cli_explore|searches|programs|cli_db_postgresql|dbbank_postgresql|bench_memory|bench_jobs)"
ADDRESS_EXCLUDE := -E "^(cli_cycles_sqlite|bench_memory|bench_jobs|cli_db_postgresql)"
test: deps
	@start=$$(date +%s); \
	$(MAKE) --no-print-directory -j2 build-address build-plain && \
	$(MAKE) --no-print-directory -j3 test-plain test-thread test-address \
	    'CTEST_EXCLUDE_plain=$(PLAIN_EXCLUDE)' 'CTEST_EXCLUDE_address=$(ADDRESS_EXCLUDE)'; rc=$$?; \
	took=$$(( $$(date +%s) - start )); \
	if [ $$rc = 0 ]; then echo "make test: all three builds passed ($$took s)"; \
	else echo "make test: FAILED, see the lines above ($$took s)"; fi; exit $$rc

build-plain build-thread build-address: build-%: deps build/%/build.ninja
	@cmake --build build/$* -j $(JOBS) 2>&1 | sed -u 's/^/[$*] /'

# make test runs each check where it can find something. The sanitizer
# builds run every test they can; the plain build adds what only an
# uninstrumented build can do (valgrind, the soundness oracle's native runs,
# install, the docs' commands) and the quick unit tests, but not the tests
# the address build runs with the same assertions and sanitizers watching
# (make test sets CTEST_EXCLUDE_plain): the merchant processes
# (cli_cycles_*: 150 to 250 processes and PostgreSQL sessions each), the
# command's explore verbs, the explored programs, the long searches, and
# the PostgreSQL groups
# (every session costs the server a process: about 30 ms of CPU here).
# One exception: the SQLite merchant processes (cli_cycles_sqlite) run in
# the plain build instead (CTEST_EXCLUDE_address), at half the CPU: their
# crash and resume logic is the engine's common code, which the address
# build watches in cli_cycles_postgresql, and sqlitebank.c is watched there
# by dbbank_sqlite and cli_db_sqlite. The command's database verbs on
# PostgreSQL (cli_db_postgresql) run in the thread build only: their C code
# is the same as on SQLite but for pgbank.c, which the address build
# watches in dbbank_postgresql and cli_cycles_postgresql. The memory benchmark's check
# (bench_memory: two compilations and three explorations) runs in the
# thread build alone, which finishes first. The -j and shard checks
# (parallel) run in the plain and the address builds (16 s there, with
# AddressSanitizer over the coordinator, the driver and the workers). The -j benchmark's check (bench_jobs:
# whole searches timed) runs in check-builds only. The unsanitized command runs them all
# in check-builds (CI: GCC and clang Release) and in make test-plain alone.
CTEST_EXCLUDE_plain   :=
CTEST_EXCLUDE_thread  :=
CTEST_EXCLUDE_address :=
test-plain test-thread test-address: test-%: build-%
	@RACELAB_PG_TEMPLATE=$(CURDIR)/build/pg-template \
	    ctest --test-dir build/$* --output-on-failure -j $(TEST_JOBS) $(CTEST_EXCLUDE_$*) 2>&1 \
	    | sed -u 's/^/[$*] /'

# Other compilers and build types, -Werror, the whole suite in each (CI
# runs the default: GCC and clang, Release). BUILDS="clang:Debug ..." for others.
check-builds: deps
	@scripts/check-builds.sh $(BUILDS)

# Both benchmarks with fixed parameters: CSV and charts into bench/results/
# (a few minutes; gnuplot is installed for the charts).
bench: build
	@scripts/install-deps.sh gnuplot-nox
	bench/run.sh build/plain/racelab

# The command, the library (static and shared), the headers, the
# interposer, a pkg-config file, a CMake package and the man page.
install: build
	cmake --install build/plain --prefix $(PREFIX)

clean:
	rm -rf build
