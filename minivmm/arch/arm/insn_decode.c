/* Lab 3 student file: decode the A32 and T32 load/store instructions that can reach a device without a syndrome (ISV = 0). */
#include <minivmm/panic.h>
#include <arch/mem_insn.h>

/* See arch/mem_insn.h for struct mem_insn, and the handout ("Task 3: decoding
 * instructions") for the encodings to support: ARM ARM A5.3 and A5.2.8 (A32),
 * A6.2.4, A6.3.7-A6.3.10 and A6.3.5-A6.3.6 (T32). */

bool thumb_is_32bit(uint16_t hw1)
{
    (void)hw1;
    MV_TODO(3, "Task 3: decoding instructions");
}

bool insn_decode_arm(uint32_t insn, struct mem_insn *m)
{
    (void)insn;
    (void)m;
    MV_TODO(3, "Task 3: decoding instructions");
}

bool insn_decode_thumb(uint16_t hw1, uint16_t hw2, struct mem_insn *m)
{
    (void)hw1;
    (void)hw2;
    (void)m;
    MV_TODO(3, "Task 3: decoding instructions");
}
