# spigot: a user-space IPsec router.  `make` builds build/spigotd and
# build/spigot; `make check` runs every test; `make demo` runs the seed's
# scenario; `make bench` runs the benchmarks.

CC      ?= cc
CFLAGS  ?= -O2 -g
WARN     = -DSPIGOT_VERSION=\"0.1\" -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wno-unused-parameter -Wno-missing-field-initializers -Wformat=2 -Wno-format-nonliteral -Wno-format-truncation
CPPFLAGS += -Isrc
LDLIBS   = -lcrypto -pthread

SAN_FLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined

LIB_SRC  = $(sort $(filter-out src/cmd/%,$(wildcard src/*.c src/*/*.c)))
CMD_SRC  = $(wildcard src/cmd/*.c)
UNIT_SRC = $(sort $(wildcard tests/unit/*.c tests/exchange/*.c))
TOOL_SRC = $(sort $(wildcard tests/tools/*.c))
FUZZ_SRC = $(sort $(wildcard tests/fuzz/fuzz_*.c))
HDRS     = $(wildcard src/*.h src/*/*.h tests/unit/*.h tests/exchange/*.h)

LIB_OBJ  = $(LIB_SRC:%.c=build/obj/%.o)
SAN_OBJ  = $(LIB_SRC:%.c=build/asan/obj/%.o)

all: build/spigotd build/spigot

build/obj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -c $< -o $@

build/asan/obj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC asan $<"
	@$(CC) $(CPPFLAGS) $(WARN) $(SAN_FLAGS) -c $< -o $@

build/spigotd: $(LIB_OBJ) build/obj/src/cmd/spigotd.o
	$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

build/spigot: $(LIB_OBJ) build/obj/src/cmd/spigot.o build/obj/src/cmd/lab.o
	$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

# The sanitizer build the tests use.
asan: build/asan/spigotd build/asan/spigot build/asan/unit_tests $(TOOL_SRC:tests/tools/%.c=build/asan/tools/%)

# Small programs the scripted tests drive (tests/tools/NAME.c -> build/asan/tools/NAME).
build/asan/tools/%: build/asan/obj/tests/tools/%.o $(SAN_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) $^ -o $@ $(LDLIBS)

build/asan/spigotd: $(SAN_OBJ) build/asan/obj/src/cmd/spigotd.o
	$(CC) $(SAN_FLAGS) $^ -o $@ $(LDLIBS)

build/asan/spigot: $(SAN_OBJ) build/asan/obj/src/cmd/spigot.o build/asan/obj/src/cmd/lab.o
	$(CC) $(SAN_FLAGS) $^ -o $@ $(LDLIBS)

build/asan/unit_tests: $(SAN_OBJ) $(UNIT_SRC:%.c=build/asan/obj/%.o)
	$(CC) $(SAN_FLAGS) $^ -o $@ $(LDLIBS)

# ThreadSanitizer: what the data-plane threads share (tests/netns/workers.sh
# runs spigotd from it with SPIGOT_TSAN=1; unit_tests mt_ runs the threaded tests).
TSAN_FLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=thread
TSAN_OBJ   = $(LIB_SRC:%.c=build/tsan/obj/%.o)

build/tsan/obj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC tsan $<"
	@$(CC) $(CPPFLAGS) $(WARN) $(TSAN_FLAGS) -c $< -o $@

build/tsan/spigotd: $(TSAN_OBJ) build/tsan/obj/src/cmd/spigotd.o
	$(CC) $(TSAN_FLAGS) $^ -o $@ $(LDLIBS)

build/tsan/spigot: $(TSAN_OBJ) build/tsan/obj/src/cmd/spigot.o build/tsan/obj/src/cmd/lab.o
	$(CC) $(TSAN_FLAGS) $^ -o $@ $(LDLIBS)

build/tsan/unit_tests: $(TSAN_OBJ) $(UNIT_SRC:%.c=build/tsan/obj/%.o)
	$(CC) $(TSAN_FLAGS) $^ -o $@ $(LDLIBS)

tsan: build/tsan/spigotd build/tsan/spigot build/tsan/unit_tests

# libFuzzer targets: each tests/fuzz/fuzz_NAME.c links against the library.
FUZZ_CC    = clang
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_BINS  = $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)

build/fuzz/obj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(WARN) -Wno-unknown-warning-option -Wno-unused-command-line-argument -g -O1 \
		-fsanitize=fuzzer-no-link,address,undefined -c $< -o $@

build/fuzz/%: tests/fuzz/%.c $(LIB_SRC:%.c=build/fuzz/obj/%.o)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(WARN) -Wno-unknown-warning-option $(FUZZ_FLAGS) $^ -o $@ $(LDLIBS)

# The stateful target drives the two-router exchange harness (tests/exchange).
build/fuzz/fuzz_exchange: build/fuzz/obj/tests/exchange/seedlab.o
# ...and the IKEv2 one the two-engine fake host of the unit tests.
build/fuzz/fuzz_ikev2_exch: build/fuzz/obj/tests/unit/ikev2_pair.o

fuzz: $(FUZZ_BINS)

# Every fuzz target for SECONDS each (default 300), from its seed corpus; the
# grown corpus stays in build/fuzz/corpus/, crashes in build/fuzz/NAME-crash-*.
# FUZZ_LONG_FLAGS="-fork=1 -ignore_crashes=1" keeps going after a crash.
SECONDS ?= 300
FUZZ_LONG_FLAGS ?=
fuzz-long: $(FUZZ_BINS)
	@for f in $(FUZZ_BINS); do n=$$(basename $$f); c=build/fuzz/corpus/$$n; mkdir -p $$c; \
		[ -d tests/fuzz/corpus/$$n ] && cp -r tests/fuzz/corpus/$$n/. $$c/; \
		echo "== $$n ($(SECONDS) s)"; \
		$$f -max_total_time=$(SECONDS) -rss_limit_mb=2048 $(FUZZ_LONG_FLAGS) -print_final_stats=1 -artifact_prefix=build/fuzz/$$n- \
			$$c 2>&1 | grep -E '(DONE|^Done|^#[0-9]+: cov|oom/timeout/crash|stat::number_of_executed_units|stat::peak_rss|INVARIANT|==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)' | tail -12 \
			|| true; \
	done

check:
	@bash tests/run.sh

demo:
	@bash labs/seed/demo.sh

demo-ikev2:
	@bash labs/seed-ikev2/demo.sh

bench:
	@bash bench/run-all

deps:
	@bash scripts/deps.sh

clean:
	rm -rf build

# make install [PREFIX=/usr/local] [DESTDIR=...]: binaries, man pages, the
# systemd template unit spigotd@NAME.service, sysusers entry, examples.
PREFIX     ?= /usr/local
SYSCONFDIR ?= /etc
RUNDIR     ?= /run
BINDIR     ?= $(PREFIX)/bin
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/spigot
UNITDIR    ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
STATEDIR   ?= /var/lib/spigot

build/spigotd@.service: dist/spigotd@.service.in Makefile
	@mkdir -p build
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@RUNDIR@|$(RUNDIR)|g' $< >$@

install: all build/spigotd@.service
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(DOCDIR)/examples
	install -d -m 0750 $(DESTDIR)$(SYSCONFDIR)/spigot
	install -d -m 0700 $(DESTDIR)$(STATEDIR)
	install -m 0755 build/spigot $(DESTDIR)$(BINDIR)/spigot
	install -m 0755 build/spigotd $(DESTDIR)$(SBINDIR)/spigotd
	install -m 0644 man/spigot.8 man/spigotd.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 build/spigotd@.service $(DESTDIR)$(UNITDIR)/spigotd@.service
	install -m 0644 dist/spigot.sysusers $(DESTDIR)$(SYSUSERSDIR)/spigot.conf
	install -m 0644 dist/example.cfg $(DESTDIR)$(DOCDIR)/examples/router.cfg
	install -m 0644 dist/example.ports $(DESTDIR)$(DOCDIR)/examples/router.ports
	@if [ -z "$(DESTDIR)" ]; then \
		command -v systemd-sysusers >/dev/null && systemd-sysusers $(SYSUSERSDIR)/spigot.conf; \
		id spigot >/dev/null 2>&1 && chown spigot:spigot $(SYSCONFDIR)/spigot $(STATEDIR); \
		command -v systemctl >/dev/null && systemctl daemon-reload 2>/dev/null; true; fi

# Leaves $(SYSCONFDIR)/spigot, $(STATEDIR) and the spigot user: they hold the admin's data.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/spigot $(DESTDIR)$(SBINDIR)/spigotd \
		$(DESTDIR)$(MANDIR)/man8/spigot.8 $(DESTDIR)$(MANDIR)/man8/spigotd.8 \
		$(DESTDIR)$(UNITDIR)/spigotd@.service $(DESTDIR)$(SYSUSERSDIR)/spigot.conf \
		$(DESTDIR)$(DOCDIR)/examples/router.cfg $(DESTDIR)$(DOCDIR)/examples/router.ports
	-rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) 2>/dev/null

.PHONY: all asan tsan fuzz fuzz-long check demo demo-ikev2 bench deps clean install uninstall
.SECONDARY:
