"""Tests of grader/wavcheck.py (the WAV reader, the tone, Goertzel, the sample-by-sample comparison), the manifest
fields `audio` and `expect_wav`, and the runner's audio runs (minivmm's audio= option, the WAV's check, its copy
next to a failed test's log)."""
import os
import pathlib
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import textwrap
import unittest
from unittest import mock

from grader import manifest, report, runner, wavcheck
from grader.tests.test_netfix import load  # a manifest text's tests

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXPECT = {"rate": 48000, "bits": 16, "channels": 2, "seconds": 0.5, "tone": 440}
FRAMES = 24000
ENTRY = 1024  # frames in one of lab 6's BDL entries


def tone_wav(hz=440, frames=FRAMES, **kw):
    return wavcheck.make(wavcheck.tone(hz, frames), **kw)


def frames_of(samples, first, last):
    """Interleaved stereo samples of frames first..last-1."""
    return samples[2 * first:2 * last]


class Checked(unittest.TestCase):
    """problem() on files: a temporary folder for them."""

    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = pathlib.Path(tmp.name)

    def problem(self, data, expect=None):
        path = self.dir / "t.wav"
        path.write_bytes(data)
        return wavcheck.problem(path, EXPECT if expect is None else expect)


class Tone(unittest.TestCase):
    def test_known_values(self):
        self.assertEqual(wavcheck.tone_step(440), 39370533)
        self.assertEqual(wavcheck.tone_step(1000), 89478485)
        self.assertEqual(wavcheck.tone_sample(0, 16000), 0)
        peak = wavcheck.tone_sample(1 << 30, 16000)
        self.assertTrue(15900 < peak < 16200, peak)
        self.assertEqual(wavcheck.tone_sample(3 << 30, 16000), -peak)
        self.assertEqual([wavcheck.tone_amplitude(n) for n in (0, 7, 8, 8 * 4095, 8 * 4096)],
                         [12288, 12288, 12289, 12288 + 4095, 12288])
        s5, s6 = (wavcheck.tone_sample(n * 39370533, 12288) for n in (5, 6))
        self.assertEqual(wavcheck.tone(440, 2, first=5), [s5, -s5, s6, -s6])

    def test_close_to_a_sine(self):
        import math
        for k in range(0, 1 << 32, 1 << 22):
            self.assertLess(abs(wavcheck.tone_sample(k, 16000) - 16000 * math.sin(2 * math.pi * k / (1 << 32))), 80)

    @unittest.skipUnless(shutil.which(os.environ.get("HOSTCC", "cc")), "no host C compiler")
    def test_the_same_as_tinykernel(self):
        """guests/tinykernel/tone.c, compiled for the host, makes the samples wavcheck makes."""
        main = textwrap.dedent(r'''
            #include <stdio.h>
            #include "tone.h"
            static int16_t buf[2 * 3000];
            int main(void)
            {
                static const unsigned hz[] = {440, 1000, 17};
                static const unsigned first[] = {0, 12300, 4000000000u};
                for (int i = 0; i < 3; i++) {
                    tone_fill(buf, 3000, first[i], hz[i]);
                    for (int j = 0; j < 2 * 3000; j++)
                        printf("%d\n", buf[j]);
                }
                return 0;
            }''')
        with tempfile.TemporaryDirectory() as d:
            src, exe = pathlib.Path(d, "main.c"), pathlib.Path(d, "tone")
            src.write_text(main)
            tk = ROOT / "guests" / "tinykernel"
            subprocess.run([os.environ.get("HOSTCC", "cc"), "-std=c11", "-Wall", "-Werror", f"-I{tk}", "-o", str(exe),
                            str(src), str(tk / "tone.c")], check=True)
            out = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout
        got = [int(v) for v in out.split()]
        want = wavcheck.tone(440, 3000) + wavcheck.tone(1000, 3000, 12300) + wavcheck.tone(17, 3000, 4000000000)
        self.assertEqual(len(got), len(want))
        self.assertEqual(got, want)


class Parse(unittest.TestCase):
    def test_round_trip(self):
        for bits, samples in ((16, [0, -1, 32767, -32768]), (8, [-128, 0, 127, 5]), (24, [-(1 << 23), 1, 0, 7]),
                              (32, [-(1 << 31), 1, 2, 3])):
            with self.subTest(bits=bits):
                w = wavcheck.parse(wavcheck.make(samples, rate=8000, bits=bits, channels=2))
                self.assertEqual((w.rate, w.bits, w.channels, w.frames), (8000, bits, 2, 2))
                self.assertEqual(w.samples(), samples)

    def test_other_chunks_and_padding(self):
        data = bytearray(wavcheck.make([1, 2, 3, 4]))
        extra = b"LIST" + struct.pack("<I", 3) + b"abc\0"  # an odd chunk, padded
        data[12:12] = extra
        data[4:8] = struct.pack("<I", len(data) - 8)
        self.assertEqual(wavcheck.parse(bytes(data)).samples(), [1, 2, 3, 4])

    def malformed(self):
        good = wavcheck.make([1, 2, 3, 4, 5, 6])
        fmt = 20  # where the fmt chunk's body starts
        fix = lambda d: d[:4] + struct.pack("<I", len(d) - 8) + d[8:]  # noqa: E731 the RIFF size made right

        def field(offset, fmt_, value):
            d = bytearray(good)
            struct.pack_into(fmt_, d, offset, value)
            return bytes(d)
        return [
            (b"", "shorter than a RIFF header"),
            (b"RIFX" + good[4:], "not a RIFF WAVE file"),
            (good[:8] + b"AVI " + good[12:], "not a RIFF WAVE file"),
            (field(4, "<I", len(good)), "the RIFF size is"),
            (field(4, "<I", 0), "a header never completed"),
            (good[:-2], "the RIFF size is"),
            (fix(good[:-2]), "claims 12 bytes, 10 are left"),
            (fix(good + b"\0\0\0"), "stray bytes"),
            (field(16, "<I", 14), "a 'fmt ' chunk of 14 bytes"),
            (field(fmt, "<H", 3), "format tag 0x3, not PCM"),
            (field(fmt, "<H", 0xFFFE), "format tag 0xfffe"),
            (field(fmt + 2, "<H", 0), "0 channels"),
            (field(fmt + 4, "<I", 0), "a sample rate of 0 Hz"),
            (field(fmt + 8, "<I", 1234), "byte rate 1234"),
            (field(fmt + 12, "<H", 2), "block align 2, expected 4"),
            (field(fmt + 14, "<H", 12), "12 bits per sample"),
            (fix(field(40, "<I", 10)[:54]), "not whole 4-byte frames"),
            (fix(good[:12] + good[36:]), "the 'data' chunk comes before any 'fmt ' chunk"),
            (fix(good[:36]), "no 'data' chunk"),
            (fix(good[:12]), "no 'fmt ' chunk"),
            (fix(good + good[36:]), "two 'data' chunks"),
            (fix(good[:36] + good[12:]), "two 'fmt ' chunks"),
        ]

    def test_malformed_files_are_refused(self):
        for data, why in self.malformed():
            with self.subTest(why=why), self.assertRaises(wavcheck.WavError) as cm:
                wavcheck.parse(data)
            self.assertIn(why, str(cm.exception))


class Problem(Checked):
    def test_the_right_tone_passes(self):
        self.assertIsNone(self.problem(tone_wav()))
        self.assertIsNone(self.problem(tone_wav(1000), {**EXPECT, "tone": 1000}))
        self.assertIsNone(self.problem(tone_wav(frames=FRAMES + 200)), "1% too long is fine")
        self.assertIsNone(self.problem(tone_wav(frames=FRAMES - 200)), "1% too short is fine")

    def test_header_fields(self):
        self.assertRegex(self.problem(tone_wav(rate=44100)), r"44100 Hz, expected 48000 Hz$")
        self.assertRegex(self.problem(wavcheck.make([0] * 4 * FRAMES, bits=16, channels=4)),
                         r"4 channels, expected 2 channels$")
        self.assertRegex(self.problem(wavcheck.make([0] * 2 * FRAMES, bits=8)),
                         r"8 bits per sample, expected 16 bits per sample$")

    def test_duration(self):
        why = self.problem(tone_wav(frames=FRAMES - 250))
        self.assertRegex(why, r"23750 frames, 0.4948 s; expected 0.5 s within 1%$")
        self.assertIn("expected 0.5 s", self.problem(tone_wav(frames=FRAMES + 250)))

    def test_no_file_and_a_truncated_file(self):
        self.assertIn("no WAV was written", wavcheck.problem(self.dir / "none.wav", EXPECT))
        self.assertIn("the RIFF size is", self.problem(tone_wav()[:50000]))
        self.assertIn("the RIFF size is", self.problem(tone_wav()[:30]))

    def test_a_dropped_buffer(self):
        x = wavcheck.tone(440, FRAMES + ENTRY)
        why = self.problem(wavcheck.make(frames_of(x, 0, 5 * ENTRY) + frames_of(x, 6 * ENTRY, FRAMES + ENTRY)))
        self.assertIn(f"sample {2 * 5 * ENTRY} (frame {5 * ENTRY}, 0.1067 s, channel 0)", why)
        self.assertIn(f"the file goes on with the tone's frame {6 * ENTRY}, {ENTRY} frames were dropped", why)

    def test_a_repeated_buffer(self):
        x = wavcheck.tone(440, FRAMES)
        why = self.problem(wavcheck.make(frames_of(x, 0, 8 * ENTRY) + frames_of(x, 7 * ENTRY, FRAMES - ENTRY)))
        self.assertIn(f"sample {2 * 8 * ENTRY} (frame {8 * ENTRY},", why)
        self.assertIn(f"the file goes on with the tone's frame {7 * ENTRY}, {ENTRY} frames came again", why)

    def test_a_damaged_sample_and_swapped_channels(self):
        x = wavcheck.tone(440, FRAMES)
        x[2 * 777 + 1] += 1
        why = self.problem(wavcheck.make(x))
        self.assertIn("sample 1555 (frame 777, 0.0162 s, channel 1) is", why)
        x = wavcheck.tone(440, FRAMES)
        x[0::2], x[1::2] = x[1::2], x[0::2]
        self.assertIn("(frame 1, 0.0000 s, channel 0)", self.problem(wavcheck.make(x)))
        self.assertIsNone(self.problem(wavcheck.make(x), {**EXPECT, "exact": False}), "a tone all the same")

    def test_silence_in_the_middle(self):
        x = wavcheck.tone(440, FRAMES)
        x[2 * 4096:2 * 5120] = [0] * 2 * ENTRY
        why = self.problem(wavcheck.make(x))
        self.assertRegex(why, r"sample 8192 \(frame 4096, .*\) is 0, expected -?\d+ \(the file does not go on with "
                              r"the tone there\)$")

    def test_the_wrong_tone(self):
        why = self.problem(tone_wav(1000))
        self.assertRegex(why, r"the 440 Hz tone does not dominate: \d+ Hz is (only [\d.]+ dB weaker|[\d.]+ dB "
                              r"stronger)")
        self.assertIn("the 1000 Hz tone does not dominate: 440 Hz is",
                      self.problem(tone_wav(440), {**EXPECT, "tone": 1000}))
        self.assertIn("the 440 Hz tone does not dominate: 880 Hz",
                      self.problem(tone_wav(880), {**EXPECT, "exact": False}))

    def test_silence(self):
        self.assertIn("the channel is silent", self.problem(wavcheck.make([0] * 2 * FRAMES)))
        self.assertIn("no samples", self.problem(wavcheck.make([]), {"tone": 440}))

    def test_a_tone_in_noise_is_still_found(self):
        """Goertzel alone (exact = false): the tone with noise 20 dB below it."""
        import random
        rnd = random.Random(1)
        x = [s + rnd.randint(-1600, 1600) for s in wavcheck.tone(1000, FRAMES)]
        self.assertIsNone(self.problem(wavcheck.make(x), {**EXPECT, "tone": 1000, "exact": False}))

    def test_header_only_checks(self):
        self.assertIsNone(self.problem(wavcheck.make([5] * 2 * FRAMES), {"rate": 48000, "seconds": 0.5}))


class ExpectTable(unittest.TestCase):
    def test_accepted(self):
        for e in ({}, EXPECT, {"tone": 1000, "exact": False}, {"seconds": 1}, {"rate": 44100, "tone": 440}):
            self.assertIsNone(wavcheck.expect_problem(e), e)

    def test_refused(self):
        for e, why in (([], "must be a table"), ({"rate": "48000"}, "rate must be a number"),
                       ({"seconds": True}, "seconds must be a number"), ({"exact": 1}, "exact must be a boolean"),
                       ({"volume": 3}, "unknown key(s) volume"), ({"bits": 12}, "bits must be one of"),
                       ({"channels": 0}, "channels must be 1 to 8"), ({"seconds": 0}, "seconds must be > 0"),
                       ({"tone": 30000}, "not below half the rate"), ({"exact": True}, "exact needs a tone"),
                       ({"tone": 440, "exact": True, "channels": 1}, "48000 Hz, 16 bits, 2 channels")):
            with self.subTest(e=e):
                self.assertIn(why, wavcheck.expect_problem(e))


AUDIO_TEST = '''
[[tests]]
name = "lab6-tone"
kind = "qemu"
program = "lab6-tone"
'''


class ManifestFields(unittest.TestCase):
    def test_defaults(self):
        (t,) = load(AUDIO_TEST)
        self.assertEqual((t.audio, t.expect_wav), (False, {}))

    def test_an_audio_test(self):
        (t,) = load(AUDIO_TEST + "audio = true\n"
                    "expect_wav = { rate = 48000, bits = 16, channels = 2, seconds = 0.5, tone = 440 }\n")
        self.assertTrue(t.audio)
        self.assertEqual(t.expect_wav, EXPECT)

    def test_refusals(self):
        for extra, why in (("audio = 1", "'audio' must be bool"),
                           ("expect_wav = { tone = 440 }", "'expect_wav' needs the stream's WAV (audio = true)"),
                           ('audio = true\nexpect_wav = "440"', "'expect_wav' must be a table"),
                           ("audio = true\nexpect_wav = { tone = 440, loud = true }", "unknown key(s) loud"),
                           ("audio = true\nexpect_wav = { exact = true }", "exact needs a tone")):
            with self.subTest(extra=extra), self.assertRaises(manifest.ManifestError) as cm:
                load(AUDIO_TEST + extra + "\n")
            self.assertIn(why, str(cm.exception))
        with self.assertRaises(manifest.ManifestError) as cm:
            load('[[tests]]\nname = "u"\nkind = "unit"\ncase = "c"\naudio = true\n')
        self.assertIn("'audio' is for qemu tests", str(cm.exception))


# A stand-in for qemu-system-arm (QEMU=...): plays minivmm with audio=<file>. It writes the
# file (relative to its folder, the tree) with the tone the guest arguments name, or none.
FAKE_QEMU = r'''
import os, pathlib, sys
sys.path.insert(0, os.environ["WAVCHECK_ROOT"])
from grader import wavcheck
argv = sys.argv[1:]
semi = argv[argv.index("-semihosting-config") + 1]
words = [w[4:] for w in semi.split(",") if w.startswith("arg=")]
audio = [w[6:] for w in words if w.startswith("audio=")]
print("audio:", audio, "cwd:", os.getcwd())
hz = next((int(w[3:]) for w in words if w.startswith("hz=")), 440)
if audio and "no-wav" not in words:
    pathlib.Path(audio[0]).write_bytes(wavcheck.make(wavcheck.tone(hz, 24000)))
print("MVTEST lab6-tone FAIL the stream stalled" if "fail" in words else "done")
'''


class RunnerWithAudio(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.kit = pathlib.Path(tmp.name)
        fake = self.kit / "fake-qemu"
        fake.write_text(f"#!{sys.executable}\n" + FAKE_QEMU)
        fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
        patch = mock.patch.dict(os.environ, {"QEMU": str(fake), "WAVCHECK_ROOT": str(ROOT)})
        patch.start()
        self.addCleanup(patch.stop)

    def audio_test(self, **kw):
        fields = dict(name="lab6-tone", kind="qemu", points=0, timeout=30, guest="z", proof=False, audio=True,
                      expect_wav=dict(EXPECT), expect=["done"])
        return manifest.Test(**{**fields, **kw})

    def test_the_tone_passes(self):
        o = runner.run_one(self.audio_test(), self.kit, "sol")
        self.assertTrue(o.passed, o.reason + "\n" + o.output)
        self.assertIn("audio: ['build/tmp/minivmm-lab6-tone.wav']", o.output, "relative to the tree")
        self.assertEqual(o.wav, str(self.kit.resolve() / "build/tmp/minivmm-lab6-tone.wav"))
        self.assertEqual(wavcheck.read(o.wav).frames, 24000)

    def test_the_wrong_tone_fails(self):
        o = runner.run_one(self.audio_test(guest_args="hz=1000"), self.kit, "sol")
        self.assertFalse(o.passed)
        self.assertRegex(o.reason, r"^WAV .*minivmm-lab6-tone.wav: the 440 Hz tone does not dominate")

    def test_an_old_wav_does_not_count(self):
        stale = self.kit.resolve() / runner.wav_path(self.audio_test())
        stale.parent.mkdir(parents=True)
        stale.write_bytes(tone_wav())
        o = runner.run_one(self.audio_test(guest_args="no-wav"), self.kit, "sol")
        self.assertFalse(o.passed)
        self.assertEqual(o.reason, f"no WAV was written ({stale})")

    def test_the_guests_fail_line_comes_first(self):
        t = self.audio_test(guest_args="no-wav fail", program="lab6-tone", proof=True, guest="", expect=[])
        why = runner._judge_qemu(t, runner.proc.Result(0, "MVTEST lab6-tone FAIL the stream stalled\n", 0, 0.1),
                                 "n", wav=self.kit / "none.wav", key=bytes(32))
        self.assertEqual(why, "guest reports: the stream stalled")

    def test_no_audio_no_option(self):
        o = runner.run_one(self.audio_test(audio=False, expect_wav={}), self.kit, "sol")
        self.assertTrue(o.passed, o.reason)
        self.assertIn("audio: []", o.output)
        self.assertEqual(o.wav, "")

    def test_a_failed_tests_wav_is_kept_with_its_log(self):
        lab6 = manifest.Lab(6, "lab6-hda", "HD Audio", pathlib.Path("."), [], [])
        o = runner.run_one(self.audio_test(guest_args="hz=1000", lab=lab6), self.kit, "sol")
        self.assertFalse(o.passed)
        logs = self.kit / "logs"
        report.save_logs([o], logs)
        self.assertEqual((logs / "lab6-lab6-tone.wav").read_bytes(), pathlib.Path(o.wav).read_bytes())
        self.assertFalse((logs / "lab6-lab6-tone.pcap").exists())


class Holds(Checked):
    """holds = "linux-tone": the sound Linux's aplay plays, bit for bit, between silences."""
    HOLDS = {"rate": 48000, "bits": 16, "channels": 2, "holds": "linux-tone"}

    def wav_of(self, frames):
        return wavcheck.make(list(struct.unpack(f"<{len(frames) // 2}h", frames)))

    @classmethod
    def setUpClass(cls):
        cls.sound = wavcheck.HOLDS["linux-tone"]()

    def test_held_between_silences(self):
        self.assertIsNone(self.problem(self.wav_of(bytes(400) + self.sound + bytes(4004)), self.HOLDS))

    def test_one_sample_off(self):
        bad = bytearray(self.sound)
        bad[4 * 30000 + 2] ^= 1
        why = self.problem(self.wav_of(bytes(400) + bytes(bad)), self.HOLDS)
        self.assertIn("starts at frame 100 and parts from it at its frame 30000 of 48000", why)

    def test_a_dropped_period(self):
        why = self.problem(self.wav_of(self.sound[:4 * 20000] + self.sound[4 * 21024:]), self.HOLDS)
        self.assertIn("parts from it at its frame 20000", why)

    def test_noise_after_it(self):
        why = self.problem(self.wav_of(self.sound + b"\x01\x00" + bytes(6)), self.HOLDS)
        self.assertIn("2 frames that are not all silence", why)

    def test_not_there(self):
        why = self.problem(self.wav_of(bytes(4000)), self.HOLDS)
        self.assertIn("the start of 'linux-tone' is nowhere in it", why)

    def test_unknown_sound_refused(self):
        self.assertIn("holds must name one of: linux-tone", wavcheck.expect_problem({"holds": "x"}))


if __name__ == "__main__":
    unittest.main()
