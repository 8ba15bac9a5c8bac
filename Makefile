# minivmm teaching kit: the one entry point (run, test, grade, unit, qemu, qemu-gdb, gdb, docs, handout, bench, format).
SHELL := /bin/bash
.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
.SECONDEXPANSION:

HOSTCC  ?= gcc
PYTHON  ?= python3
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)

# ---- The architecture: ARCH=arm (the default) is the only port today. What is
# ARM-specific (target compiler and flags, headers, linker script, sources, Debian
# packages) is in minivmm/arch/$(ARCH)/arch.mk; the build folders are the same for
# every port (build/sol, build/skel, build/sub, build/guest).
ARCH    ?= arm
PORTS   := $(sort $(patsubst minivmm/arch/%/arch.mk,%,$(wildcard minivmm/arch/*/arch.mk)))
ifeq ($(wildcard minivmm/arch/$(ARCH)/arch.mk),)
arch_from_env := $(if $(filter environment,$(origin ARCH)), (ARCH=$(ARCH) comes from your environment: unset it or pass ARCH=arm))
ifeq ($(ARCH),x86)
$(error ARCH=x86: the x86 track (minivmm/arch/x86/) is not written yet (issue 16); ARCH=arm is the only port today$(arch_from_env))
else
$(error unknown ARCH=$(ARCH): ports are: $(PORTS)$(arch_from_env))
endif
endif
include minivmm/arch/$(ARCH)/arch.mk

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
ifneq ($(SUBMISSION),)
VARIANT := sub
else ifeq ($(SOLUTIONS),1)
VARIANT := sol
else
VARIANT := skel
endif
B := build/$(VARIANT)

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
	@$(CC_TARGET) $(TARGET_FLAGS) -T $(ARCH_LDSCRIPT) $(VMM_OBJS) -lgcc -o $@

# ---- tinykernel (the guest, built with the target compiler); it shares the VMM's formatter and string functions
GUEST_DIR  := build/guest
GUEST_SRCS := $(sort $(wildcard guests/tinykernel/*.c guests/tinykernel/*.S \
                               guests/tinykernel/programs/*.[cS] guests/tinykernel/programs/hidden/*.[cS])) minivmm/core/fmt.c minivmm/lib/string.c
GUEST_OBJS := $(GUEST_SRCS:%=$(GUEST_DIR)/%.o)
GUEST_ELF  := $(GUEST_DIR)/tinykernel.elf

$(GUEST_DIR)/%.o: %
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC_TARGET) $(TARGET_FLAGS) $(WARN) -Iminivmm/include -c $< -o $@

$(GUEST_ELF): $(GUEST_OBJS) guests/tinykernel/kernel.ld
	@echo "  LD      $@"
	@$(CC_TARGET) $(TARGET_FLAGS) -T guests/tinykernel/kernel.ld $(GUEST_OBJS) -lgcc -o $@

# Malformed guest images for minivmm's bad-input tests.
FIXTURES := build/fixtures/truncated.elf
$(FIXTURES): $(GUEST_ELF) minivmm/tests/bad_elves.py
	@$(PYTHON) minivmm/tests/bad_elves.py $(GUEST_ELF) build/fixtures

# ---- Host builds of the logic, for the Check unit tests
CHECK_FLAGS := $(shell pkg-config --cflags --libs check 2>/dev/null)
# The core's files, the port's (arch.mk) and the student files (not those of another port).
HOST_SRCS := minivmm/core/fmt.c minivmm/core/cmdline.c minivmm/core/elf.c minivmm/core/zimage.c minivmm/core/fdt.c \
             minivmm/core/alloc.c minivmm/core/stats.c minivmm/core/hypercall.c minivmm/core/vm.c \
             minivmm/core/panic.c minivmm/core/console.c minivmm/core/guest_dt.c minivmm/core/guest_dt_user.c \
             minivmm/core/fdt_read.c minivmm/core/bus.c minivmm/core/snapshot.c minivmm/core/device.c \
             minivmm/core/vm_snapshot.c minivmm/core/test_hypercall.c \
             $(wildcard minivmm/devices/*.c) \
             $(ARCH_HOST_SRCS) $(filter %.c,$(filter-out minivmm/arch/%,$(STUDENT_FILES)) \
                                             $(filter minivmm/arch/$(ARCH)/%,$(STUDENT_FILES))) \
             minivmm/tests/unit/host_stubs.c minivmm/tests/unit/regfile.c
HOST_SRCS := $(sort $(HOST_SRCS))
HOSTLINK  := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -D_GNU_SOURCE
HOSTFLAGS := $(HOSTLINK) -MMD -MP
HOST_OBJS := $(HOST_SRCS:%=$(B)/host/%.o)

define host_rule
$(B)/host/$(1).o: $(call src,$(1))
	@mkdir -p $$(@D)
	@echo "  HOSTCC  $$<"
	@$(HOSTCC) $(HOSTFLAGS) $(WARN) $(INCLUDES) -Iminivmm/tests/unit -c $$< -o $$@
endef
$(foreach s,$(HOST_SRCS),$(eval $(call host_rule,$(s))))

# One Check binary for the framework, one per lab (labs/<lab>/tests/unit/*.c).
LAB_DIRS   := $(sort $(wildcard labs/lab*-*))
UNIT_FW    := $(B)/unit/framework
UNIT_LABS  := $(foreach l,$(LAB_DIRS),$(if $(wildcard $(l)/tests/unit/*.c),$(B)/unit/$(notdir $(l))))
UNIT_BINS  := $(UNIT_FW) $(UNIT_LABS)

$(UNIT_FW): $(wildcard minivmm/tests/unit/test_*.c) $(HOST_OBJS)
	@mkdir -p $(@D)
	@echo "  LINK    $@"
	@$(HOSTCC) $(HOSTLINK) $(WARN) $(INCLUDES) -Iminivmm/tests/unit $(filter %.c,$^) $(HOST_OBJS) $(CHECK_FLAGS) -o $@

$(B)/unit/%: $$(wildcard labs/$$*/tests/unit/*.c) $(HOST_OBJS)
	@mkdir -p $(@D)
	@echo "  LINK    $@"
	@$(HOSTCC) $(HOSTLINK) $(WARN) $(INCLUDES) -Iminivmm/tests/unit $(filter %.c,$^) $(HOST_OBJS) $(CHECK_FLAGS) -o $@

-include $(shell find $(B) $(GUEST_DIR) -name '*.[cS].d' 2>/dev/null)

# ---- Entry points
.PHONY: all unit unit-bins run qemu qemu-gdb gdb test grade docs handout handout-check bench format format-check deps clean linux dts FORCE

all: $(VMM_ELF) $(GUEST_ELF) $(FIXTURES)

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
RUN_GUEST  = $(GUEST_ELF)
endif
QEMU_RUN   = $(PYTHON) -m grader.qemu --arch $(ARCH) --vmm $(VMM_ELF) --guest $(RUN_GUEST) $(if $(VMM_OPTS),--vmm-opts "$(VMM_OPTS)")

run: deps all $(RUN_DEPS)
	@$(QEMU_RUN) $(if $(filter linux,$(GUEST)),--interactive,--timeout 60) -- $(RUN_ARGS)

# The Linux guest: the two Debian packages (fetched once into ~/.cache/minivmm),
# the zImage, and an initramfs of busybox and guests/linux/init.
linux: $(LINUX_ZIMAGE) $(LINUX_INITRD)
$(LINUX_DIR)/fetched: guests/linux/fetch.py
	@mkdir -p $(@D)
	@$(PYTHON) guests/linux/fetch.py > $@.tmp && mv $@.tmp $@
$(LINUX_ZIMAGE): $(LINUX_DIR)/fetched
	@cp $$(sed -n 1p $<) $@
$(LINUX_INITRD): $(LINUX_DIR)/fetched guests/linux/init $(wildcard guests/linux/etc/inittab guests/linux/etc/shrc guests/linux/etc/init.d/*) guests/linux/mkinitramfs.py
	@echo "  CPIO    $@"
	@$(PYTHON) guests/linux/mkinitramfs.py $$(sed -n 2p $<) $@

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

grade: deps
	@$(PYTHON) -m grader $(if $(LAB),--lab $(LAB)) $(if $(filter 1,$(SOLUTIONS)),--solutions) \
	    $(if $(SUBMISSION),--submission $(SUBMISSION)) $(if $(filter 1,$(CATCHUP)),--reference-for-earlier-labs) \
	    $(if $(JSON),--json $(JSON)) $(if $(JUNIT),--junit $(JUNIT))

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

# Exit costs in instructions, side by side with a plain call (reference VMM).
bench: deps
	@$(MAKE) --no-print-directory all SOLUTIONS=1
	@$(PYTHON) -m grader.bench --arch $(ARCH) --vmm build/sol/minivmm.elf --guest $(GUEST_ELF)

# The C style (.clang-format, clang-format 14) of the tracked C files under minivmm/, solutions/
# and guests/: format rewrites those that differ, format-check names them and fails.
format: deps
	@$(PYTHON) -m grader.format_check --fix

format-check: deps
	@$(PYTHON) -m grader.format_check

DEPS_PKGS := make gcc libc6-dev $(ARCH_PKGS) check \
             pkg-config python3 python3-sphinx gdb-multiarch device-tree-compiler git clang-format \
             graphviz python3-sphinx-rtd-theme
deps:
	@if ! command -v dpkg-query >/dev/null; then \
	    echo "deps: not a Debian system: make sure these are installed: $(DEPS_PKGS)"; exit 0; fi; \
	missing=$$(for p in $(DEPS_PKGS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
	    | grep -q 'ok installed' || echo $$p; done); \
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
