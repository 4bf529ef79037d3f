# dsim: build, test, benchmark and demo.
#
#   make run          install missing Debian packages, build ./dsim, run the demo
#   make test         build and run every test (the Check suites in tests/)
#   make test SANITIZE=1   the same under AddressSanitizer + UBSan
#   make bench        print the performance figures (JSON, one object a line)
#   make sweep        every scenario and built-in over seeds 1..1000 (tests/sweep_all.sh)
#   make valgrind     the kernel's suites under valgrind
#   make fuzz         libFuzzer (Debian's clang) on the trace reader and the message
#                     codec, FUZZ_SECONDS each (default 60); a crash input lands in
#                     tests/fuzz/<target>/, where `make test` replays it for good
#
# Objects go to build/<mode>/ so that sanitized and plain builds never mix.

SANITIZE ?= 0
CC ?= cc
PKGS := lua5.4 libcjson sdl2 SDL2_ttf

ifeq ($(SANITIZE),1)
  MODE := asan
  OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
else ifeq ($(SANITIZE),fuzz)
  MODE := fuzz
  CC := clang
  OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
         -Wno-error   # -Werror is for the gcc build; clang warns about other things
else
  MODE := release
  OPT := -O2 -g
endif
BUILD := build/$(MODE)

# -ffp-contract=off: no fused multiply-add, so floating point gives the same bits on
# x86-64 and arm64 (determinism across machines).
WARN := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wno-unused-parameter -Wvla
CFLAGS_ALL = $(WARN) $(OPT) -ffp-contract=off -D_POSIX_C_SOURCE=200809L -MMD -MP \
             -I. $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS_ALL = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null)

SIM_SRC  := $(wildcard sim/*.c sim/check/*.c sim/harness/*.c sim/systems/*.c sim/systems/*/*.c)
HOST_SRC := $(wildcard lua/*/*.c)
VIZ_SRC  := $(wildcard viz/*.c)
TEST_SRC := $(wildcard tests/check_*.c)
SUITES   := $(sort $(patsubst tests/check_%.c,%,$(filter-out tests/check_main.c,$(TEST_SRC))))

SIM_OBJ  := $(SIM_SRC:%.c=$(BUILD)/%.o)
HOST_OBJ := $(HOST_SRC:%.c=$(BUILD)/%.o)
VIZ_OBJ  := $(VIZ_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)
# The host program minus its main(), linked into the test binary too.
HOST_LIB_OBJ := $(filter-out $(BUILD)/lua/cli/main.o,$(HOST_OBJ))

DSIM_BIN := $(BUILD)/dsim
TEST_BIN := $(BUILD)/tests/check_all

.PHONY: all run deps test bench sweep clean demo valgrind fuzz fuzz-run FORCE
all: dsim

deps:
	@./.ci/install-deps

dsim: $(DSIM_BIN)
	@if [ "$(MODE)" = release ]; then cp $(DSIM_BIN) dsim.tmp && mv -f dsim.tmp dsim; fi

$(DSIM_BIN): $(HOST_OBJ) $(VIZ_OBJ) $(BUILD)/libsim.a
	$(Q)$(CC) $(OPT) -o $@ $(HOST_OBJ) $(VIZ_OBJ) $(BUILD)/libsim.a $(LDLIBS_ALL)

$(BUILD)/libsim.a: $(SIM_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

# Quiet by default; make V=1 shows the commands.
Q := $(if $(filter 1,$(V)),,@)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC    $<")
	$(Q)$(CC) $(CFLAGS_ALL) -c $< -o $@

# The list of suites for tests/check_main.c, rewritten only when it changes.
$(BUILD)/tests/suites.h: FORCE
	@mkdir -p $(dir $@)
	@printf '$(foreach s,$(SUITES),SUITE($(s))\n)' > $@.tmp
	@cmp -s $@.tmp $@ || mv $@.tmp $@; rm -f $@.tmp
FORCE:

$(BUILD)/tests/check_main.o: tests/check_main.c $(BUILD)/tests/suites.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) -I$(BUILD)/tests -c $< -o $@

$(TEST_BIN): $(TEST_OBJ) $(HOST_LIB_OBJ) $(VIZ_OBJ) $(BUILD)/libsim.a
	$(Q)$(CC) $(OPT) -o $@ $(TEST_OBJ) $(HOST_LIB_OBJ) $(VIZ_OBJ) $(BUILD)/libsim.a \
	    $(LDLIBS_ALL) $(CHECK_LIBS)

run: deps
	@$(MAKE) --no-print-directory dsim
	./dsim demo

test: deps
	@$(MAKE) --no-print-directory $(DSIM_BIN) $(TEST_BIN)
	@if [ "$(MODE)" = release ]; then cp $(DSIM_BIN) dsim.tmp && mv -f dsim.tmp dsim; fi
	DSIM=$(DSIM_BIN) CK_DEFAULT_TIMEOUT=120 $(if $(filter asan,$(MODE)),DSIM_TEST_SEEDS=10) $(TEST_BIN)

# The kernel's suites under valgrind (no fork, so valgrind sees every test).
VALGRIND_SUITES := kernel faults nodes trace
valgrind: deps
	@$(MAKE) --no-print-directory $(TEST_BIN)
	@command -v valgrind >/dev/null || ./.ci/install-deps valgrind
	@for s in $(VALGRIND_SUITES); do \
	  echo "valgrind: suite $$s"; \
	  CK_FORK=no CK_RUN_SUITE=$$s valgrind -q --error-exitcode=1 --leak-check=full \
	    --errors-for-leak-kinds=definite $(TEST_BIN) || exit 1; \
	done

# Fuzzing: tests/fuzz/fuzz_<target>.c, seeds and past crashes in tests/fuzz/<target>/
# (read by tests/check_fuzz.c in every `make test`); new inputs in build/fuzz-corpus/.
FUZZ_TARGETS := trace codec
FUZZ_SECONDS ?= 60
fuzz: deps
	@command -v clang >/dev/null || ./.ci/install-deps clang
	@$(MAKE) --no-print-directory SANITIZE=fuzz fuzz-run

fuzz-run: $(FUZZ_TARGETS:%=$(BUILD)/fuzz_%)
	@for t in $(FUZZ_TARGETS); do \
	  echo "fuzz: $$t for $(FUZZ_SECONDS)s"; mkdir -p build/fuzz-corpus/$$t; \
	  $(BUILD)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096 -print_final_stats=1 \
	    -artifact_prefix=tests/fuzz/$$t/crash- build/fuzz-corpus/$$t tests/fuzz/$$t || exit 1; \
	done

$(BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(HOST_LIB_OBJ) $(VIZ_OBJ) $(BUILD)/libsim.a
	$(Q)$(CC) $(CFLAGS_ALL) -DFUZZ_MAIN -fsanitize=fuzzer -o $@ $< $(HOST_LIB_OBJ) $(VIZ_OBJ) \
	    $(BUILD)/libsim.a $(LDLIBS_ALL)

bench: dsim
	./dsim bench all

# Checks that hold on every seed: no scenario may fail a seed of 1..1000, but
# those meant to (see tests/sweep_all.sh). SEEDS=N and JOBS=J change the sweep.
sweep: dsim
	tests/sweep_all.sh $(or $(SEEDS),1000) $(or $(JOBS),2)

clean:
	rm -rf build dsim

-include $(SIM_OBJ:.o=.d) $(HOST_OBJ:.o=.d) $(VIZ_OBJ:.o=.d) $(TEST_OBJ:.o=.d)
