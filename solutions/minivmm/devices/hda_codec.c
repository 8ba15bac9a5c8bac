/* Lab 6 student file, Task 2: the codec at address 0, QEMU's hda-output: its parameters and the verbs that set and read the DAC and the line-out pin. */
#include <devices/hda.h>

const bool lab6_hda_enabled = true;

/* Parameters (HDA 1.0a, 7.3.4), the values of QEMU's hda-output with its mixer. */
#define PAR_VENDOR     0x00
#define PAR_SUBSYS     0x01
#define PAR_REV        0x02
#define PAR_NODES      0x04
#define PAR_FG_TYPE    0x05
#define PAR_AFG_CAP    0x08
#define PAR_WCAP       0x09
#define PAR_PCM        0x0a
#define PAR_STREAM     0x0b
#define PAR_PINCAP     0x0c
#define PAR_AMP_IN     0x0d
#define PAR_CONNLEN    0x0e
#define PAR_POWER      0x0f
#define PAR_GPIO       0x11
#define PAR_AMP_OUT    0x12
#define PCM_16_RATES   0x000201fcu /* 16-bit samples, 16 to 96 kHz */
#define AMP_CAPS       (0x80000000u | 3u << 16 | HDA_AMP_STEPS << 8 | HDA_AMP_STEPS) /* mute, 0.25 dB x 0x4a */
#define WCAP_DAC       0x0000001du /* output converter: stereo, amp out, amp and format override */
#define WCAP_PIN       0x00400101u /* pin complex: stereo, a connection list */
#define PINCAP_OUT     0x00000010u
#define PIN_CONFIG     0x00004010u /* jack, line out, green, association 1 sequence 0 */
#define POWER_D0_TO_D3 0x0000000fu

static uint32_t root_param(unsigned par)
{
    switch (par) {
    case PAR_VENDOR:
    case PAR_SUBSYS: return HDA_CODEC_ID;
    case PAR_REV: return 0x00100101u;
    case PAR_NODES: return 1u << 16 | 1u; /* the AFG, node 1 */
    default: return 0;
    }
}

static uint32_t afg_param(unsigned par)
{
    switch (par) {
    case PAR_FG_TYPE: return 1; /* audio */
    case PAR_SUBSYS: return HDA_CODEC_ID;
    case PAR_NODES: return 2u << 16 | 2u; /* the DAC and the pin, nodes 2 and 3 */
    case PAR_PCM: return PCM_16_RATES;
    case PAR_STREAM: return 1; /* PCM */
    case PAR_AFG_CAP: return 0x00000808u;
    case PAR_POWER: return POWER_D0_TO_D3;
    default: return 0; /* no amps, no GPIOs */
    }
}

static uint32_t param(unsigned nid, unsigned par)
{
    switch (nid) {
    case HDA_NID_ROOT: return root_param(par);
    case HDA_NID_AFG: return afg_param(par);
    case HDA_NID_DAC:
        return par == PAR_WCAP      ? WCAP_DAC
               : par == PAR_PCM     ? PCM_16_RATES
               : par == PAR_STREAM  ? 1
               : par == PAR_AMP_OUT ? AMP_CAPS
                                    : 0;
    default: return par == PAR_WCAP ? WCAP_PIN : par == PAR_PINCAP ? PINCAP_OUT : par == PAR_CONNLEN ? 1 : 0;
    }
}

void hda_codec_reset(struct hda_codec *c)
{
    *c = (struct hda_codec){.amp = {0x80, 0x80}, .pin_ctl = 0x40};
}

/* 0x3: bit 15 the output amp, 13 left, 12 right, 7 mute, 6:0 gain (clamped to the steps). */
static void set_amp(struct hda_codec *c, uint16_t p)
{
    uint8_t gain = (p & 0x7f) > HDA_AMP_STEPS ? HDA_AMP_STEPS : p & 0x7f;
    if (!(p & 0x8000))
        return; /* the DAC has no input amp */
    if (p & 0x2000)
        c->amp[0] = (uint8_t)((p & 0x80) | gain);
    if (p & 0x1000)
        c->amp[1] = (uint8_t)((p & 0x80) | gain);
}

/* The 4-bit verbs, on the DAC only: false for anything else. */
static bool verb4(struct hda_codec *c, unsigned nid, unsigned verb, uint16_t p, uint32_t *resp)
{
    if (nid != HDA_NID_DAC)
        return false;
    switch (verb) {
    case HDA_VERB4_SET_FMT: c->fmt = p & HDA_SD_FMT_MASK; return true;
    case HDA_VERB4_GET_FMT: *resp = c->fmt; return true;
    case HDA_VERB4_SET_AMP: set_amp(c, p); return true;
    case HDA_VERB4_GET_AMP: *resp = p & 0x8000 ? c->amp[p & 0x2000 ? 0 : 1] : 0; return true;
    default: return false;
    }
}

/* The power state of a node that has one: the AFG, the DAC or the pin. */
static uint8_t *power_of(struct hda_codec *c, unsigned nid)
{
    return nid >= HDA_NID_AFG && nid <= HDA_NID_PIN ? &c->power[nid - HDA_NID_AFG] : NULL;
}

/* The 12-bit verbs that both converter and pin take. */
static bool verb12_any(struct hda_codec *c, unsigned nid, unsigned verb, uint8_t p, uint32_t *resp)
{
    uint8_t *ps = power_of(c, nid);
    switch (verb) {
    case HDA_VERB_GET_PARAM: *resp = param(nid, p); return true;
    case HDA_VERB_GET_SUBSYS: *resp = HDA_CODEC_ID; return true;
    case HDA_VERB_SET_POWER:
        if (ps)
            *ps = p & 3;
        return ps != NULL;
    case HDA_VERB_GET_POWER: *resp = ps ? (uint32_t)*ps << 4 | *ps : 0; return ps != NULL; /* actual = set */
    default: return false;
    }
}

static bool verb12(struct hda_codec *c, unsigned nid, unsigned verb, uint8_t p, uint32_t *resp)
{
    if (verb12_any(c, nid, verb, p, resp))
        return true;
    if (nid == HDA_NID_DAC && verb == HDA_VERB_SET_STREAM)
        c->stream = p;
    else if (nid == HDA_NID_DAC && verb == HDA_VERB_GET_STREAM)
        *resp = c->stream;
    else if (nid == HDA_NID_PIN && verb == HDA_VERB_SET_PIN)
        c->pin_ctl = p;
    else if (nid == HDA_NID_PIN && verb == HDA_VERB_GET_PIN)
        *resp = c->pin_ctl;
    else if (nid == HDA_NID_PIN && verb == HDA_VERB_SET_EAPD)
        c->eapd = p & 7;
    else if (nid == HDA_NID_PIN && verb == HDA_VERB_GET_EAPD)
        *resp = c->eapd;
    else if (nid == HDA_NID_PIN && verb == HDA_VERB_GET_CONFIG)
        *resp = PIN_CONFIG;
    else if (nid == HDA_NID_PIN && verb == HDA_VERB_GET_CONN)
        *resp = p == 0 ? HDA_NID_DAC : 0; /* entries from index p: the one entry is the DAC */
    else
        return false;
    return true;
}

bool hda_codec_verb(struct hda *h, uint32_t cmd, uint32_t *resp)
{
    unsigned nid = HDA_CMD_NID(cmd), top = (cmd >> 16) & 0xfu;
    h->stats.verbs++;
    if (HDA_CMD_CAD(cmd) != 0) {
        h->stats.verbs_no_codec++;
        return false;
    }
    *resp = 0;
    bool known = nid <= HDA_NID_PIN &&
                 (top == 0x7 || top == 0xf ? verb12(&h->codec, nid, (cmd >> 8) & 0xfffu, (uint8_t)cmd, resp)
                                           : verb4(&h->codec, nid, top, (uint16_t)cmd, resp));
    if (!known) {
        *resp = 0;
        h->stats.verbs_unknown++;
    }
    return true;
}

bool hda_codec_routes(const struct hda_codec *c, unsigned stream, uint16_t fmt)
{
    return stream != 0 && (c->stream >> 4) == stream && c->fmt == fmt;
}
