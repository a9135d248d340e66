# jadhub — one Makefile for the library, the programs, the tests and the demo.
#
#   make                release build: lib/libjad.a and bin/
#   make test           ASan+UBSan build under build/asan/ (never bin/), all tests
#   make fuzz           libFuzzer targets under build/fuzz/ (clang)
#   make demo           the example operation, end to end
#   make install        PREFIX=/usr/local DESTDIR= SYSCONFDIR=/etc (uninstall)
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
# O=DIR builds the variant into DIR instead (DIR/bin, DIR/libjad.a), so two
# builds of one checkout never write the same file.
ifneq ($(O),)
  B       := $(O)
  BINDIR  := $(B)/bin
  LIBJAD  := $(B)/libjad.a
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
jad-hub_SRC     := hub/jad_hub.c hub/hub.c hub/ingest.c
jad-agent_SRC   := agent/jad_agent.c agent/agent.c agent/window.c
jad-console_SRC := console/jad_console.c console/console_link.c \
                   console/console_model.c console/console_ui.c
jad-journal_SRC := tools/jad_journal.c
jad-keygen_SRC  := tools/jad_keygen.c
jad-sim_SRC     := tools/jad_sim.c
jad-verify_SRC  := tools/jad_verify.c
jad-report_SRC  := tools/jad_report.c
jad-replay_SRC  := tools/jad_replay.c
jad-export_SRC  := tools/jad_export.c
# Only the console draws with curses: its flags stay on its own files.
jad-console_LIBS = $(shell $(PKG_CONFIG) --libs ncursesw)
$(B)/obj/console/console_ui.o: CPPFLAGS += $(shell $(PKG_CONFIG) --cflags ncursesw)


PROG_BINS := $(addprefix $(BINDIR)/,$(PROGS))

# Test-only programs (not installed): built next to the tested binaries.
TEST_PROGS := jad-probe jad-tamper jad-jsoncmp jad-delay
jad-probe_SRC := tests/tools/jad_probe.c
jad-jsoncmp_SRC := tests/tools/jad_jsoncmp.c
jad-tamper_SRC := tests/tools/jad_tamper.c
jad-delay_SRC := tests/tools/jad_delay.c
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

.PHONY: all test test-build test-bins check fuzz fuzz-long demo install uninstall clean deps \
        bench bench-peer bench-scale bench-field
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

# Every unit test links the shared helpers (tests/unit/testutil.c).
$(B)/tests/%: $(B)/obj/tests/unit/%.o $(B)/obj/tests/unit/testutil.o $(LIBJAD)
	@mkdir -p $(dir $@)
	$(SAY) LD $@
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(filter %.a,$^) \
	    $(PKG_LIBS) $(shell $(PKG_CONFIG) --libs $(TEST_PKGS)) $(LDLIBS)

# Unit tests of modules that live beside their program, not in libjad.
$(B)/tests/test_console_model: $(B)/obj/console/console_model.o
$(B)/tests/test_window: $(B)/obj/agent/window.o
$(B)/tests/test_ingest: $(B)/obj/hub/ingest.o
$(B)/tests/test_agent: $(B)/obj/agent/agent.o $(B)/obj/agent/window.o
# The intake's test makes the signed bytes fail on demand (memory).
$(B)/tests/test_ingest: LDFLAGS += -Wl,--wrap=jad_sign_report_bytes

# ---------------------------------------------------------------- test
# The build uses every core (a fresh clone builds in about a minute on
# two); tests/run.sh runs the tests four at a time.
NPROC ?= $(shell nproc 2>/dev/null || echo 2)
test: deps
	$(MAKE) --no-print-directory -j$(NPROC) VARIANT=asan test-build
	VARIANT=asan bash tests/run.sh

test-build: test-bins fuzz
test-bins: $(LIBJAD) $(PROG_BINS) $(TEST_BINS) $(UNIT_BINS)

# ---------------------------------------------------------------- fuzz
# libFuzzer wants clang.  The library (and what a target names in
# NAME_EXTRA) is compiled once with the fuzzer's coverage instrumentation
# into build/fuzz/obj/; each target links its own main against it.
FUZZ_CC    ?= clang
FUZZ_CFLAGS := -std=c11 -g -O1 -Wall -Wextra -Werror -fno-omit-frame-pointer \
               -fno-sanitize-recover=all \
               -Iinclude -isystem build/fuzz/gen -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
FUZZ_LIB_FLAGS := $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined
FUZZ_FLAGS     := $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined

fuzz: $(FUZZ_BINS)

build/fuzz/gen/jad.pb-c.c build/fuzz/gen/jad.pb-c.h: proto/jad.proto
	@mkdir -p build/fuzz/gen
	$(Q)$(PROTOC_C) --proto_path=proto --c_out=build/fuzz/gen proto/jad.proto

# protobuf-c from Debian's source, instrumented (tests/fuzz/README.md);
# offline, the script leaves no library and the system's is linked.
FUZZ_PBC := build/fuzz/libprotobuf-c-fuzz.a
build/fuzz/.protobuf-c: tests/fuzz/build-protobuf-c.sh
	@mkdir -p build/fuzz
	$(Q)FUZZ_CC=$(FUZZ_CC) sh tests/fuzz/build-protobuf-c.sh
	@touch $@

# A target that links sources from outside lib/ names them in NAME_EXTRA.
fuzz_ingest_EXTRA := hub/ingest.c
FUZZ_LIB_OBJ := $(patsubst %.c,build/fuzz/obj/%.o,$(LIB_SRC)) build/fuzz/obj/gen/jad.pb-c.o

build/fuzz/obj/%.o: %.c build/fuzz/gen/jad.pb-c.h
	@mkdir -p $(dir $@)
	$(SAY) FUZZCC $<
	$(Q)$(FUZZ_CC) $(FUZZ_LIB_FLAGS) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

build/fuzz/obj/gen/jad.pb-c.o: build/fuzz/gen/jad.pb-c.c
	@mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_LIB_FLAGS) -Wno-missing-braces $(PKG_CFLAGS) -c -o $@ $<

build/fuzz/libjad-fuzz.a: $(FUZZ_LIB_OBJ)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

# Object files are kept, not deleted as intermediates (a fuzz target's
# extra objects, the unit tests' objects), so nothing is rebuilt twice.
.SECONDARY:
.SECONDEXPANSION:
build/fuzz/%: tests/fuzz/%.c build/fuzz/libjad-fuzz.a build/fuzz/.protobuf-c \
              $$(addprefix build/fuzz/obj/,$$(subst .c,.o,$$($$*_EXTRA)))
	@mkdir -p build/fuzz
	$(SAY) FUZZ $@
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) $(PKG_CFLAGS) -o $@ $< \
	    $(addprefix build/fuzz/obj/,$($*_EXTRA:.c=.o)) build/fuzz/libjad-fuzz.a \
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
bench-peer: all $(BENCH_BINS) ; BIN=$(BINDIR) sh bench/peer/run.sh
bench-scale: all $(BENCH_BINS) ; BIN=$(BINDIR) sh bench/scale/run.sh
bench-field: all $(TEST_BINS) ; BIN=$(abspath $(BINDIR)) sh bench/field/run.sh

# ---------------------------------------------------------------- install
# Where Debian expects things.  PREFIX=/usr is a package's layout, the
# default /usr/local an install by hand: systemd reads units from
# PREFIX/lib/systemd/system and users from PREFIX/lib/sysusers.d under both
# (`systemd-analyze unit-paths`).  Configuration goes to SYSCONFDIR, /etc
# whatever PREFIX is, and only where none is: an operator's file is never
# overwritten.  DESTDIR stages the whole tree and needs no root.  The units
# get the installed paths, and the man pages are each program's --help
# (deploy/help2man.sh), both made at install time.  Nothing here creates
# users or touches /var: see docs/OPERATIONS.md.
SYSCONFDIR  ?= /etc
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
MANDIR      ?= $(PREFIX)/share/man
DOCDIR      ?= $(PREFIX)/share/doc/jadhub
INSTALL     ?= install
INST_BIN    := $(PREFIX)/bin
UNITS       := jad-hub.service jad-agent.service
CONFIGS     := hub.conf agent.conf
DOCS        := README.md $(wildcard docs/*.md)
EXAMPLES    := $(wildcard deploy/examples/*) $(addprefix deploy/config/,$(CONFIGS)) \
               deploy/new-operation.sh
SUBST        = sed -e 's|@BINDIR@|$(INST_BIN)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
                   -e 's|@DOCDIR@|$(DOCDIR)|g' -e 's|@SYSUSERSDIR@|$(SYSUSERSDIR)|g'
# NAME lines of the man pages (a program without one gets its help's first
# sentence).
jad-hub_WHATIS     := the central hub: admits participants, journals, acknowledges and publishes their reports
jad-agent_WHATIS   := a national command centre's link to the hub: outbox, mirror, submit, status, requests
jad-keygen_WHATIS  := key pairs, the operation's roster and the countries' bundles (the key ceremony)
jad-journal_WHATIS := import, count and dump a journal
jad-sim_WHATIS     := run a whole operation on one machine with real processes
jad-verify_WHATIS  := check a journal end to end: signatures, hash chain, signed checkpoints
jad-report_WHATIS  := the operation's figures from a journal
jad-replay_WHATIS  := replay a journal's entries, or serve them again as a hub's feed
jad-export_WHATIS  := every report of a journal as JSON Lines or CSV
jad-console_WHATIS := the coordinators' live picture of an operation, in the terminal

install: all
	$(INSTALL) -d $(DESTDIR)$(INST_BIN) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(DOCDIR)/examples
	$(INSTALL) -m 0755 $(PROG_BINS) $(DESTDIR)$(INST_BIN)/
	$(SAY) MAN $(DESTDIR)$(MANDIR)/man1
	$(Q)set -e; $(foreach p,$(PROGS),\
	    sh deploy/help2man.sh -n "$($(p)_WHATIS)" -s "$(PROGS)" -d "$(DOCDIR)" \
	        $(BINDIR)/$(p) > $(DESTDIR)$(MANDIR)/man1/$(p).1; \
	    gzip -9nf $(DESTDIR)$(MANDIR)/man1/$(p).1; \
	    chmod 0644 $(DESTDIR)$(MANDIR)/man1/$(p).1.gz;)
	set -e; for u in $(UNITS); do \
	    $(SUBST) deploy/systemd/$$u.in > $(DESTDIR)$(UNITDIR)/$$u; \
	    chmod 0644 $(DESTDIR)$(UNITDIR)/$$u; \
	    $(INSTALL) -m 0644 $(DESTDIR)$(UNITDIR)/$$u $(DESTDIR)$(DOCDIR)/examples/; \
	done
	$(SUBST) deploy/systemd/jadhub.sysusers > $(DESTDIR)$(SYSUSERSDIR)/jadhub.conf
	chmod 0644 $(DESTDIR)$(SYSUSERSDIR)/jadhub.conf
	$(INSTALL) -m 0644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	$(INSTALL) -m 0644 $(EXAMPLES) $(DESTDIR)$(DOCDIR)/examples/
	$(INSTALL) -m 0644 deploy/config/README $(DESTDIR)$(DOCDIR)/examples/README.config
	set -e; for d in $(DESTDIR)$(SYSCONFDIR)/jadhub $(DESTDIR)$(SYSCONFDIR)/jadhub/keys; do \
	    [ -d $$d ] || $(INSTALL) -d -m 0755 $$d; done; \
	for f in $(CONFIGS); do \
	    if [ -e $(DESTDIR)$(SYSCONFDIR)/jadhub/$$f ]; then \
	        echo "  kept $(DESTDIR)$(SYSCONFDIR)/jadhub/$$f (the sample is in $(DOCDIR)/examples)"; \
	    else $(INSTALL) -m 0644 deploy/config/$$f $(DESTDIR)$(SYSCONFDIR)/jadhub/; fi; \
	done

# Removes what install put; a configuration file only if it is still the
# sample, and /etc/jadhub only if nothing else (no key) is left in it.
uninstall:
	rm -f $(addprefix $(DESTDIR)$(INST_BIN)/,$(PROGS))
	rm -f $(foreach p,$(PROGS),$(DESTDIR)$(MANDIR)/man1/$(p).1 $(DESTDIR)$(MANDIR)/man1/$(p).1.gz)
	rm -f $(addprefix $(DESTDIR)$(UNITDIR)/,$(UNITS)) $(DESTDIR)$(SYSUSERSDIR)/jadhub.conf
	rm -rf $(DESTDIR)$(DOCDIR) $(DESTDIR)$(PREFIX)/share/jadhub
	for f in $(CONFIGS); do \
	    if cmp -s deploy/config/$$f $(DESTDIR)$(SYSCONFDIR)/jadhub/$$f; then \
	        rm -f $(DESTDIR)$(SYSCONFDIR)/jadhub/$$f; \
	    elif [ -e $(DESTDIR)$(SYSCONFDIR)/jadhub/$$f ]; then \
	        echo "  kept $(DESTDIR)$(SYSCONFDIR)/jadhub/$$f (changed)"; fi; \
	done
	rmdir $(DESTDIR)$(SYSCONFDIR)/jadhub/keys $(DESTDIR)$(SYSCONFDIR)/jadhub 2>/dev/null || true

clean:
	rm -rf build bin lib/libjad.a

-include $(shell find build -name '*.d' 2>/dev/null)
