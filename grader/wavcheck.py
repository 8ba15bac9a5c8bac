"""The WAV check of an audio test: a strict RIFF/WAVE reader, header and duration, the tone (Goertzel), tinykernel's samples one by one.

minivmm's `audio=<file>` option writes what the guest's HD Audio output stream plays to a
WAV file on the host (its header follows the stream's format and is completed when
minivmm ends). A test's `expect_wav` table says what that file must be:

  rate, bits, channels   the header's sample rate, bits per sample and channel count
  seconds                the duration, within 1%
  tone                   the frequency (Hz) the Goertzel algorithm must find dominant in
                         channel 0: its power at least DOMINANCE times that at each of a
                         few other frequencies (half, 0.8 and 1.25 times, twice the tone,
                         and lab 6's other tone)
  holds                  a named sound (HOLDS) the file must hold bit for bit, in one
                         piece, with nothing but silence before and after it (what a
                         real player adds: ALSA pads its last period); "linux-tone" is
                         the tone that Linux's aplay plays (guests/linux/build_hda.py)
  exact                  (default true with a tone) every sample is tinykernel's tone
                         (guests/tinykernel/tone.c, regenerated here bit for bit): 16-bit
                         stereo, left s(n), right -s(n), from frame 0 on, its amplitude a
                         slow ramp so that no frame looks like one a period away. A dropped or a
                         repeated buffer shows as the first sample that differs, and where
                         the file goes on in the tone says how many frames went missing or
                         came twice.

`python3 -m grader.wavcheck FILE [--tone HZ] [--seconds S]` checks a file by hand."""
import argparse
import array
import dataclasses
import math
import pathlib
import struct
import sys

# expect_wav's keys and their types (int, float or bool); "exact" needs a tone.
EXPECT_KEYS = {"rate": int, "bits": int, "channels": int, "seconds": (int, float), "tone": (int, float),
               "exact": bool, "holds": str}
BITS = (8, 16, 24, 32)
MAX_CHANNELS = 8
MAX_RATE = 384000
PCM = 1                    # WAVE_FORMAT_PCM; everything else (float, extensible...) is refused
DURATION_TOLERANCE = 0.01  # seconds within 1%
DOMINANCE = 100.0          # the tone's Goertzel power over each other frequency's (20 dB)
OTHER_TONES = (440, 1000)  # lab 6's tones: each is probed in a WAV meant to hold the other
MATCH_FRAMES = 64          # frames that must agree to say where the file goes on in the tone

# tinykernel's tone (guests/tinykernel/tone.c): keep in step.
TONE_RATE = 48000
TONE_AMPLITUDE = 12288     # plus ((n >> 3) & 4095) at frame n: no two frames a period apart alike
TONE_A, TONE_B, TONE_C = 102944, 42334, 5223  # sin(pi/2 t) ~ A t - B t^3 + C t^5, Q16


def _linux_tone():
    """The sounding frames of the test sound Linux's aplay plays (lab 6's linux-sound)."""
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "guests" / "linux"))
    try:
        import build_hda  # noqa: E402  (the sound's one definition)
    finally:
        sys.path.pop(0)
    return build_hda.tone_frames()


# holds = "<name>": the sound as 16-bit stereo 48 kHz frames, made when a check needs it.
HOLDS = {"linux-tone": _linux_tone}


def holds_problem(wav, name):
    """Why wav does not hold the named sound bit for bit, in one piece, between silences; or None."""
    sound = HOLDS[name]()
    if (wav.rate, wav.bits, wav.channels) != (TONE_RATE, 16, 2):
        return f"'{name}' is 48000 Hz, 16 bits, 2 channels"
    at = wav.data.find(sound[:4 * MATCH_FRAMES])
    if at < 0 or at % 4:
        return f"the start of '{name}' is nowhere in it"
    got = wav.data[at:at + len(sound)]
    if got != sound:
        i = next((k for k in range(min(len(got), len(sound))) if got[k] != sound[k]), min(len(got), len(sound)))
        return f"'{name}' starts at frame {at // 4} and parts from it at its frame {i // 4} of {len(sound) // 4}"
    rest = wav.data[:at] + wav.data[at + len(sound):]
    if rest.count(0) != len(rest):
        return f"besides '{name}' it holds {len(rest) // 4} frames that are not all silence"
    return None


class WavError(ValueError):
    """A file that is not a WAV file this checker accepts."""


@dataclasses.dataclass
class Wav:
    rate: int
    bits: int
    channels: int
    data: bytes  # the data chunk: whole frames of little-endian PCM

    @property
    def frames(self):
        return len(self.data) // (self.channels * self.bits // 8)

    @property
    def seconds(self):
        return self.frames / self.rate

    def samples(self):
        """Every sample as an int, interleaved (frame 0's channels, then frame 1's...)."""
        width = self.bits // 8
        if width == 1:  # 8-bit WAV samples are unsigned
            return [b - 128 for b in self.data]
        if width in (2, 4):
            a = array.array("h" if width == 2 else "i", self.data)
            if sys.byteorder == "big":
                a.byteswap()
            return a.tolist()
        return [int.from_bytes(self.data[i:i + 3], "little", signed=True) for i in range(0, len(self.data), 3)]


def parse(data):
    """The Wav of a file's bytes; WavError if its RIFF structure or format is not a plain
    PCM WAVE file with consistent sizes: the RIFF size is the file's length less 8, each
    chunk lies inside the file, one 'fmt ' chunk (16 bytes, or 18 with no extension)
    comes before the one 'data' chunk, which holds whole frames."""
    if len(data) < 12:
        raise WavError(f"{len(data)} bytes: shorter than a RIFF header")
    magic, size, wave = struct.unpack_from("<4sI4s", data)
    if magic != b"RIFF" or wave != b"WAVE":
        raise WavError(f"not a RIFF WAVE file (starts {data[:4]!r} ... {data[8:12]!r})")
    if size != len(data) - 8:
        raise WavError(f"the RIFF size is {size}, the file has {len(data) - 8} bytes after it "
                       "(a header never completed, or a cut file)")
    fmt = found = None
    at = 12
    while at < len(data):
        if at + 8 > len(data):
            raise WavError(f"{len(data) - at} stray bytes at offset {at}, not a chunk header")
        cid, csize = struct.unpack_from("<4sI", data, at)
        body = data[at + 8:at + 8 + csize]
        if len(body) < csize:
            raise WavError(f"chunk {cid!r} at offset {at} claims {csize} bytes, {len(body)} are left")
        if cid == b"fmt ":
            if fmt is not None:
                raise WavError("two 'fmt ' chunks")
            fmt = _fmt(body)
        elif cid == b"data":
            if found is not None:
                raise WavError("two 'data' chunks")
            if fmt is None:
                raise WavError("the 'data' chunk comes before any 'fmt ' chunk")
            block = fmt[2] * fmt[1] // 8
            if csize % block:
                raise WavError(f"the data chunk's {csize} bytes are not whole {block}-byte frames")
            found = Wav(*fmt, body)
        at += 8 + csize + (csize & 1)  # chunks are padded to an even size
    if found is None:
        raise WavError("no 'data' chunk" if fmt else "no 'fmt ' chunk")
    return found


def _fmt(body):
    """(rate, bits, channels) of a 'fmt ' chunk's body, checked."""
    if len(body) not in (16, 18):
        raise WavError(f"a 'fmt ' chunk of {len(body)} bytes (plain PCM has 16)")
    tag, channels, rate, byte_rate, block, bits = struct.unpack_from("<HHIIHH", body)
    if len(body) == 18 and struct.unpack_from("<H", body, 16)[0]:
        raise WavError("a 'fmt ' chunk with an extension (not plain PCM)")
    if tag != PCM:
        raise WavError(f"format tag {tag:#x}, not PCM (1)")
    if bits not in BITS:
        raise WavError(f"{bits} bits per sample (PCM here: {', '.join(map(str, BITS))})")
    if not 1 <= channels <= MAX_CHANNELS:
        raise WavError(f"{channels} channels")
    if not 1 <= rate <= MAX_RATE:
        raise WavError(f"a sample rate of {rate} Hz")
    if block != channels * bits // 8:
        raise WavError(f"block align {block}, expected {channels * bits // 8} for {channels} x {bits} bits")
    if byte_rate != rate * block:
        raise WavError(f"byte rate {byte_rate}, expected {rate * block} for {rate} Hz x {block} bytes")
    return rate, bits, channels


def read(path):
    """The Wav at path (WavError if it is not one, OSError if unreadable)."""
    return parse(pathlib.Path(path).read_bytes())


def make(samples, rate=TONE_RATE, bits=16, channels=2):
    """The bytes of a PCM WAV file of interleaved integer samples (for tests and fixtures)."""
    block = channels * bits // 8
    if bits == 8:
        data = bytes(s + 128 for s in samples)
    else:
        data = b"".join(s.to_bytes(bits // 8, "little", signed=True) for s in samples)
    fmt = struct.pack("<HHIIHH", PCM, channels, rate, rate * block, block, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    if len(data) & 1:
        body += b"\0"
    return b"RIFF" + struct.pack("<I", len(body)) + body


# ---- tinykernel's tone (guests/tinykernel/tone.c), bit for bit.

def tone_step(hz):
    """floor(hz * 2^32 / 48000): the phase step of the tone."""
    return (int(hz) << 32) // TONE_RATE


def tone_amplitude(n):
    """The amplitude of frame n: a slow ramp."""
    return TONE_AMPLITUDE + ((n >> 3) & 4095)


def tone_sample(phase, amp):
    """The sample at a 32-bit phase with amplitude amp: quarter-wave symmetry and a
    fifth-order polynomial."""
    quadrant = phase >> 30
    t = (phase >> 14) & 0xFFFF
    if quadrant & 1:
        t = 0x10000 - t
    t2 = t * t >> 16
    t3 = t2 * t >> 16
    t5 = t3 * t2 >> 16
    y = (TONE_A * t + TONE_C * t5 - TONE_B * t3) >> 16
    s = y * amp >> 16
    return -s if quadrant & 2 else s


def tone(hz, frames, first=0):
    """Frames first..first+frames-1 of the hz tone, interleaved stereo: left s, right -s."""
    step, out = tone_step(hz), []
    for n in range(first, first + frames):
        s = tone_sample((n * step) & 0xFFFFFFFF, tone_amplitude(n))
        out += (s, -s)
    return out


# ---- Checks.

def goertzel(x, rate, freq):
    """The power of x at freq (Hz, any frequency, not only a DFT bin)."""
    coeff = 2.0 * math.cos(2.0 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for v in x:
        s1, s2 = v + coeff * s1 - s2, s1
    return s1 * s1 + s2 * s2 - coeff * s1 * s2


def tone_problem(x, rate, hz):
    """Why channel x does not have hz as its dominant frequency, or None."""
    probes = sorted({f for f in (hz / 2, hz * 0.8, hz * 1.25, hz * 2, *OTHER_TONES)
                     if abs(f - hz) > 1 and 0 < f < rate / 2})
    power = goertzel(x, rate, hz)
    if power <= 0:
        return f"no {hz:g} Hz tone: the channel is silent"
    other, f = max((goertzel(x, rate, f), f) for f in probes)
    if other * DOMINANCE > power:
        db = 10 * math.log10(power / other)
        than = f"{-db:.1f} dB stronger" if db < 0 else f"only {db:.1f} dB weaker"
        return (f"the {hz:g} Hz tone does not dominate: {f:g} Hz is {than} "
                f"(it must be {10 * math.log10(DOMINANCE):.0f} dB weaker)")
    return None


def _goes_on_at(got, frame, channels, hz, total):
    """The frame of the tone where got (interleaved) goes on at frame, matching MATCH_FRAMES
    frames; None if nowhere within the file's length either way."""
    n = min(MATCH_FRAMES, len(got) // channels - frame)
    want = got[frame * channels:(frame + n) * channels]
    step = tone_step(hz)
    for d in sorted(range(-frame, total + 1), key=abs):
        if d and all(tone_sample(((frame + d + i) * step) & 0xFFFFFFFF, tone_amplitude(frame + d + i))
                     == want[i * channels] for i in range(n)):
            return frame + d
    return None


def sequence_problem(wav, hz):
    """Why wav's samples are not tinykernel's hz tone from frame 0 on, or None: the first
    sample that differs, and how the file goes on (frames dropped or repeated)."""
    got = wav.samples()
    want = tone(hz, wav.frames)
    if got == want:
        return None
    i = next(i for i, (a, b) in enumerate(zip(got, want)) if a != b)
    frame, channel = divmod(i, wav.channels)
    why = (f"sample {i} (frame {frame}, {frame / wav.rate:.4f} s, channel {channel}) is {got[i]}, "
           f"expected {want[i]}")
    at = _goes_on_at(got, frame, wav.channels, hz, wav.frames)
    if at is None:
        return why + " (the file does not go on with the tone there)"
    if at > frame:
        return why + f": the file goes on with the tone's frame {at}, {at - frame} frames were dropped"
    return why + f": the file goes on with the tone's frame {at}, {frame - at} frames came again"


def expect_problem(expect):
    """Why an expect_wav table is not usable, or None (the manifest's check)."""
    if not isinstance(expect, dict):
        return "'expect_wav' must be a table"
    unknown = set(expect) - set(EXPECT_KEYS)
    if unknown:
        return f"'expect_wav' has unknown key(s) {', '.join(sorted(unknown))} (keys: {', '.join(EXPECT_KEYS)})"
    for key, typ in EXPECT_KEYS.items():
        v = expect.get(key)
        if v is not None and (not isinstance(v, typ) or isinstance(v, bool) and typ is not bool):
            return f"'expect_wav' {key} must be {'a boolean' if typ is bool else 'a number'}"
    if expect.get("bits", 16) not in BITS:
        return f"'expect_wav' bits must be one of {', '.join(map(str, BITS))}"
    if not 1 <= expect.get("channels", 1) <= MAX_CHANNELS:
        return f"'expect_wav' channels must be 1 to {MAX_CHANNELS}"
    for key in ("rate", "seconds", "tone"):
        if key in expect and expect[key] <= 0:
            return f"'expect_wav' {key} must be > 0"
    rate = expect.get("rate", TONE_RATE)
    if "tone" in expect and expect["tone"] >= rate / 2:
        return f"'expect_wav' tone {expect['tone']:g} Hz is not below half the rate"
    if "holds" in expect and expect["holds"] not in HOLDS:
        return f"'expect_wav' holds must name one of: {', '.join(HOLDS)}"
    if expect.get("exact"):
        if "tone" not in expect:
            return "'expect_wav' exact needs a tone"
        if (expect.get("rate", TONE_RATE), expect.get("bits", 16), expect.get("channels", 2)) != (TONE_RATE, 16, 2):
            return "'expect_wav' exact is tinykernel's tone: 48000 Hz, 16 bits, 2 channels"
    return None


def problem(path, expect):
    """Why the WAV at path does not meet expect (an expect_wav table), or None."""
    try:
        wav = read(path)
    except FileNotFoundError:
        return f"no WAV was written ({path})"
    except (OSError, WavError) as e:
        return f"WAV {path}: {e}"
    for key, unit in (("rate", "Hz"), ("bits", "bits per sample"), ("channels", "channels")):
        if key in expect and getattr(wav, key) != expect[key]:
            return f"WAV {path}: {getattr(wav, key)} {unit}, expected {expect[key]} {unit}"
    if "seconds" in expect:
        want = expect["seconds"]
        if abs(wav.seconds - want) > DURATION_TOLERANCE * want:
            return (f"WAV {path}: {wav.frames} frames, {wav.seconds:.4f} s; expected {want:g} s within "
                    f"{DURATION_TOLERANCE:.0%}")
    if "holds" in expect:
        why = holds_problem(wav, expect["holds"])
        if why:
            return f"WAV {path}: {why}"
    hz = expect.get("tone")
    if hz is None:
        return None
    if wav.frames == 0:
        return f"WAV {path}: no samples"
    why = tone_problem(wav.samples()[::wav.channels], wav.rate, hz)
    if why:
        return f"WAV {path}: {why}"
    if expect.get("exact", True) and (wav.rate, wav.bits, wav.channels) == (TONE_RATE, 16, 2):
        why = sequence_problem(wav, hz)
        if why:
            return f"WAV {path}: not tinykernel's {hz:g} Hz tone: {why}"
    return None


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m grader.wavcheck", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("wav")
    ap.add_argument("--tone", type=float, help="the tone's frequency (Hz)")
    ap.add_argument("--seconds", type=float, help="the duration (within 1%%)")
    ap.add_argument("--rate", type=int, default=TONE_RATE)
    ap.add_argument("--bits", type=int, default=16)
    ap.add_argument("--channels", type=int, default=2)
    ap.add_argument("--not-exact", action="store_true", help="no sample-by-sample comparison with tinykernel's tone")
    a = ap.parse_args(argv)
    expect = {"rate": a.rate, "bits": a.bits, "channels": a.channels}
    if a.seconds:
        expect["seconds"] = a.seconds
    if a.tone:
        expect.update(tone=a.tone, exact=not a.not_exact)
    try:
        wav = read(a.wav)
        print(f"wavcheck: {a.wav}: {wav.rate} Hz, {wav.bits} bits, {wav.channels} channels, {wav.frames} frames "
              f"({wav.seconds:.4f} s)")
    except (OSError, WavError) as e:
        print(f"wavcheck: {a.wav}: {e}", file=sys.stderr)
        return 1
    why = problem(a.wav, expect)
    print(f"wavcheck: {why or 'ok'}")
    return 1 if why else 0


if __name__ == "__main__":
    sys.exit(main())
