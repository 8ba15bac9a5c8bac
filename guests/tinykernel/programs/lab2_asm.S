/* Lab 2 test helper: branch to an address that must raise a prefetch abort, and come back. */
    .syntax unified
    .arch armv7-a
    .arm

/* void tk_exec_at(uint32_t addr): blx addr; the abort handler resumes at tk_exec_return. */
    .global tk_exec_at, tk_exec_return
tk_exec_at:
    push    {r4, lr}
    blx     r0
tk_exec_return:
    pop     {r4, pc}
