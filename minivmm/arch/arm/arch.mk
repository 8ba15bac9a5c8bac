# The ARMv7 port's part of the build: the Makefile includes minivmm/arch/$(ARCH)/arch.mk (ARCH=arm).
# A port sets the variables below; everything else in the Makefile is architecture-neutral.

# The target compiler, for minivmm and for the guest (tinykernel).
CROSS        ?= arm-none-eabi-
CC_TARGET    := $(CROSS)gcc
# newlib's uint32_t is 'long' on arm-none-eabi, so "%x" of a uint32_t would not
# pass -Wformat there; the host builds of the same files (x86-64) check formats.
TARGET_FLAGS := -Wno-format -mcpu=cortex-a15 -marm -mfloat-abi=soft -mno-unaligned-access -ffreestanding \
                -fno-builtin -nostdlib -O2 -g -MD -MP

# The port's headers (<arch/...>), its linker script and its sources.
ARCH_INCLUDE  := minivmm/arch/arm/include
ARCH_LDSCRIPT := minivmm/arch/arm/linker.ld
ARCH_SRCS     := $(wildcard minivmm/arch/arm/*.c minivmm/arch/arm/*.S)

# The port's files in the host builds of the Check unit tests (its student files
# are added by the Makefile).
ARCH_HOST_SRCS := minivmm/arch/arm/guest_dt_arm.c minivmm/arch/arm/exits.c minivmm/arch/arm/vcpu_dump.c \
                  minivmm/arch/arm/regs.c minivmm/arch/arm/cp15_view.c minivmm/arch/arm/cache_sw.c \
                  minivmm/arch/arm/test_hc.c minivmm/arch/arm/s2_pages.c minivmm/arch/arm/board.c \
                  minivmm/arch/arm/vgic_dev.c minivmm/arch/arm/vcpu_snapshot.c

# The Debian packages this port needs (make deps): QEMU for the board, the cross
# compiler and its C library.
ARCH_PKGS := qemu-system-arm gcc-arm-none-eabi libnewlib-arm-none-eabi
