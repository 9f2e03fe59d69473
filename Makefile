# racelab: two commands do all the set-up on a fresh Debian machine.
#   make demo   install what is missing, build, run `racelab demo`
#   make demo-postgres   the same demo against a throwaway PostgreSQL server
#   make demo-tsan   the data race beside the race condition, under
#               ThreadSanitizer
#   make test   install what is missing, then build and run every test in
#               three builds: plain, ThreadSanitizer, Address+UB sanitizers;
#               and the explorer's tests on its portable context switch
#   make bench  both benchmarks, CSV and charts into bench/results/
#   make install PREFIX=/usr/local   the command, the library, headers,
#               pkg-config and CMake files, the man page
# Each build lives in its own folder under build/.

# python3 and bsdutils (script) are used by the command-line tests;
# valgrind by its race-detector test (and its headers by the build).
DEPS      := cmake make gcc libc6-dev binutils pkg-config libcmocka-dev uthash-dev python3 bsdutils \
             libsqlite3-dev sqlite3 libpq-dev postgresql valgrind
JOBS      ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_GEN := -DCMAKE_BUILD_TYPE=RelWithDebInfo

PREFIX    ?= /usr/local

.PHONY: all deps build demo demo-postgres demo-tsan test test-plain test-thread test-address \
        test-portable bench install clean

all: build

deps:
	@scripts/install-deps.sh $(DEPS)

build/plain/Makefile build/thread/Makefile build/address/Makefile: CMakeLists.txt | deps
	cmake -S . -B $(@D) $(CMAKE_GEN) -DRACELAB_SANITIZE=$(subst plain,,$(notdir $(@D)))

build: deps build/plain/Makefile
	cmake --build build/plain -j $(JOBS)

demo: build
	./build/plain/racelab demo

demo-postgres: build
	@scripts/demo-postgres.sh ./build/plain/racelab

# The data race beside the race condition: the ThreadSanitizer build runs
# the unsynchronized billing (a report) and the racy one (none, yet 20 lost).
demo-tsan: deps build/thread/Makefile
	cmake --build build/thread -j $(JOBS) --target racelab_cli
	@scripts/demo-tsan.sh ./build/thread/racelab

test: test-plain test-thread test-address test-portable
	@echo "make test: all three builds passed, and the portable context switch"

test-plain test-thread test-address: test-%: deps build/%/Makefile
	cmake --build build/$* -j $(JOBS)
	ctest --test-dir build/$* --output-on-failure -j $(JOBS)

# The explorer's portable context switch (ucontext, used where there is no
# x86-64 one), built and tested on this machine too: the explorer's tests.
build/portable/Makefile: CMakeLists.txt | deps
	cmake -S . -B $(@D) $(CMAKE_GEN) -DRACELAB_PORTABLE_FIBERS=ON
test-portable: deps build/portable/Makefile
	cmake --build build/portable -j $(JOBS)
	ctest --test-dir build/portable --output-on-failure -j $(JOBS) \
	    -R '^(explore|searches|scenarios|billing|lockstep|processor|trylock|channel|locker)$$'

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
