# minivmm teaching kit: the one entry point (run, test, grade, unit, qemu, qemu-gdb, gdb, docs, handout, bench, format, mutate).
SHELL := /bin/bash
.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
.SECONDEXPANSION:

HOSTCC  ?= gcc
PYTHON  ?= python3
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)

# ---- The architecture: ARCH=arm (the default), or ARCH=x86 (AMD SVM, a first milestone:
# `make ARCH=x86` builds minivmm and its guest, `make run ARCH=x86` boots them). What is
# port-specific (target compiler and flags, headers, linker script, sources, Debian
# packages) is in minivmm/arch/$(ARCH)/arch.mk; ARM's build folders are build/sol,
# build/skel, build/sub and build/guest, another port's are under its ARCH_BUILD
# (x86: build/x86/sol...), so that the two never share an object.
ARCH    ?= arm
PORTS   := $(sort $(patsubst minivmm/arch/%/arch.mk,%,$(wildcard minivmm/arch/*/arch.mk)))
ifeq ($(wildcard minivmm/arch/$(ARCH)/arch.mk),)
arch_from_env := $(if $(filter environment,$(origin ARCH)), (ARCH=$(ARCH) comes from your environment: unset it or pass ARCH=arm))
$(error unknown ARCH=$(ARCH): ports are: $(PORTS)$(arch_from_env))
endif
include minivmm/arch/$(ARCH)/arch.mk
ARCH_BUILD := $(or $(ARCH_BUILD),build)
# A port still being written lists the targets it has (ARCH_GOALS); the others say so.
ifneq ($(ARCH_GOALS),)
arch_missing := $(filter-out $(ARCH_GOALS) $(ARCH_BUILD)/%,$(MAKECMDGOALS))
ifneq ($(arch_missing),)
$(error make $(arch_missing) ARCH=$(ARCH): not there yet for this port (issue 16); ARCH=$(ARCH) has: $(ARCH_GOALS))
endif
endif

# ---- Which student files to build: SUBMISSION=<dir>, else SOLUTIONS=1, else the skeleton.
SUBMISSION ?=
# `make run` and friends boot the reference VMM when solutions/ is present
# (the instructor's repository) and no SUBMISSION is given; SOLUTIONS=0 asks
# for the skeleton.
ifeq ($(origin SOLUTIONS)$(if $(wildcard solutions),yes)$(SUBMISSION),undefinedyes)
ifneq ($(filter run qemu qemu-gdb gdb dts,$(MAKECMDGOALS)),)
SOLUTIONS := 1
endif
endif
# SUBMISSION reaches shell commands (the grader's command line, copies of its files), so
# it may hold only what a path or an https URL needs: nothing a shell reads as syntax.
SUBMISSION_CHARS := a b c d e f g h i j k l m n o p q r s t u v w x y z A B C D E F G H I J K L M \
                    N O P Q R S T U V W X Y Z 0 1 2 3 4 5 6 7 8 9 . _ / : @ + = ~ -
strip_chars = $(if $(2),$(call strip_chars,$(subst $(firstword $(2)),,$(1)),$(wordlist 2,$(words $(2)),$(2))),$(1))
ifneq ($(words $(SUBMISSION)),$(if $(SUBMISSION),1,0))
$(error SUBMISSION must be one folder, .zip or https git URL, without spaces)
endif
ifneq ($(call strip_chars,$(SUBMISSION),$(SUBMISSION_CHARS)),)
$(error SUBMISSION may hold only letters, digits and . _ / : @ + = ~ - (it has '$(call strip_chars,$(SUBMISSION),$(SUBMISSION_CHARS))'))
endif
ifneq ($(SUBMISSION),)
VARIANT := sub
else ifeq ($(SOLUTIONS),1)
VARIANT := sol
else
VARIANT := skel
endif
B := $(ARCH_BUILD)/$(VARIANT)

STUDENT_FILES := $(shell $(PYTHON) -m grader.manifest student-files)
ifneq ($(.SHELLSTATUS),0)
$(error cannot read the lab manifests (labs/*/lab.toml): run '$(PYTHON) -m grader.manifest student-files' to see why)
endif
pick_student = $(or $(if $(SUBMISSION),$(wildcard $(SUBMISSION)/$(1))),$(if $(filter 1,$(SOLUTIONS)),$(wildcard solutions/$(1))),$(1))
# A student file is compiled from a copy in $(B)/src, so that the dependency
# files never name a submission folder that may be gone by the next build.
src = $(if $(filter $(1),$(STUDENT_FILES)),$(B)/src/$(1),$(1))

INCLUDES := -Iminivmm/include -I$(ARCH_INCLUDE)
WARN     := -Wall -Wextra -Werror -std=c11

# ---- minivmm (the hypervisor, runs in Hyp mode)
VMM_SRCS := $(sort $(wildcard minivmm/core/*.c minivmm/lib/*.c minivmm/backend/*.c minivmm/devices/*.c) \
                   $(ARCH_SRCS))
VMM_OBJS := $(VMM_SRCS:%=$(B)/vmm/%.o)
VMM_ELF  := $(B)/minivmm.elf

# Record which copy of each student file this build uses (submission, reference
# or skeleton): when that choice changes, every student file is copied afresh.
RESOLVED := $(foreach f,$(STUDENT_FILES),$(call pick_student,$(f)))
$(B)/sources.txt: FORCE
	@mkdir -p $(@D)
	@echo '$(RESOLVED)' | cmp -s - $@ || echo '$(RESOLVED)' > $@

define student_copy
$(B)/src/$(1): $(call pick_student,$(1)) $(B)/sources.txt
	@mkdir -p $$(@D)
	@cp $$< $$@
endef
$(foreach f,$(STUDENT_FILES),$(eval $(call student_copy,$(f))))

define vmm_rule
$(B)/vmm/$(1).o: $(call src,$(1))
	@mkdir -p $$(@D)
	@echo "  CC      $$<"
	@$(CC_TARGET) $(TARGET_FLAGS) $(WARN) $(INCLUDES) -c $$< -o $$@
endef
$(foreach s,$(VMM_SRCS),$(eval $(call vmm_rule,$(s))))

$(VMM_ELF): $(VMM_OBJS) $(ARCH_LDSCRIPT)
	@echo "  LD      $@"
	@$(CC_TARGET) $(TARGET_FLAGS) $(ARCH_LDFLAGS) -T $(ARCH_LDSCRIPT) $(VMM_OBJS) -lgcc -o $@
	$(ARCH_VMM_POSTLINK)

# ---- tinykernel (the guest, built with the target compiler); it shares the VMM's formatter and string functions
GUEST_DIR  := build/guest
GUEST_SRCS := $(sort $(wildcard guests/tinykernel/*.c guests/tinykernel/*.S \
                               guests/tinykernel/programs/*.[cS])) minivmm/core/fmt.c minivmm/lib/string.c
GUEST_OBJS := $(GUEST_SRCS:%=$(GUEST_DIR)/%.o)
GUEST_ELF  := $(GUEST_DIR)/tinykernel.elf
# The instructor's hidden programs (labs/*/hidden.toml's tests) go into an image of their
# own, which only hidden tests boot and only the grader's trusted build cache makes: a
# grading tree holds neither their source (grader/tree.py) nor them in tinykernel.elf.
GUEST_HIDDEN_OBJS := $(GUEST_OBJS) $(patsubst %,$(GUEST_DIR)/%.o,$(wildcard guests/tinykernel/programs/hidden/*.[cS]))
GUEST_HIDDEN_ELF  := $(GUEST_DIR)/tinykernel-hidden.elf

$(GUEST_DIR)/%.o: %
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC_TARGET) $(TARGET_FLAGS) $(WARN) -Iminivmm/include -c $< -o $@

$(GUEST_ELF): $(GUEST_OBJS) guests/tinykernel/kernel.ld
$(GUEST_HIDDEN_ELF): $(GUEST_HIDDEN_OBJS) guests/tinykernel/kernel.ld
$(GUEST_ELF) $(GUEST_HIDDEN_ELF):
	@echo "  LD      $@"
	@$(CC_TARGET) $(TARGET_FLAGS) -T guests/tinykernel/kernel.ld $(filter %.o,$^) -lgcc -o $@

guest-hidden: $(GUEST_HIDDEN_ELF)

# Malformed guest images for minivmm's bad-input tests.
FIXTURES := build/fixtures/truncated.elf
$(FIXTURES): $(GUEST_ELF) minivmm/tests/bad_elves.py
	@$(PYTHON) minivmm/tests/bad_elves.py $(GUEST_ELF) build/fixtures

# ---- Host builds of the logic, for the Check unit tests
CHECK_FLAGS := $(shell pkg-config --cflags --libs check 2>/dev/null)
# The core's files, the port's (arch.mk), the student files (not those of another port), and
# the host backends (the host NIC), whose port functions come from a fake device (fake_virtio.c).
HOST_SRCS := minivmm/core/fmt.c minivmm/core/cmdline.c minivmm/core/elf.c minivmm/core/zimage.c minivmm/core/fdt.c \
             minivmm/core/alloc.c minivmm/core/stats.c minivmm/core/hypercall.c minivmm/core/vm.c \
             minivmm/core/panic.c minivmm/core/console.c minivmm/core/guest_dt.c minivmm/core/guest_dt_user.c \
             minivmm/core/fdt_read.c minivmm/core/bus.c minivmm/core/snapshot.c minivmm/core/device.c \
             minivmm/core/vm_snapshot.c minivmm/core/test_hypercall.c minivmm/core/crc32c.c \
             minivmm/core/snapshot_file.c minivmm/core/dev_timer.c minivmm/core/console_escape.c \
             $(wildcard minivmm/devices/*.c) $(wildcard minivmm/backend/*.c) \
             $(ARCH_HOST_SRCS) $(filter %.c,$(filter-out minivmm/arch/%,$(STUDENT_FILES)) \
                                             $(filter minivmm/arch/$(ARCH)/%,$(STUDENT_FILES))) \
             minivmm/tests/unit/host_stubs.c minivmm/tests/unit/regfile.c minivmm/tests/unit/fake_virtio.c
HOST_SRCS := $(sort $(HOST_SRCS))
HOSTLINK  := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -D_GNU_SOURCE
HOSTFLAGS := $(HOSTLINK) -MD -MP
HOST_OBJS := $(HOST_SRCS:%=$(B)/host/%.o)

define host_rule
$(B)/host/$(1).o: $(call src,$(1))
	@mkdir -p $$(@D)
	@echo "  HOSTCC  $$<"
	@$(HOSTCC) $(HOSTFLAGS) $(WARN) $(INCLUDES) -Iminivmm/tests/unit -c $$< -o $$@
endef
$(foreach s,$(HOST_SRCS),$(eval $(call host_rule,$(s))))

# One Check binary for the framework, one per lab (labs/<lab>/tests/unit/*.c). The test
# files are compiled to objects of their own, so that a changed student file costs the
# binaries a link, not a compile of every suite (the grader relinks after each submission).
LAB_DIRS   := $(sort $(wildcard labs/lab*-*))
UNIT_FW    := $(B)/unit/framework
UNIT_LABS  := $(foreach l,$(LAB_DIRS),$(if $(wildcard $(l)/tests/unit/*.c),$(B)/unit/$(notdir $(l))))
UNIT_BINS  := $(UNIT_FW) $(UNIT_LABS)
UNIT_SRCS  := $(sort $(wildcard minivmm/tests/unit/test_*.c labs/lab*-*/tests/unit/*.c))
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
unit_objs   = $(patsubst %,$(B)/host/%.o,$(1))

define unit_src_rule
$(B)/host/$(1).o: $(1)
	@mkdir -p $$(@D)
	@echo "  HOSTCC  $$<"
	@$(HOSTCC) $(HOSTFLAGS) $(WARN) $(INCLUDES) -Iminivmm/tests/unit $(CHECK_CFLAGS) -c $$< -o $$@
endef
$(foreach s,$(UNIT_SRCS),$(eval $(call unit_src_rule,$(s))))

$(UNIT_FW): $(call unit_objs,$(wildcard minivmm/tests/unit/test_*.c)) $(HOST_OBJS)
	@mkdir -p $(@D)
	@echo "  LINK    $@"
	@$(HOSTCC) $(HOSTLINK) $^ $(CHECK_FLAGS) -o $@

$(B)/unit/%: $$(call unit_objs,$$(wildcard labs/$$*/tests/unit/*.c)) $(HOST_OBJS)
	@mkdir -p $(@D)
	@echo "  LINK    $@"
	@$(HOSTCC) $(HOSTLINK) $^ $(CHECK_FLAGS) -o $@

-include $(shell find $(B) $(GUEST_DIR) -name '*.[cS].d' 2>/dev/null)

# ---- libFuzzer targets (minivmm/tests/fuzz/<target>.c), built with clang into build/fuzz/: the
# host build's sources with the reference student files (solutions/; in a handout, the student's own),
# ASan and UBSan, and the fuzz support (minivmm/tests/fuzz/support/). The support replaces the VMM heap
# (core/alloc.c) with libc's, so that ASan bounds each device's state, and catches minivmm's exits
# (--wrap=host_exit) so that a panic is a finding; regfile.c is a Check helper.
FUZZ_CC      ?= clang
FUZZ_DIR     := build/fuzz
FUZZ_ALL     := $(sort $(basename $(notdir $(wildcard minivmm/tests/fuzz/*.c))))
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_SECONDS ?= 60
FUZZ_JOBS    ?= $(JOBS)
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS  := -g -O1 -fno-omit-frame-pointer -D_GNU_SOURCE $(FUZZ_SAN) -fsanitize=fuzzer-no-link -MMD -MP
FUZZ_LDFLAGS := -g -O1 $(FUZZ_SAN) -fsanitize=fuzzer -Wl,--wrap=host_exit
FUZZ_SRCS    := $(filter-out minivmm/core/alloc.c minivmm/tests/unit/regfile.c,$(HOST_SRCS)) \
                $(wildcard minivmm/tests/fuzz/support/*.c)
FUZZ_OBJS    := $(FUZZ_SRCS:%=$(FUZZ_DIR)/obj/%.o)
fuzz_src      = $(if $(filter $(1),$(STUDENT_FILES)),$(or $(wildcard solutions/$(1)),$(1)),$(1))

define fuzz_rule
$(FUZZ_DIR)/obj/$(1).o: $(call fuzz_src,$(1))
	@mkdir -p $$(@D)
	@echo "  FUZZCC  $$<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) $(WARN) $(INCLUDES) -Iminivmm/tests/unit -Iminivmm/tests/fuzz/support -c $$< -o $$@
endef
$(foreach s,$(FUZZ_SRCS) $(FUZZ_ALL:%=minivmm/tests/fuzz/%.c),$(eval $(call fuzz_rule,$(s))))

$(FUZZ_ALL:%=$(FUZZ_DIR)/%): $(FUZZ_DIR)/%: $(FUZZ_DIR)/obj/minivmm/tests/fuzz/%.c.o $(FUZZ_OBJS)
	@echo "  FUZZLD  $@"
	@$(FUZZ_CC) $(FUZZ_LDFLAGS) $^ -o $@

-include $(shell find $(FUZZ_DIR)/obj -name '*.c.d' 2>/dev/null)

# ---- Entry points
.PHONY: all guest-hidden unit unit-bins run qemu qemu-gdb gdb test grade docs handout handout-check bench format format-check deps clean linux dts fuzz fuzz-bins mutate FORCE

all: $(VMM_ELF) $(or $(ARCH_ALL),$(GUEST_ELF) $(FIXTURES))

unit-bins: $(UNIT_BINS)

# The framework's suites, then each lab's (LAB=<n>: that lab only). Lab suites
# fail on the skeleton until the lab is done: that is what they are for.
UNIT_RUN := $(UNIT_FW) $(if $(LAB),$(filter $(B)/unit/lab$(LAB)-%,$(UNIT_LABS)),$(UNIT_LABS))
unit: deps unit-bins
	@status=0; for t in $(UNIT_RUN); do echo "== $$t"; $$t || status=1; done; exit $$status

# GUEST=linux: Debian's armmp kernel and a busybox initramfs instead of tinykernel.
LINUX_DIR    := build/linux
LINUX_ZIMAGE := $(LINUX_DIR)/zImage
LINUX_INITRD := $(LINUX_DIR)/initramfs.cpio
ifeq ($(GUEST),linux)
VMM_OPTS  ?= mem=128 initrd=$(LINUX_INITRD) idregs=native
RUN_ARGS  ?= console=ttyAMA0
RUN_GUEST  = $(LINUX_ZIMAGE)
RUN_DEPS   = linux
else
VMM_OPTS  ?=
RUN_ARGS  ?= run=demo
RUN_GUEST  = $(or $(ARCH_GUEST_ELF),$(GUEST_ELF))
endif
QEMU_RUN   = $(PYTHON) -m grader.qemu --arch $(ARCH) --vmm $(VMM_ELF) --guest $(RUN_GUEST) $(if $(VMM_OPTS),--vmm-opts "$(VMM_OPTS)")

run: deps all $(RUN_DEPS)
	@$(QEMU_RUN) $(if $(filter linux,$(GUEST)),--interactive --net user,--timeout 60) -- $(RUN_ARGS)

# The Linux guest: the two Debian packages (fetched once into ~/.cache/minivmm),
# the zImage, and an initramfs of busybox, guests/linux/init and the kernel modules
# that `fetched` lists after the zImage and busybox (the NE2000 PCI driver).
linux: $(LINUX_ZIMAGE) $(LINUX_INITRD)
$(LINUX_DIR)/fetched: guests/linux/fetch.py
	@mkdir -p $(@D)
	@$(PYTHON) guests/linux/fetch.py > $@.tmp && mv $@.tmp $@
# Sound (lab 6): snd-hda-intel.ko built for that kernel, Debian's ALSA modules it needs and
# aplay with its libraries (built once into ~/.cache/minivmm); `hda` lists the staged tree,
# then the modules in load order.
$(LINUX_DIR)/hda: $(LINUX_DIR)/fetched guests/linux/build_hda.py
	@$(PYTHON) guests/linux/build_hda.py > $@.tmp && mv $@.tmp $@
$(LINUX_ZIMAGE): $(LINUX_DIR)/fetched
	@cp $$(sed -n 1p $<) $@
$(LINUX_INITRD): $(LINUX_DIR)/fetched $(LINUX_DIR)/hda guests/linux/init $(wildcard guests/linux/etc/inittab guests/linux/etc/shrc guests/linux/etc/init.d/*) guests/linux/mkinitramfs.py
	@echo "  CPIO    $@"
	@$(PYTHON) guests/linux/mkinitramfs.py $$(sed -n 2p $<) $@ $$(sed -n '3,$$p' $<) \
	    --tree $$(sed -n 1p $(LINUX_DIR)/hda) $$(sed -n '2,$$p' $(LINUX_DIR)/hda)

# The guest's device tree as source: minivmm writes the DTB it would give the
# guest (dtb-out=, with the VMM_OPTS of `make run`), dtc turns it into text.
dts: deps all $(RUN_DEPS)
	@$(PYTHON) -m grader.qemu --arch $(ARCH) --vmm $(VMM_ELF) --guest $(GUEST_ELF) --timeout 60 \
	    --vmm-opts "$(VMM_OPTS) dtb-out=build/guest.dtb" -- run=hello > build/dts.log 2>&1 || \
	    { cat build/dts.log; exit 1; }
	@dtc -q -I dtb -O dts -o build/guest.dts build/guest.dtb
	@echo "  DTS     build/guest.dts"

qemu: deps all $(RUN_DEPS)
	@$(QEMU_RUN) --interactive -- $(RUN_ARGS)

qemu-gdb: deps all
	@$(QEMU_RUN) --interactive --gdb -- $(RUN_ARGS)

gdb: deps all
	gdb-multiarch -q -iex 'set confirm off' -ex 'file $(VMM_ELF)' -ex 'add-symbol-file $(GUEST_ELF)' \
	    -ex 'target remote localhost:1234'

# Each build, unit test and QEMU run in a bubblewrap sandbox (docs/instructor/sandbox.rst);
# NO_SANDBOX=1 (--no-sandbox) grades without, where user namespaces are not to be had.
grade: deps
	@$(PYTHON) -m grader $(if $(LAB),--lab $(LAB)) $(if $(filter 1,$(SOLUTIONS)),--solutions) \
	    $(if $(SUBMISSION),--submission '$(SUBMISSION)') $(if $(filter 1,$(CATCHUP)),--reference-for-earlier-labs) \
	    $(if $(JSON),--json $(JSON)) $(if $(JUNIT),--junit $(JUNIT)) $(if $(filter 1,$(NO_SANDBOX)),--no-sandbox)

test: deps
	@$(PYTHON) -m grader.selftest --jobs $(JOBS)

docs: deps
	@sphinx-build -q -W --keep-going -b html docs build/docs/html
	@echo "docs: build/docs/html/index.html"

# The student repository: no solutions/, no hidden tests, no instructor-only docs.
DEST ?= build/handout
handout: deps
	@$(PYTHON) -m grader.handout $(DEST)

handout-check: deps
	@$(PYTHON) -m grader.handout --check

# Exit costs in instructions, side by side with a plain call (reference VMM), then Debian's
# Linux running a workload natively and under minivmm (wall time; pictures in build/bench),
# then its network: minivmm's NE2000 against QEMU's own ne2k_pci (TCP MB/s, ping, exits per frame).
# then lab 6's HD Audio: tinykernel's lab6-tone (exits, instructions, CPU share) and Linux's aplay in real time.
# BENCH_VMM_OPTS: minivmm's options for the Linux runs (default: as make run GUEST=linux runs it;
# BENCH_VMM_OPTS=idregs=trap compares lab 1's policy); BENCH_ARGS: more of grader.bench's options
# (e.g. --runs 9 --phases boot,fork --linux-only; --no-net, --net-only, --no-audio, --audio-only). The pictures need
# Debian's matplotlib, so the bench prefers Debian's own python3 where another one comes first in PATH.
BENCH_VMM_OPTS ?= idregs=native
BENCH_ARGS     ?=
BENCH_PYTHON   ?= $(if $(wildcard /usr/bin/python3),/usr/bin/python3,$(PYTHON))
bench: deps
	@$(MAKE) --no-print-directory all SOLUTIONS=1
	@$(MAKE) --no-print-directory linux || \
	    echo "bench: no Linux guest (make linux failed): tinykernel's table only, no Linux workload or network"
	@$(BENCH_PYTHON) -m grader.bench --arch $(ARCH) --vmm build/sol/minivmm.elf --guest $(GUEST_ELF) \
	    --linux-vmm-opts "$(BENCH_VMM_OPTS)" $(BENCH_ARGS)

# The C style (.clang-format, clang-format 14) of the tracked C files under minivmm/, solutions/
# and guests/: format rewrites those that differ, format-check names them and fails.
format: deps
	@$(PYTHON) -m grader.format_check --fix

format-check: deps
	@$(PYTHON) -m grader.format_check

# libFuzzer: every target (FUZZ_TARGETS="fdt elf" for some) for FUZZ_SECONDS each, FUZZ_JOBS at a time,
# from its seeds (minivmm/tests/fuzz/corpus/<target>); what it finds new goes to build/fuzz/corpus/<target>,
# a crash to build/fuzz/crashes/<target>/ (and the make fails). One line of figures per target.
fuzz-bins: $(FUZZ_TARGETS:%=$(FUZZ_DIR)/%)

fuzz: deps fuzz-bins
	@$(PYTHON) minivmm/tests/fuzz/run.py --seconds $(FUZZ_SECONDS) --jobs $(FUZZ_JOBS) $(FUZZ_TARGETS)

# Mutation check of lab LAB's unit tests (grader/mutate.py): small faults put into the reference student
# files (solutions/), one at a time, each in a tree started from the grader's build cache, must make the
# lab's Check program fail or time out. A report (a table per file, every survivor), not a gate: it fails
# only if the tool does, or with --min-score. MUTATE_ARGS: more of its options (e.g. --max 40,
# --file hda_rings.c, --min-score 0.8, --list).
MUTATE_ARGS ?=
mutate: deps
	@if [ -z "$(LAB)" ]; then echo "mutate: which lab? make mutate LAB=<n> [MUTATE_ARGS=...]"; exit 2; fi
	@$(PYTHON) -m grader.mutate --lab '$(LAB)' --jobs $(JOBS) $(MUTATE_ARGS)

DEPS_PKGS := make gcc libc6-dev $(ARCH_PKGS) check \
             pkg-config python3 python3-sphinx gdb-multiarch device-tree-compiler git clang-format \
             graphviz python3-sphinx-rtd-theme python3-matplotlib clang libclang-rt-14-dev bubblewrap
deps:
	@if ! command -v dpkg-query >/dev/null; then \
	    echo "deps: not a Debian system: make sure these are installed: $(DEPS_PKGS)"; exit 0; fi; \
	installed=" $$(dpkg-query -W -f='$${Package}:$${Status}\n' $(DEPS_PKGS) 2>/dev/null \
	    | sed -n 's/:.* ok installed$$//p' | tr '\n' ' ') "; \
	missing=$$(for p in $(DEPS_PKGS); do case "$$installed" in *" $$p "*) ;; *) echo $$p;; esac; done); \
	if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ]; then \
	        echo "deps: installing" $$missing; \
	        apt-get update -qq || echo "deps: apt-get update reported errors; installing anyway"; \
	        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	    else \
	        echo "deps: missing Debian packages:" $$missing; \
	        echo "deps: run this, then try again:  sudo apt-get install -y" $$missing; \
	        exit 1; \
	    fi; \
	fi

clean:
	rm -rf build

FORCE:
