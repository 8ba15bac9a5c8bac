# The x86 (AMD SVM) port's part of the build: the Makefile includes minivmm/arch/$(ARCH)/arch.mk (ARCH=x86).
# A port sets the variables below; everything else in the Makefile is architecture-neutral.

# The target compiler: Debian's own gcc (x86-64). minivmm runs in long mode at 1 MiB, identity-mapped
# (-mcmodel=small, no PIC); no red zone, no SSE (exception handlers and the world switch keep only
# general registers). The guest is 32-bit (-m32, from gcc-multilib).
CC_TARGET    := gcc
TARGET_FLAGS := -m64 -mcmodel=small -fno-pic -fno-pie -mno-red-zone -mno-sse -mno-sse2 -mno-mmx -mno-80387 \
                -mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables -ffreestanding \
                -fno-builtin -nostdlib -O2 -g -MD -MP
# Linked as x86-64 (minivmm-x86_64.elf, for GDB), then wrapped as ELF32 for QEMU's multiboot loader.
ARCH_LDFLAGS := -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=0x1000 -Wl,--no-warn-rwx-segments -Wl,-z,noexecstack
ARCH_VMM_POSTLINK = @mv $@ $(@:.elf=-x86_64.elf) && objcopy -O elf32-i386 $(@:.elf=-x86_64.elf) $@

# The port's headers (<arch/...>), its linker script and its sources.
ARCH_INCLUDE  := minivmm/arch/x86/include
ARCH_LDSCRIPT := minivmm/arch/x86/linker.ld
ARCH_SRCS     := $(wildcard minivmm/arch/x86/*.c minivmm/arch/x86/*.S)

# The port's files in the host builds of the Check unit tests: none yet (make unit is ARM's).
ARCH_HOST_SRCS :=

# x86 builds in folders of its own (build/x86/sol, build/x86/skel, build/x86/sub, build/x86/guest),
# so that an ARM build never picks up an x86 object or the other way round.
ARCH_BUILD := build/x86

# The guest: guests/x86/, a 32-bit protected-mode kernel that shares minivmm's formatter, string
# functions and device-tree reader.
X86_GUEST_DIR   := $(ARCH_BUILD)/guest
X86_GUEST_FLAGS := -m32 -march=i686 -fno-pic -fno-pie -mno-sse -mno-mmx -mno-80387 -fno-stack-protector \
                   -fno-asynchronous-unwind-tables -ffreestanding -fno-builtin -nostdlib -O2 -g -MD -MP
X86_GUEST_SRCS  := $(sort $(wildcard guests/x86/*.c guests/x86/*.S)) minivmm/core/fmt.c minivmm/core/fdt_read.c \
                   minivmm/lib/string.c
X86_GUEST_OBJS  := $(X86_GUEST_SRCS:%=$(X86_GUEST_DIR)/%.o)
X86_GUEST_ELF   := $(X86_GUEST_DIR)/x86guest.elf
ARCH_GUEST_ELF  := $(X86_GUEST_ELF)
# What `make all` builds beyond minivmm.
ARCH_ALL        := $(X86_GUEST_ELF)

# The Makefile targets this port has so far; any other says it is not there yet.
ARCH_GOALS := all clean deps docs format format-check run qemu

define x86_guest_rules
$(X86_GUEST_DIR)/%.o: %
	@mkdir -p $$(@D)
	@echo "  CC      $$<"
	@$(CC_TARGET) $(X86_GUEST_FLAGS) -Wall -Wextra -Werror -std=c11 -Iminivmm/include -I$(ARCH_INCLUDE) -c $$< -o $$@
$(X86_GUEST_ELF): $(X86_GUEST_OBJS) guests/x86/guest.ld
	@echo "  LD      $$@"
	@$(CC_TARGET) $(X86_GUEST_FLAGS) -static -no-pie -Wl,--build-id=none -Wl,--no-warn-rwx-segments -Wl,-z,noexecstack \
	    -T guests/x86/guest.ld $(X86_GUEST_OBJS) -lgcc -o $$@
endef

# The Debian packages this port needs (make deps): QEMU's PC (with SVM under TCG), the 32-bit
# libraries the guest's -m32 build needs; the compiler is the host's gcc, binutils' objcopy.
ARCH_PKGS := qemu-system-x86 gcc-multilib binutils

$(eval $(x86_guest_rules))
-include $(shell find $(X86_GUEST_DIR) -name '*.[cS].d' 2>/dev/null)
