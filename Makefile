# trawl -- one top-level Makefile, objects out of tree in build/.
#
#   make            libtrawl.a, libtrawl.so, bin/trawl-index, bin/trawl-query
#   make demo       index the bundled corpus/ and run example queries
#   make test       every test, then the unit tests again under ASan+UBSan,
#                   and those that run threads under TSan
#   make test T=analyze   one module's unit tests
#   make fuzz       libFuzzer targets (clang) in build/fuzz/
#   make bench      benchmarks (never part of make test)
#   make install PREFIX=/usr/local
#
# Missing Debian packages are installed first by tools/deps.sh.

CC ?= cc
PREFIX ?= /usr/local
OPT ?= -O2
CFLAGS ?= $(OPT) -g
WARN = -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CPPFLAGS += -D_GNU_SOURCE -Iinclude -Ilib -MMD -MP
DEP_CFLAGS := $(shell pkg-config --cflags libutf8proc 2>/dev/null)
LDLIBS = -lstemmer -lutf8proc -lzstd -lisal -lz -lpthread -lm
CMOCKA = -lcmocka

B ?= build
LIB_SRC := $(wildcard lib/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o)
TEST_SRC := $(wildcard tests/unit/test_*.c)
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(B)/tests/%)
TOOL_SRC := $(wildcard tests/tools/*.c)
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(B)/tools/%)
ORACLE_SRC := $(wildcard tests/oracle/*.c)
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)
REPLAY_BIN := $(FUZZ_SRC:fuzz/%.c=$(B)/replay/%)
ORACLE_BIN := $(if $(ORACLE_SRC),$(B)/tests/oracle_diff)

ALL_CFLAGS = $(WARN) $(CFLAGS) $(DEP_CFLAGS) -fPIC

.PHONY: all deps demo test test-unit test-san fuzz fuzz-replay bench bench-quick install clean

all: deps $(B)/libtrawl.a $(B)/libtrawl.so bin/trawl-index bin/trawl-query

deps:
	@sh tools/deps.sh

# Every compile waits for deps (order-only), so that `make -j` on a bare
# machine installs the headers before the first compiler starts.
$(B)/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c $< -o $@

$(B)/libtrawl.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/libtrawl.so: $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,libtrawl.so.0 -Wl,--version-script=tools/libtrawl.map $(CFLAGS) -o $@ $^ $(LDLIBS)

bin/trawl-index: $(B)/indexer/main.o $(B)/libtrawl.a
	@mkdir -p bin
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

bin/trawl-query: $(B)/query/main.o $(B)/libtrawl.a
	@mkdir -p bin
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# test_writer fails fsync on demand, in the middle of a commit
$(B)/tests/test_writer: TEST_LDFLAGS = -Wl,--wrap=fsync

$(B)/tests/test_%: tests/unit/test_%.c $(B)/libtrawl.a | deps
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(TEST_LDFLAGS) -o $@ $< $(B)/libtrawl.a $(CMOCKA) $(LDLIBS)

$(B)/tools/%: tests/tools/%.c $(B)/libtrawl.a | deps
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $< $(B)/libtrawl.a $(LDLIBS)

# each fuzz target linked with a plain main that replays its corpus
$(B)/replay/%: fuzz/%.c fuzz/replay.c $(B)/libtrawl.a | deps
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $< fuzz/replay.c $(B)/libtrawl.a $(LDLIBS)

$(B)/tests/oracle_diff: $(ORACLE_SRC) $(B)/libtrawl.a | deps
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $(ORACLE_SRC) $(B)/libtrawl.a $(LDLIBS)

# The unit tests whose code runs threads (a build's lanes and store
# compressor, a search's slices), run again under ThreadSanitizer.
TSAN_TESTS := test_build test_docstore test_search test_threads test_writer

# Unit tests, end-to-end tests, then the unit tests under ASan+UBSan and
# the threaded ones under TSan.
test: all $(TEST_BIN) $(TOOL_BIN) $(ORACLE_BIN)
	@$(MAKE) --no-print-directory B=build-san OPT=-O1 \
		CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
		build-san/libtrawl.a $(TEST_SRC:tests/unit/%.c=build-san/tests/%) $(TOOL_SRC:tests/tools/%.c=build-san/tools/%) \
		$(if $(ORACLE_SRC),build-san/tests/oracle_diff) \
		$(FUZZ_SRC:fuzz/%.c=build-san/replay/%) >/dev/null
	@$(MAKE) --no-print-directory B=build-tsan OPT=-O1 \
		CFLAGS="-O1 -g -fsanitize=thread" \
		$(TSAN_TESTS:%=build-tsan/tests/%) >/dev/null
	@sh tests/run.sh "$(T)"

test-san:
	@$(MAKE) --no-print-directory test

# clang, and libFuzzer's runtime, which clang only recommends
fuzz:
	@TRAWL_EXTRA_PKGS=clang sh tools/deps.sh
	@v=$$(clang -dumpversion | cut -d. -f1) && \
		TRAWL_EXTRA_PKGS=libclang-rt-$$v-dev sh tools/deps.sh
	@$(MAKE) --no-print-directory B=build-fuzz CC=clang OPT=-O1 \
		CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined" build-fuzz/libtrawl.a
	@mkdir -p build-fuzz/fuzz
	@for f in fuzz/fuzz_*.c; do n=$$(basename $$f .c); \
		echo "  FUZZ $$n"; \
		clang $(CPPFLAGS) $(DEP_CFLAGS) $(WARN) -O1 -g -fsanitize=fuzzer,address,undefined \
		-o build-fuzz/fuzz/$$n $$f build-fuzz/libtrawl.a $(LDLIBS) || exit 1; done

# bench/README.md: CORPUS=FILE (or "all"), BENCH_ARGS="--docs 2000 --reps 5 ...".
bench: all
	@TRAWL_LDLIBS="$(LDLIBS)" sh bench/run.sh $(if $(CORPUS),--corpus "$(CORPUS)") $(BENCH_ARGS)

bench-quick: all
	@TRAWL_LDLIBS="$(LDLIBS)" sh bench/run.sh --quick $(BENCH_ARGS)

demo: all
	@sh tools/demo.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/include \
		$(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 755 bin/trawl-index bin/trawl-query $(DESTDIR)$(PREFIX)/bin/
	install -m 644 include/trawl.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(B)/libtrawl.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(B)/libtrawl.so $(DESTDIR)$(PREFIX)/lib/libtrawl.so.0
	ln -sf libtrawl.so.0 $(DESTDIR)$(PREFIX)/lib/libtrawl.so
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|0.1.0|g' tools/trawl.pc.in \
		> $(DESTDIR)$(PREFIX)/lib/pkgconfig/trawl.pc

clean:
	rm -rf build build-san build-tsan build-fuzz bin

-include $(LIB_OBJ:.o=.d) $(B)/indexer/main.d $(B)/query/main.d
