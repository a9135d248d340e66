# jadhub — one Makefile for the library, the programs, the tests and the demo.
#
#   make                release build: lib/libjad.a and bin/
#   make test           ASan+UBSan build under build/asan/ (never bin/), all tests
#   make fuzz           libFuzzer targets under build/fuzz/ (clang)
#   make demo           the example operation, end to end
#   make install        PREFIX=/usr/local DESTDIR=
#   make clean
#
# VARIANT=release|asan selects the build; `make test` re-invokes make with
# VARIANT=asan so the two builds never share an object file.

PREFIX  ?= /usr/local
DESTDIR ?=
VARIANT ?= release
PKG_CONFIG ?= pkg-config
PROTOC_C ?= protoc-c

# Quiet by default; V=1 shows every command.
ifeq ($(V),1)
  Q :=
  SAY := @true
else
  Q := @
  SAY := @printf '  %-6s %s\n'
endif

PKGS      := libczmq libzmq libprotobuf-c lmdb libsodium jansson
TEST_PKGS := cmocka

ifeq ($(VARIANT),asan)
  B       := build/asan
  BINDIR  := $(B)/bin
  LIBJAD  := $(B)/libjad.a
  OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
             -fno-sanitize-recover=all
else
  B       := build/release
  BINDIR  := bin
  LIBJAD  := lib/libjad.a
  OPT     := -O2 -g
endif

# pkg-config is only asked when a target needs it (not for `make clean`).
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS))
PKG_LIBS   = $(shell $(PKG_CONFIG) --libs $(PKGS))

CPPFLAGS += -Iinclude -isystem $(B)/gen -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
CFLAGS   += -std=c11 -Wall -Wextra -Werror $(OPT) -MMD -MP
LDLIBS   += -lm -lpthread

GEN_C   := $(B)/gen/jad.pb-c.c
GEN_H   := $(B)/gen/jad.pb-c.h
LIB_SRC := $(sort $(wildcard lib/*.c))
LIB_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(LIB_SRC)) $(B)/obj/gen/jad.pb-c.o

# ---------------------------------------------------------------- programs
# Each program: NAME_SRC lists its sources (its main first).
PROGS := jad-journal jad-hub jad-keygen jad-agent jad-sim jad-verify \
         jad-report jad-replay jad-export jad-console
jad-journal_SRC := hub/jad_journal.c
jad-hub_SRC     := hub/jad_hub.c hub/hub.c hub/zap.c
jad-keygen_SRC  := agent/jad_keygen.c
jad-agent_SRC   := agent/jad_agent.c agent/agent.c
jad-sim_SRC     := hub/jad_sim.c
jad-verify_SRC  := hub/jad_verify.c
jad-report_SRC  := hub/jad_report.c
jad-replay_SRC  := hub/jad_replay.c hub/zap.c
jad-export_SRC  := hub/jad_export.c
jad-console_SRC := hub/jad_console.c hub/console_link.c hub/console_model.c \
                   hub/console_ui.c
# Only the console draws with curses: its flags stay on its own files.
jad-console_LIBS = $(shell $(PKG_CONFIG) --libs ncursesw)
$(B)/obj/hub/console_ui.o: CPPFLAGS += $(shell $(PKG_CONFIG) --cflags ncursesw)


PROG_BINS := $(addprefix $(BINDIR)/,$(PROGS))

# Test-only programs (not installed): built next to the tested binaries.
TEST_PROGS := jad-probe jad-tamper jad-jsoncmp
jad-probe_SRC := tests/tools/jad_probe.c
jad-jsoncmp_SRC := tests/tools/jad_jsoncmp.c
jad-tamper_SRC := tests/tools/jad_tamper.c
TEST_BINS := $(addprefix $(BINDIR)/,$(TEST_PROGS))

# Benchmark programs (not installed).
BENCH_PROGS := jad-bench
jad-bench_SRC := bench/jad_bench.c
BENCH_BINS := $(addprefix $(BINDIR)/,$(BENCH_PROGS))

# ---------------------------------------------------------------- tests
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
FUZZ_SRC  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRC))

.PHONY: all test test-build check fuzz fuzz-long demo install uninstall clean deps bench
all: $(LIBJAD) $(PROG_BINS)

deps:
	@sh deploy/install-deps.sh

$(GEN_C) $(GEN_H): proto/jad.proto
	@mkdir -p $(B)/gen
	$(SAY) PROTOC $<
	$(Q)$(PROTOC_C) --proto_path=proto --c_out=$(B)/gen proto/jad.proto

$(B)/obj/%.o: %.c $(GEN_H)
	@mkdir -p $(dir $@)
	$(SAY) CC $<
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -c -o $@ $<

# Generated code: protoc-c's initializers trip -Wmissing-braces.
$(B)/obj/gen/jad.pb-c.o: $(GEN_C)
	@mkdir -p $(dir $@)
	$(SAY) CC $<
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -Wno-missing-braces -c -o $@ $<

$(LIBJAD): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(SAY) AR $@
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

define PROG_RULE
$(BINDIR)/$(1): $(patsubst %.c,$(B)/obj/%.o,$($(1)_SRC)) $(LIBJAD)
	@mkdir -p $$(dir $$@)
	$$(SAY) LD $$@
	$$(Q)$$(CC) $$(CFLAGS) $$(LDFLAGS) -o $$@ $$^ $$(PKG_LIBS) $$($(1)_LIBS) $$(LDLIBS)
endef
$(foreach p,$(PROGS) $(TEST_PROGS) $(BENCH_PROGS),$(eval $(call PROG_RULE,$(p))))

$(B)/tests/%: $(B)/obj/tests/unit/%.o $(LIBJAD)
	@mkdir -p $(dir $@)
	$(SAY) LD $@
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(filter %.a,$^) \
	    $(PKG_LIBS) $(shell $(PKG_CONFIG) --libs $(TEST_PKGS)) $(LDLIBS)

# Unit tests of modules that live beside their program, not in libjad.
$(B)/tests/test_console_model: $(B)/obj/hub/console_model.o

# ---------------------------------------------------------------- test
test: deps
	$(MAKE) --no-print-directory VARIANT=asan test-build
	VARIANT=asan sh tests/run.sh

test-build: $(LIBJAD) $(PROG_BINS) $(TEST_BINS) $(UNIT_BINS) fuzz

# ---------------------------------------------------------------- fuzz
# libFuzzer wants clang; the library is compiled into each target with the
# fuzzer's instrumentation.
FUZZ_CC    ?= clang
FUZZ_FLAGS := -std=c11 -g -O1 -Wall -Wextra -Werror -fno-omit-frame-pointer \
              -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
              -Iinclude -isystem build/fuzz/gen -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE

fuzz: $(FUZZ_BINS)

build/fuzz/gen/jad.pb-c.c: proto/jad.proto
	@mkdir -p build/fuzz/gen
	$(Q)$(PROTOC_C) --proto_path=proto --c_out=build/fuzz/gen proto/jad.proto

# protobuf-c from Debian's source, instrumented (tests/fuzz/README.md);
# offline, the script leaves no library and the system's is linked.
FUZZ_PBC := build/fuzz/libprotobuf-c-fuzz.a
build/fuzz/.protobuf-c: tests/fuzz/build-protobuf-c.sh
	@mkdir -p build/fuzz
	$(Q)FUZZ_CC=$(FUZZ_CC) sh tests/fuzz/build-protobuf-c.sh
	@touch $@

build/fuzz/%: tests/fuzz/%.c $(LIB_SRC) build/fuzz/gen/jad.pb-c.c \
              $(wildcard include/jad/*.h) build/fuzz/.protobuf-c
	@mkdir -p build/fuzz
	$(SAY) FUZZ $@
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) $(PKG_CFLAGS) -o $@ $< $(LIB_SRC) \
	    build/fuzz/gen/jad.pb-c.c \
	    $$(if [ -f $(FUZZ_PBC) ]; then echo $(FUZZ_PBC) $(filter-out -lprotobuf-c,$(PKG_LIBS)); \
	       else echo $(PKG_LIBS); fi) $(LDLIBS)

# make fuzz-long FUZZ_SECONDS=3600: every target that long, one after another
FUZZ_SECONDS ?= 600
fuzz-long: fuzz
	FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run-long.sh

# ---------------------------------------------------------------- demo
demo: deps
	$(MAKE) --no-print-directory all
	sh deploy/demo.sh

bench: all $(BENCH_BINS)
	sh bench/run.sh

# ---------------------------------------------------------------- install
install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(PROG_BINS) $(DESTDIR)$(PREFIX)/bin/
	install -d $(DESTDIR)$(PREFIX)/share/jadhub/examples
	install -m 0644 deploy/examples/* $(DESTDIR)$(PREFIX)/share/jadhub/examples/

uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,$(PROGS))
	rm -rf $(DESTDIR)$(PREFIX)/share/jadhub

clean:
	rm -rf build bin lib/libjad.a

-include $(shell find build -name '*.d' 2>/dev/null)
