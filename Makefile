# carnet: top-level build.
#
#   make            build carnetd, carnetctl and the test tools into $(BUILD)/
#   make deps       install the Debian packages that are missing (no-op if none)
#   make check      deps, build, unit tests (plain and ASan+UBSan), lab tests
#   make demo       deps, build, then run carnet against simulated cards
#   make install    honours DESTDIR and PREFIX (carnetd finds its data in
#                   PREFIX/share/carnet beside it whatever PREFIX the build
#                   used; the man pages' paths follow PREFIX)
#   make clean
#
# Every output goes under $(BUILD) so that two builds can share a tree
# (make BUILD=build-other ...).

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
CC      ?= gcc

BINDIR     = $(PREFIX)/bin
SBINDIR    = $(PREFIX)/sbin
DATADIR    = $(PREFIX)/share/carnet
MANDIR     = $(PREFIX)/share/man

# Debian packages carnet builds, runs and tests with.
DEB_PACKAGES = build-essential pkg-config \
	pcscd vsmartcard-vpcd pcsc-tools opensc opensc-pkcs11 softhsm2 \
	libpcsclite-dev libssl-dev libsqlite3-dev sqlite3 libsystemd-dev \
	libmicrohttpd-dev libjansson-dev libcurl4-openssl-dev libcmocka-dev \
	libp11-kit-dev iproute2 util-linux procps binutils curl openssl systemd python3 nginx-light \
	faketime clang-14 libclang-rt-14-dev postgresql libpq-dev
# the Debian package's test (tests/lab/h-debian-package.sh) and the man page check
DEB_PACKAGES += debhelper dpkg-dev lintian mandoc
# carnet-hostd's client certificates: libmicrohttpd's TLS is GnuTLS (http/tls.c)
DEB_PACKAGES += libgnutls28-dev
# CDA R2 documents: headers parsed, PDFs wrapped (cda/, docs/fhir.md)
DEB_PACKAGES += libxml2-dev

PKGS = libpcsclite openssl sqlite3 libpq libsystemd libmicrohttpd jansson libxml-2.0

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

WARN      = -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter
BASEFLAGS = -std=gnu11 $(WARN) -D_GNU_SOURCE -DCARNET_VERSION='"$(VERSION)"' \
	    -DCARNET_DATADIR='"$(DATADIR)"' -I.
OPTFLAGS ?= -O2 -g
SANFLAGS  = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# pkg-config is asked only when a compile actually happens (recursive '='),
# so that 'make deps' can run on a machine that lacks the -dev packages.
PC_CFLAGS  = $(shell pkg-config --cflags $(PKGS) libcurl cmocka p11-kit-1 2>/dev/null)
PC_DAEMON  = $(shell pkg-config --libs $(PKGS) libcurl)
PC_CLI     = $(shell pkg-config --libs libcurl jansson sqlite3)
PC_CMOCKA  = $(shell pkg-config --libs cmocka)
PC_SIM     = $(shell pkg-config --libs libcrypto)
PC_PCSC    = $(shell pkg-config --libs libpcsclite)
PC_GNUTLS  = $(shell pkg-config --libs gnutls)

# ---- sources --------------------------------------------------------------
# One folder per layer, each built into its own static archive; a layer may
# use only the layers listed in its _USES (docs/architecture.md draws them).
# tests/layers.sh links every archive with only what it may use, so a call
# pointing the wrong way is a link error; it also checks the includes.
LAYERS       := lib card pkcs11 p11remote reader session engine http agent cda api daemon
lib_USES     :=
card_USES    := lib
pkcs11_USES  := lib
p11remote_USES := pkcs11 lib
reader_USES  := card lib
session_USES := pkcs11 reader card lib
engine_USES  := lib
http_USES    := lib
agent_USES   := lib
cda_USES     := lib
api_USES     := http agent session engine cda reader card pkcs11 lib
daemon_USES  := api agent http session engine cda reader card pkcs11 p11remote lib
cli_USES     := lib

# EXCLUDE: source files left out of this build (work in progress in a shared tree)
EXCLUDE     ?=
DAEMON_MAIN := daemon/carnetd.c
CLI_MAIN    := cli/carnetctl.c
HELPER_MAIN := p11remote/carnet-p11-helper.c
HOSTD_MAIN  := daemon/carnet-hostd.c
layer_src    = $(filter-out $(DAEMON_MAIN) $(CLI_MAIN) $(HELPER_MAIN) $(HOSTD_MAIN) $(EXCLUDE),$(wildcard $(1)/*.c))
SIM_SRC     := $(wildcard tests/sim/*.c)
UNIT_SRC    := $(filter-out $(EXCLUDE),$(wildcard tests/unit/test-*.c))
LABC_SRC    := $(wildcard tests/lab/*.c)

obj = $(patsubst %.c,$(1)/obj/%.o,$(2))

UNIT_BINS     := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRC))
UNIT_ASAN     := $(patsubst tests/unit/%.c,$(BUILD)/asan/unit/%,$(UNIT_SRC))
LABC_BINS     := $(patsubst tests/lab/%.c,$(BUILD)/lab/%,$(LABC_SRC))

PROGRAMS = $(BUILD)/carnetd $(BUILD)/carnetctl $(BUILD)/carnet-cardsim $(BUILD)/carnet-p11-helper $(BUILD)/carnet-hostd

.PHONY: all deps check check-unit check-asan check-lab check-layers demo install uninstall clean _check _demo _demo_build tools
all: $(PROGRAMS) tools

tools: $(UNIT_BINS) $(LABC_BINS)

# ---- objects --------------------------------------------------------------
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(OPTFLAGS) $(PC_CFLAGS) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/asan/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(SANFLAGS) $(PC_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

# $(1): the build folder, $(2): the layer.
define archive
$(1)/libcarnet-$(2).a: $(call obj,$(1),$(call layer_src,$(2)))
	@mkdir -p $$(dir $$@); rm -f $$@; ar rcs $$@ $$^
endef
$(foreach l,$(LAYERS) cli,$(eval $(call archive,$(BUILD),$(l))))
$(foreach l,$(LAYERS) cli,$(eval $(call archive,$(BUILD)/asan,$(l))))

# The archives of a layer and of everything below it, highest first.
layer_libs = $(foreach l,$(2) $($(2)_USES),$(1)/libcarnet-$(l).a)

DAEMON_LIBS = $(call layer_libs,$(BUILD),daemon)
CLI_LIBS    = $(call layer_libs,$(BUILD),cli)
LINK_DAEMON = $(PC_DAEMON) -ldl -lpthread

# carnetd links p11remote's client before pkcs11, so that the p11_module_*
# and p11_card_* calls go to carnet-p11-helper: the module code (dlopen,
# p11-module.o, p11-card.o) is not in carnetd (tests/lab/t-p11-helper.sh).
# Unit tests and lab programs keep the real pkcs11 first (DAEMON_LIBS).
CARNETD_LIBS = $(patsubst $(BUILD)/libcarnet-pkcs11.a,$(BUILD)/libcarnet-p11remote.a $(BUILD)/libcarnet-pkcs11.a,$(filter-out %/libcarnet-p11remote.a,$(DAEMON_LIBS)))
$(BUILD)/carnetd: $(call obj,$(BUILD),$(DAEMON_MAIN)) $(DAEMON_LIBS)
	$(CC) $(OPTFLAGS) -o $@ $(call obj,$(BUILD),$(DAEMON_MAIN)) $(CARNETD_LIBS) $(LINK_DAEMON) $(LDFLAGS)

# The dossier host: no cards, no PKCS#11 module (p11remote left out);
# GnuTLS for the workstations' client certificates (http/tls.c).
$(BUILD)/carnet-hostd: $(call obj,$(BUILD),$(HOSTD_MAIN)) $(DAEMON_LIBS)
	$(CC) $(OPTFLAGS) -o $@ $(call obj,$(BUILD),$(HOSTD_MAIN)) $(filter-out %/libcarnet-p11remote.a,$(DAEMON_LIBS)) \
		$(LINK_DAEMON) $(PC_GNUTLS) $(LDFLAGS)

# The helper: its main, the wire, the real PKCS#11 layer and lib/ only.
$(BUILD)/carnet-p11-helper: $(call obj,$(BUILD),$(HELPER_MAIN) p11remote/p11-wire.c p11remote/p11-sandbox.c) $(BUILD)/libcarnet-pkcs11.a $(BUILD)/libcarnet-lib.a
	$(CC) $(OPTFLAGS) -o $@ $^ $(shell pkg-config --libs libcrypto) -ldl -lpthread $(LDFLAGS)

$(BUILD)/carnetctl: $(call obj,$(BUILD),$(CLI_MAIN)) $(CLI_LIBS)
	$(CC) $(OPTFLAGS) -o $@ $^ $(PC_CLI) $(LDFLAGS)

$(BUILD)/carnet-cardsim: $(call obj,$(BUILD),$(SIM_SRC)) $(BUILD)/libcarnet-lib.a
	$(CC) $(OPTFLAGS) -o $@ $^ $(PC_SIM) $(LDFLAGS)

# Unit tests link against everything below the programs' mains.
UNIT_LINK = $(PC_CMOCKA) $(LINK_DAEMON) $(PC_CLI) $(PC_GNUTLS)
# The one main() of the unit tests that register themselves (tests/unit/unit.h),
# an archive so that a test with a main() of its own does not pull it in.
define unit_main
$(1)/libcarnet-unitmain.a: $(call obj,$(1),tests/unit/unit-main.c)
	@mkdir -p $$(dir $$@); rm -f $$@; ar rcs $$@ $$^
endef
$(eval $(call unit_main,$(BUILD)))
$(eval $(call unit_main,$(BUILD)/asan))

$(BUILD)/unit/%: $(BUILD)/obj/tests/unit/%.o $(BUILD)/libcarnet-unitmain.a $(DAEMON_LIBS) $(BUILD)/libcarnet-cli.a
	@mkdir -p $(dir $@)
	$(CC) $(OPTFLAGS) -o $@ $^ $(UNIT_LINK)

# The helper's client as carnetd links it: p11remote before the real PKCS#11 layer.
$(BUILD)/unit/test-p11-client: $(BUILD)/obj/tests/unit/test-p11-client.o $(BUILD)/libcarnet-unitmain.a \
		$(BUILD)/libcarnet-p11remote.a $(BUILD)/libcarnet-pkcs11.a $(BUILD)/libcarnet-lib.a
	@mkdir -p $(dir $@)
	$(CC) $(OPTFLAGS) -o $@ $^ $(UNIT_LINK)
$(BUILD)/asan/unit/test-p11-client: $(BUILD)/asan/obj/tests/unit/test-p11-client.o $(BUILD)/asan/libcarnet-unitmain.a \
		$(BUILD)/asan/libcarnet-p11remote.a $(BUILD)/asan/libcarnet-pkcs11.a $(BUILD)/asan/libcarnet-lib.a
	@mkdir -p $(dir $@)
	$(CC) $(SANFLAGS) -o $@ $^ $(UNIT_LINK)

$(BUILD)/asan/unit/%: $(BUILD)/asan/obj/tests/unit/%.o $(BUILD)/asan/libcarnet-unitmain.a $(call layer_libs,$(BUILD)/asan,daemon) $(BUILD)/asan/libcarnet-cli.a
	@mkdir -p $(dir $@)
	$(CC) $(SANFLAGS) -o $@ $^ $(UNIT_LINK)

# Lab programs: C tests that talk to pcscd inside the lab.
$(BUILD)/lab/%: $(BUILD)/obj/tests/lab/%.o $(DAEMON_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(OPTFLAGS) -o $@ $^ $(LINK_DAEMON)

# The layering check: every archive, whole, linked with only the archives
# its layer may use (and the system libraries); a wrong-way call fails.
LAYER_ARCHIVES = $(foreach l,$(LAYERS) cli,$(BUILD)/libcarnet-$(l).a)
check-layers: $(LAYER_ARCHIVES)
	@BUILD=$(BUILD) CC="$(CC)" LINK="$(UNIT_LINK)" $(foreach l,$(LAYERS) cli,$(l)_USES="$($(l)_USES)") \
		bash tests/layers.sh $(LAYERS) cli

# Benchmarks: 'make bench' builds them and runs every bench/run-*.sh
# (figures in docs/benchmarks.md); 'make check' runs each once, briefly
# (bench/run.sh --smoke), checking only that its output is complete.
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(DAEMON_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(OPTFLAGS) -o $@ $^ $(LINK_DAEMON)
.PHONY: bench
bench: all $(BENCH_BINS)
	@bash bench/run.sh $(BUILD)

# Fuzzing (tests/fuzz/README.md): libFuzzer targets built with clang,
# ASan and UBSan over every layer's sources.  'make check' runs each for
# FUZZ_SMOKE_S seconds (tests/run-fuzz.sh); 'make fuzz' each to FUZZ_RUNS
# executions (10 million), FUZZ_S seconds at most (two hours).
# (The gcc build enforces -Werror; clang warns here, it does not fail.)
FUZZ_CC      ?= clang-14
FUZZ_S       ?= 7200
FUZZ_RUNS    ?= 10000000
FUZZ_SMOKE_S ?= 4
FUZZFLAGS     = -Wno-error -Wno-format-nonliteral -Wno-unused-variable -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_SRC     := $(wildcard tests/fuzz/fuzz-*.c)
FUZZ_BINS    := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))
$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(BASEFLAGS) $(FUZZFLAGS) -fsanitize=fuzzer-no-link $(PC_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@
$(foreach l,$(LAYERS),$(eval $(call archive,$(BUILD)/fuzz,$(l))))
$(BUILD)/fuzz/fuzz-%: $(BUILD)/fuzz/obj/tests/fuzz/fuzz-%.o $(call layer_libs,$(BUILD)/fuzz,daemon)
	$(FUZZ_CC) $(FUZZFLAGS) -fsanitize=fuzzer -o $@ $^ $(LINK_DAEMON)
.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_BINS)
fuzz: $(FUZZ_BINS)
	@sh tests/run-fuzz.sh $(BUILD) $(FUZZ_S) $(FUZZ_RUNS)

.SECONDARY:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# ---- the OpenAPI document -------------------------------------------------
# docs/openapi.yaml, converted to JSON and embedded in the api layer for
# GET /v1/openapi.json (api/openapi.h); generated into $(BUILD) only.
# (python3-yaml converts it; pip, setuptools and wheel install
# clients/python offline in tests/lab/t-clients.sh.)
DEB_PACKAGES += python3-yaml python3-pip python3-setuptools python3-wheel
OPENAPI_C := $(BUILD)/gen/openapi-json.c
$(OPENAPI_C): docs/openapi.yaml tests/openapi/spec-to-c.py
	@mkdir -p $(dir $@)
	/usr/bin/python3 tests/openapi/spec-to-c.py docs/openapi.yaml $@
$(BUILD)/gen/obj/openapi-json.o: $(OPENAPI_C)
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(OPTFLAGS) $(PC_CFLAGS) $(CFLAGS) -c $< -o $@
$(BUILD)/asan/gen/obj/openapi-json.o: $(OPENAPI_C)
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(SANFLAGS) $(PC_CFLAGS) $(CFLAGS) -c $< -o $@
$(BUILD)/libcarnet-api.a: $(BUILD)/gen/obj/openapi-json.o
$(BUILD)/asan/libcarnet-api.a: $(BUILD)/asan/gen/obj/openapi-json.o

# ---- set-up ---------------------------------------------------------------
deps:
	@BUILD=$(BUILD) sh tests/deps.sh $(DEB_PACKAGES)
	@sh tests/openapi/install.sh $(BUILD)
	@sh tests/fhir/install.sh $(BUILD)

# ---- tests ----------------------------------------------------------------
check: deps
	@$(MAKE) --no-print-directory _check

_check: all $(UNIT_ASAN) $(BENCH_BINS) $(FUZZ_BINS)
	@FUZZ_SMOKE_S=$(FUZZ_SMOKE_S) sh tests/run-all.sh $(BUILD)

check-unit: $(UNIT_BINS)
	@sh tests/run-unit.sh $(BUILD)/unit

check-asan: $(UNIT_ASAN)
	@sh tests/run-unit.sh $(BUILD)/asan/unit

check-lab: all
	@sh tests/run-lab.sh $(BUILD)

# ---- demo -----------------------------------------------------------------
demo: deps
	@$(MAKE) --no-print-directory _demo_build
	@$(MAKE) --no-print-directory _demo

# The demo's build says one line; the compiler's commands go to
# $(BUILD)/demo-build.log, shown in full when the build fails.
_demo_build:
	@mkdir -p $(BUILD); echo "demo: building carnet (the commands: $(BUILD)/demo-build.log)"
	@$(MAKE) --no-print-directory all >$(BUILD)/demo-build.log 2>&1 || \
		{ cat $(BUILD)/demo-build.log; echo "demo: the build failed (above)"; exit 1; }

_demo: all
	@BUILD=$(BUILD) tests/lab/lab-run --demo -- tests/demo.sh

# ---- install --------------------------------------------------------------
# Where systemd, sysusers, tmpfiles and udev look, under PREFIX: with the
# default /usr/local they are /usr/local/lib/..., which systemd and udev
# search (an administrator's install, apart from the distribution's
# files); a Debian package builds with PREFIX=/usr (and on Debian 12
# SYSTEMDUNITDIR=/lib/systemd/system UDEVRULESDIR=/lib/udev/rules.d, the
# same directories through the /usr merge).  docs/operations.md lists them.
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR    ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR    ?= $(PREFIX)/lib/tmpfiles.d
UDEVRULESDIR   ?= $(PREFIX)/lib/udev/rules.d
DOCDIR         ?= $(PREFIX)/share/doc/carnet
BASHCOMPDIR    ?= $(PREFIX)/share/bash-completion/completions
MAN_PAGES      := $(wildcard man/*.[158])
BASH_COMPLETION := $(wildcard cli/carnetctl.bash-completion)

install: $(BUILD)/carnetd $(BUILD)/carnetctl $(BUILD)/carnet-p11-helper $(BUILD)/carnet-hostd
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR)
	install -m 0755 $(BUILD)/carnetd $(DESTDIR)$(SBINDIR)/carnetd
	install -m 0755 $(BUILD)/carnet-hostd $(DESTDIR)$(SBINDIR)/carnet-hostd
	install -m 0755 $(BUILD)/carnet-p11-helper $(DESTDIR)$(SBINDIR)/carnet-p11-helper
	install -m 0755 $(BUILD)/carnetctl $(DESTDIR)$(BINDIR)/carnetctl
	for m in $(MAN_PAGES); do \
		s=$${m##*.}; install -d $(DESTDIR)$(MANDIR)/man$$s && \
		sed 's|/usr/local/|$(PREFIX)/|g' $$m >$(DESTDIR)$(MANDIR)/man$$s/$${m##*/} && \
		chmod 0644 $(DESTDIR)$(MANDIR)/man$$s/$${m##*/} || exit 1; done
	install -d $(DESTDIR)$(DATADIR)
	install -m 0644 data/*.tsv data/postgresql-*.sql $(DESTDIR)$(DATADIR)/
	install -d $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) \
		$(DESTDIR)$(UDEVRULESDIR) $(DESTDIR)$(DOCDIR)
	sed 's|@SBINDIR@|$(SBINDIR)|g' systemd/carnetd.service.in >$(DESTDIR)$(SYSTEMDUNITDIR)/carnetd.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/carnetd.service
	install -m 0644 systemd/carnetd.socket $(DESTDIR)$(SYSTEMDUNITDIR)/carnetd.socket
	sed 's|@SBINDIR@|$(SBINDIR)|g' systemd/carnet-p11-helper@.service.in \
		>$(DESTDIR)$(SYSTEMDUNITDIR)/carnet-p11-helper@.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/carnet-p11-helper@.service
	install -m 0644 systemd/carnet-p11-helper.socket $(DESTDIR)$(SYSTEMDUNITDIR)/carnet-p11-helper.socket
	sed 's|@SBINDIR@|$(SBINDIR)|g' systemd/carnet-hostd.service.in >$(DESTDIR)$(SYSTEMDUNITDIR)/carnet-hostd.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/carnet-hostd.service
	install -m 0644 systemd/carnet.sysusers $(DESTDIR)$(SYSUSERSDIR)/carnet.conf
	install -m 0644 systemd/carnet.tmpfiles $(DESTDIR)$(TMPFILESDIR)/carnet.conf
	install -m 0644 udev/60-carnet-readers.rules $(DESTDIR)$(UDEVRULESDIR)/60-carnet-readers.rules
	install -m 0644 docs/operations.md $(DESTDIR)$(DOCDIR)/operations.md
	$(if $(BASH_COMPLETION),install -d $(DESTDIR)$(BASHCOMPDIR) && \
		install -m 0644 $(BASH_COMPLETION) $(DESTDIR)$(BASHCOMPDIR)/carnetctl)

# Removes what install placed; leaves the directories, /etc/carnet and
# /var/lib/carnet (the configuration and the database are the
# administrator's), and the user carnet.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/carnetd $(DESTDIR)$(SBINDIR)/carnet-hostd $(DESTDIR)$(SBINDIR)/carnet-p11-helper $(DESTDIR)$(BINDIR)/carnetctl
	for m in $(MAN_PAGES); do s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; done
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)
	rm -f $(DESTDIR)$(SYSTEMDUNITDIR)/carnetd.service $(DESTDIR)$(SYSTEMDUNITDIR)/carnetd.socket
	rm -f $(DESTDIR)$(SYSTEMDUNITDIR)/carnet-p11-helper@.service $(DESTDIR)$(SYSTEMDUNITDIR)/carnet-p11-helper.socket
	rm -f $(DESTDIR)$(SYSTEMDUNITDIR)/carnet-hostd.service
	rm -f $(DESTDIR)$(SYSUSERSDIR)/carnet.conf $(DESTDIR)$(TMPFILESDIR)/carnet.conf
	rm -f $(DESTDIR)$(UDEVRULESDIR)/60-carnet-readers.rules $(DESTDIR)$(BASHCOMPDIR)/carnetctl

clean:
	rm -rf $(BUILD)
