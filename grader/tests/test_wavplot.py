"""Tests of grader/wavplot.py (the picture of a WAV: waveform and spectrum) and of the picture
report.save_logs draws next to a failed audio test's log. The drawing tests need matplotlib
(Debian's python3-matplotlib, here or in /usr/bin/python3); without it they are skipped and
the clear message is checked instead. The rest runs everywhere."""
import contextlib
import io
import pathlib
import struct
import sys
import tempfile
import unittest
from unittest import mock

from grader import manifest, report, runner, wavcheck, wavplot

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MISSING = wavplot.missing()
LAB6 = manifest.Lab(6, "lab6-hda", "HD Audio", pathlib.Path("."), [], [])
NO_MATPLOTLIB = {m: None for m in ("numpy", "matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg")}


def tone_wav(hz=440, frames=4800):
    return wavcheck.make(wavcheck.tone(hz, frames))


def png_size(path):
    """(width, height) of a PNG from its IHDR chunk; AssertionError if it is not a PNG."""
    data = pathlib.Path(path).read_bytes()
    assert data[:8] == PNG_MAGIC and data[12:16] == b"IHDR", data[:16]
    return struct.unpack(">II", data[16:24])


class Folder(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = pathlib.Path(tmp.name)

    def wav(self, data, name="t.wav"):
        path = self.dir / name
        path.write_bytes(data)
        return path


@unittest.skipUnless(MISSING is None, f"no picture: {MISSING}")
class Drawn(Folder):
    def test_a_tone_is_drawn(self):
        png = self.dir / "t.png"
        self.assertIsNone(wavplot.draw(self.wav(tone_wav()), png, tone=440))
        w, h = png_size(png)
        self.assertTrue(600 <= w <= 3000 and 400 <= h <= 3000, (w, h))
        self.assertTrue(20000 < png.stat().st_size < 3000000, png.stat().st_size)
        self.assertEqual(sorted(p.name for p in self.dir.iterdir()), ["t.png", "t.wav"], "no temporary file left")

    def test_other_formats_and_tiny_files(self):
        cases = {"8-bit mono": wavcheck.make([0, 50, -50, 127, -128] * 200, bits=8, channels=1),
                 "24-bit 3 channels": wavcheck.make([0, 1 << 22, -(1 << 22)] * 300, bits=24, channels=3, rate=8000),
                 "32-bit": wavcheck.make([1 << 30, -(1 << 30)] * 1000, bits=32),
                 "one frame": wavcheck.make([100, -100]),
                 "silence": wavcheck.make([0] * 2000)}
        for what, data in cases.items():
            with self.subTest(what):
                png = self.dir / "x.png"
                png.unlink(missing_ok=True)
                self.assertIsNone(wavplot.draw(self.wav(data), png, tone=1000))
                png_size(png)

    def test_command_line(self):
        wav = self.wav(tone_wav(1000))
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            self.assertEqual(wavplot.main([str(wav), "--tone", "1000"]), 0)
        self.assertEqual(out.getvalue(), f"wavplot: wrote {self.dir / 't.png'}\n")
        png_size(self.dir / "t.png")
        with contextlib.redirect_stdout(io.StringIO()):
            self.assertEqual(wavplot.main([str(wav), "-o", str(self.dir / "sub" / "o.png")]), 0)
        png_size(self.dir / "sub" / "o.png")


class Refused(Folder):
    """Nothing is drawn from a file wavcheck refuses (with or without matplotlib): the reason instead."""

    def test_malformed(self):
        png = self.dir / "t.png"
        png.write_bytes(PNG_MAGIC + b"an older picture")
        good = tone_wav()
        for what, data, why in (("cut", good[:-100], "the RIFF size is"),
                                ("not a WAV", b"GIF89a" + bytes(100), "not a RIFF WAVE file"),
                                ("float", good[:20] + struct.pack("<H", 3) + good[22:], "not PCM"),
                                ("empty file", b"", "shorter than a RIFF header"),
                                ("no samples", wavcheck.make([]), "no samples")):
            with self.subTest(what):
                got = wavplot.draw(self.wav(data), png, tone=440)
                self.assertIsInstance(got, str)
                self.assertIn(why, got)
                self.assertNotIn("\n", got)
                self.assertFalse(png.exists(), "no picture, not even an older one")
        self.assertEqual(wavplot.draw(self.dir / "none.wav", png), f"no WAV at {self.dir / 'none.wav'}")

    def test_command_line(self):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            self.assertEqual(wavplot.main([str(self.wav(b"RIFF"))]), 1)
            self.assertEqual(wavplot.main([str(self.wav(tone_wav())), "-o", str(self.dir / "t.wav")]), 1)
        self.assertRegex(err.getvalue(), r"^wavplot: .*t.wav: 4 bytes: shorter than a RIFF header\n"
                                         r"wavplot: .*t.wav would overwrite the WAV\n$")
        self.assertEqual(sorted(p.name for p in self.dir.iterdir()), ["t.wav"])


class NoMatplotlib(Folder):
    """Without matplotlib (here or in Debian's python3): one clear line, no crash, no picture."""

    def without(self):
        stack = contextlib.ExitStack()
        stack.enter_context(mock.patch.dict(sys.modules, NO_MATPLOTLIB))
        stack.enter_context(mock.patch.object(wavplot, "DEBIAN_PYTHON", str(self.dir / "no-python3")))
        return stack

    def test_clear_message(self):
        with self.without():
            self.assertEqual(wavplot.missing(), "python3-matplotlib is not installed: make deps installs it")
            self.assertEqual(wavplot.draw(self.wav(tone_wav()), self.dir / "t.png"), wavplot.MISSING)
        self.assertFalse((self.dir / "t.png").exists())

    @unittest.skipUnless(MISSING, "matplotlib is installed")
    def test_clear_message_for_real(self):
        self.assertEqual(wavplot.draw(self.wav(tone_wav()), self.dir / "t.png"), wavplot.MISSING)

    def test_the_report_goes_on(self):
        o = failed(self.wav(tone_wav(1000)))
        with self.without():
            saved = report.save_logs([o], self.dir / "logs")
        log = saved["lab6-tone"].read_text()
        self.assertIn(f"\nno picture of the WAV: {wavplot.MISSING}\n", log)
        self.assertFalse((self.dir / "logs" / "lab6-lab6-tone.png").exists())

    def test_a_drawing_that_raises(self):
        o = failed(self.wav(tone_wav(1000)))
        with mock.patch.object(wavplot, "draw", side_effect=RuntimeError("boom")):
            saved = report.save_logs([o], self.dir / "logs")
        self.assertIn("\nno picture of the WAV: RuntimeError: boom\n", saved["lab6-tone"].read_text())


def audio_test(**kw):
    return manifest.Test("lab6-tone", "qemu", 2, 30, lab=LAB6, program="lab6-tone", audio=True,
                         expect_wav={"rate": 48000, "bits": 16, "channels": 2, "seconds": 0.1, "tone": 440}, **kw)


def failed(wav):
    o = runner.Outcome(audio_test(), False, f"WAV {wav}: the 440 Hz tone does not dominate", "the output", 1.0)
    o.wav = str(wav)
    return o


@unittest.skipUnless(MISSING is None, f"no picture: {MISSING}")
class SavedPicture(Folder):
    """save_logs draws a failed audio test's WAV next to its log, which names it, as does failure_details."""

    def test_failure_drawn_and_named(self):
        logs = self.dir / "logs"
        o = failed(self.wav(tone_wav(1000)))
        with mock.patch.object(wavplot, "draw", wraps=wavplot.draw) as draw:
            saved = report.save_logs([o], logs)
        png = logs / "lab6-lab6-tone.png"
        draw.assert_called_once_with(logs / "lab6-lab6-tone.wav", png, 440)
        png_size(png)
        self.assertEqual(saved, {"lab6-tone": logs / "lab6-lab6-tone.log"})
        self.assertEqual(saved["lab6-tone"].read_text(),
                         f"lab6-tone: {o.reason}\npicture of the WAV: {png}\n\nthe output")
        out = io.StringIO()
        report.failure_details([o], stream=out, logs=saved)
        self.assertIn(f"[log: {saved['lab6-tone']}; picture: {png}]", out.getvalue())



class SavedNoPicture(Folder):
    """No picture for a test that passes (and an old failure's goes), nor from a WAV that is missing or refused."""

    def test_passing_draws_nothing(self):
        logs = self.dir / "logs"
        logs.mkdir()
        (logs / "lab6-lab6-tone.png").write_bytes(PNG_MAGIC + b"an old failure's")
        o = runner.Outcome(audio_test(), True, "ok", "MVTEST lab6-tone PASS", 1.0)
        o.wav = str(self.wav(tone_wav()))
        with mock.patch.object(wavplot, "draw") as draw:
            self.assertEqual(report.save_logs([o], logs), {})
        draw.assert_not_called()
        self.assertEqual(list(logs.iterdir()), [], "the old failure's picture goes with its log")

    def test_no_wav_no_picture(self):
        logs = self.dir / "logs"
        o = failed(self.dir / "none.wav")
        with mock.patch.object(wavplot, "draw") as draw:
            saved = report.save_logs([o], logs)
        draw.assert_not_called()
        self.assertNotIn("picture", saved["lab6-tone"].read_text())
        self.assertEqual(sorted(p.name for p in logs.iterdir()), ["lab6-lab6-tone.log"])

    def test_a_broken_wav(self):
        logs = self.dir / "logs"
        saved = report.save_logs([failed(self.wav(tone_wav()[:-6]))], logs)
        self.assertRegex(saved["lab6-tone"].read_text(), r"\nno picture of the WAV: .*lab6-lab6-tone.wav: the RIFF "
                                                          r"size is \d+, the file has \d+ bytes after it")
        self.assertFalse((logs / "lab6-lab6-tone.png").exists())


if __name__ == "__main__":
    unittest.main()
