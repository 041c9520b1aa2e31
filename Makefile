# The README's two commands: `make run` and `make test`. Both install what is missing first.
BUILD_DIR ?= build
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo
CTEST_PARALLEL ?= 2
# ccache hits across clones in different directories (CI clones afresh): hash paths relative
# to the checkout, not the absolute directory.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := true

.PHONY: deps configure build test run bench clean

deps:
	@bash scripts/install-deps

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(CTEST_PARALLEL)

run: build
	@bash scripts/run $(BUILD_DIR)

bench: build
	@bash bench/run $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR)
