/* Lab 6 student file, Task 2: the codec at address 0, QEMU's hda-output: its parameters and the verbs that set and read the DAC and the line-out pin. */
#include <minivmm/panic.h>
#include <devices/hda.h>

/* Set to true when Tasks 1 to 3 are done: minivmm then gives the guest its sound card. */
const bool lab6_hda_enabled = false;

/* TODO: the codec's power-on state (devices/hda.h says which). */
void hda_codec_reset(struct hda_codec *c)
{
    (void)c;
    MV_TODO(6, "Task 2: the codec");
}

/* TODO: split the command into codec address, node and verb (a 12-bit verb
 * with an 8-bit payload when bits 19:16 are 0x7 or 0xf, else a 4-bit verb
 * with a 16-bit payload); no response for a codec address other than 0;
 * answer GET_PARAMETER from the handout's table for nodes 0-3, the DAC's
 * format, stream, amp and power verbs and the pin's widget control, EAPD,
 * configuration default, connection list and power; anything else answers 0.
 * Count every command, the unknown ones and those to no codec in h->stats. */
bool hda_codec_verb(struct hda *h, uint32_t cmd, uint32_t *resp)
{
    (void)h;
    (void)cmd;
    (void)resp;
    MV_TODO(6, "Task 2: the codec");
}

/* TODO: true when stream is not 0, is the DAC's stream tag, and fmt is its converter format. */
bool hda_codec_routes(const struct hda_codec *c, unsigned stream, uint16_t fmt)
{
    (void)c;
    (void)stream;
    (void)fmt;
    MV_TODO(6, "Task 2: the codec");
}
