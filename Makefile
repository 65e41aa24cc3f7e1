# The two commands a user needs: `make demo` and `make test`. Both install what is missing first.
BUILD_DIR ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release
# make test-sanitize: the library, the command and the tests with ASan and UBSan (gcc).
SANITIZE_DIR ?= build-sanitize
# make fuzz: every fuzzer in fuzz/ for FUZZ_SECONDS each (clang, libFuzzer, ASan, UBSan).
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 600

.PHONY: all deps configure build demo test test-sanitize fuzz bench install clean

all: build

deps:
	@scripts/install-deps

configure: deps
	@cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS) > $(BUILD_DIR).configure.log 2>&1 || (cat $(BUILD_DIR).configure.log; exit 1)

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

demo: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target credence_cli
	@$(BUILD_DIR)/credence demo --out-dir demo-output

# The tests need the library, the command and the test programs; the benchmarks are built by `make bench`.
test: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target test_programs
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# Containers filled by uninstrumented LibTorch code would look overflowed to ASan; leaks are checked;
# an allocation too large for memory fails as without ASan (the tests check that message).
SANITIZER_ENV = ASAN_OPTIONS=detect_container_overflow=0:detect_leaks=1:abort_on_error=1:allocator_may_return_null=1 \
                UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

test-sanitize: deps
	@cmake -S . -B $(SANITIZE_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCREDENCE_SANITIZE=ON -DCREDENCE_BUILD_BENCH=OFF \
	  > $(SANITIZE_DIR).configure.log 2>&1 || (cat $(SANITIZE_DIR).configure.log; exit 1)
	@cmake --build $(SANITIZE_DIR) -j $(JOBS)
	@cd $(SANITIZE_DIR) && $(SANITIZER_ENV) ctest --output-on-failure -j $(JOBS) -E install_and_find_package

fuzz:
	@CREDENCE_WITH_FUZZ=1 scripts/install-deps
	@cmake -S . -B $(FUZZ_DIR) -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCREDENCE_FUZZ=ON \
	  -DCREDENCE_BUILD_TESTS=OFF -DCREDENCE_BUILD_BENCH=OFF -DCREDENCE_BUILD_EXAMPLES=OFF \
	  > $(FUZZ_DIR).configure.log 2>&1 || (cat $(FUZZ_DIR).configure.log; exit 1)
	@cmake --build $(FUZZ_DIR) -j $(JOBS) --target fuzzers
	@fuzz/run $(FUZZ_DIR) $(FUZZ_SECONDS)

bench: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target benchmarks
	@bench/run-all $(BUILD_DIR)

install: build
	@cmake --install $(BUILD_DIR) $(if $(PREFIX),--prefix $(PREFIX),)

clean:
	@rm -rf $(BUILD_DIR) $(BUILD_DIR).configure.log demo-output $(SANITIZE_DIR) $(SANITIZE_DIR).configure.log \
	  $(FUZZ_DIR) $(FUZZ_DIR).configure.log
