"""A picture of a WAV file: its waveform and its spectrum, to see at a glance why a tone test failed.

draw(wav, png, tone) writes a PNG of two panels: the first 20 ms of every channel (time in
ms, samples in full-scale units), and the magnitude spectrum of every channel (dB below
full scale, Hann window, from 0 Hz to 5 kHz or further if the strongest frequency or the
tone lies beyond), with the expected tone marked by a vertical line and the strongest
frequency of channel 0 (the one grader/wavcheck.py checks) named. The title gives the file's
name, rate, bits, channels, frames and duration.

It needs Debian's python3-matplotlib (and the numpy that comes with it), imported only
when a picture is drawn: the rest of the grader keeps to the standard library. A python3
that cannot import it (a virtual environment, pyenv) hands the drawing to Debian's own
/usr/bin/python3 when that one can. Nothing is drawn from a file wavcheck.read refuses:
draw returns the reason instead, one line, as it does for every other failure.

`python3 -m grader.wavplot FILE.wav [--tone HZ] [-o OUT.png]` draws a file by hand
(OUT: FILE.png)."""
import argparse
import os
import pathlib
import subprocess
import sys

from . import wavcheck

MISSING = "python3-matplotlib is not installed: make deps installs it"
DEBIAN_PYTHON = "/usr/bin/python3"  # where Debian's matplotlib is, when python3 is another one
ROOT = pathlib.Path(__file__).resolve().parents[1]
WAVE_MS = 20                 # the waveform panel: the first 20 ms
ZOOM_HZ = 5000               # the spectrum's range at least (or rate / 2)
SPECTRUM_FRAMES = 1 << 20    # frames at most in the spectrum (22 s at 48 kHz): the start of a long file
FLOOR_DB = -150.0            # the spectrum's bottom (a 16-bit file's noise lies near -100 dB)
SUBPROCESS_TIMEOUT = 120     # seconds for Debian's python3 to draw


def _modules():
    """(numpy, Figure, FigureCanvasAgg), or None if matplotlib cannot be imported here."""
    try:
        import numpy
        from matplotlib.backends.backend_agg import FigureCanvasAgg  # files only, no display
        from matplotlib.figure import Figure  # no pyplot: no global state, no backend switch
    except ImportError:
        return None
    return numpy, Figure, FigureCanvasAgg


def _debian_python():
    """Debian's python3 if it is not the one running (it may have the matplotlib this one lacks)."""
    if not os.access(DEBIAN_PYTHON, os.X_OK):
        return None
    try:
        if os.path.samefile(os.path.realpath(sys.executable), os.path.realpath(DEBIAN_PYTHON)):
            return None
    except OSError:
        pass
    return DEBIAN_PYTHON


def missing():
    """MISSING if no python3 here can draw (this one, nor Debian's), else None."""
    if _modules() is not None:
        return None
    python = _debian_python()
    try:
        if python and subprocess.run([python, "-c", "import matplotlib.figure, numpy"], capture_output=True,
                                     timeout=SUBPROCESS_TIMEOUT).returncode == 0:
            return None
    except (OSError, subprocess.SubprocessError):
        pass
    return MISSING


def draw(wav_path, png_path, tone=None):
    """Draw the WAV at wav_path to png_path; None once written, else why nothing was drawn
    (one line: the file is missing, not a WAV wavcheck accepts or empty; matplotlib is
    missing; drawing failed). No PNG is left at png_path then, not even an older one."""
    png_path = pathlib.Path(png_path)
    try:
        wav = wavcheck.read(wav_path)
    except FileNotFoundError:
        why = f"no WAV at {wav_path}"
    except (OSError, wavcheck.WavError) as e:
        why = f"{wav_path}: {e}"
    else:
        why = f"{wav_path}: no samples" if wav.frames == 0 else None
    if why is None:
        modules = _modules()
        if modules is not None:
            why = _draw_here(modules, wav, pathlib.Path(wav_path).name, png_path, tone)
        elif _debian_python():
            why = _draw_elsewhere(_debian_python(), wav_path, png_path, tone)
        else:
            why = MISSING
    if why is not None:
        png_path.unlink(missing_ok=True)
    return why


def _draw_elsewhere(python, wav_path, png_path, tone):
    """Draw with another python3 (this module's command line there); None or why not."""
    cmd = [python, "-m", "grader.wavplot", os.path.abspath(wav_path), "-o", os.path.abspath(png_path)]
    if tone is not None:
        cmd += ["--tone", repr(float(tone))]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    try:
        r = subprocess.run(cmd, cwd=ROOT, env={**env, "MPLBACKEND": "Agg"}, capture_output=True, text=True,
                           timeout=SUBPROCESS_TIMEOUT)
    except (OSError, subprocess.SubprocessError) as e:
        return f"{python} could not draw: {e}"
    if r.returncode == 0 and png_path.is_file():
        return None
    lines = (r.stderr or r.stdout).strip().splitlines() or [f"status {r.returncode}"]
    return lines[-1].removeprefix("wavplot: ")


def _channels(np, wav):
    """The file's samples as a float array of frames x channels, in full-scale units (-1 to 1)."""
    raw = wav.data[:SPECTRUM_FRAMES * wav.channels * wav.bits // 8]
    if wav.bits == 8:
        x = np.frombuffer(raw, np.uint8).astype(np.int32) - 128
    elif wav.bits == 24:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        x = ((b[:, 0] | b[:, 1] << 8 | b[:, 2] << 16) ^ 0x800000) - 0x800000
    else:
        x = np.frombuffer(raw, "<i2" if wav.bits == 16 else "<i4")
    return x.reshape(-1, wav.channels).astype(np.float64) / float(1 << (wav.bits - 1))


def _channel_name(c, channels):
    return f"channel {c}" + (f" ({('left', 'right')[c]})" if channels == 2 else "")


def _draw_here(modules, wav, name, png_path, tone):
    """Draw with this python3's matplotlib; None or why not."""
    np, Figure, FigureCanvasAgg = modules
    try:
        x = _channels(np, wav)
        n = len(x)
        fig = Figure(figsize=(10, 7.5), dpi=100, layout="constrained")
        FigureCanvasAgg(fig)
        fig.suptitle(f"{name}: {wav.rate} Hz, {wav.bits} bits, {wav.channels} channels, "
                     f"{wav.frames} frames ({wav.seconds:.4f} s)")
        top, bottom = fig.subplots(2, 1)

        shown = min(n, max(1, round(wav.rate * WAVE_MS / 1000)))
        ms = np.arange(shown) * 1000.0 / wav.rate
        for c in range(wav.channels):
            top.plot(ms, x[:shown, c], linewidth=1, label=_channel_name(c, wav.channels))
        top.set_title(f"waveform: the first {shown * 1000.0 / wav.rate:g} ms")
        top.set_xlabel("time (ms)")
        top.set_ylabel("sample (full scale = 1)")
        top.set_xlim(0, max(ms[-1], 1e-3))
        top.set_ylim(-1.05, 1.05)
        top.grid(alpha=0.3)
        top.legend(loc="upper right", fontsize="small")

        window = np.hanning(n) if n > 1 else np.ones(1)
        hz = np.fft.rfftfreq(n, 1.0 / wav.rate)
        peak = None
        for c in range(wav.channels):
            mag = np.abs(np.fft.rfft(x[:, c] * window)) / (window.sum() / 2)  # a full-scale sine: 0 dB
            db = 20 * np.log10(np.maximum(mag, 10 ** (FLOOR_DB / 20)))
            bottom.plot(hz, db, linewidth=1, label=_channel_name(c, wav.channels))
            if c == 0 and len(db) > 1:
                i = 1 + int(np.argmax(db[1:]))  # not DC
                peak = (float(hz[i]), float(db[i]))
        right = wav.rate / 2
        want = max([ZOOM_HZ, 2.5 * tone if tone else 0, 1.25 * peak[0] if peak else 0])
        bottom.set_xlim(0, min(right, want))
        bottom.set_ylim(FLOOR_DB, 5)
        if tone and 0 < tone < right:
            bottom.axvline(tone, color="red", linestyle="--", linewidth=1.2, label=f"expected tone: {tone:g} Hz")
        if peak and peak[1] > FLOOR_DB:
            bottom.plot([peak[0]], [peak[1]], "v", color="black",
                        label=f"strongest in channel 0: {peak[0]:.1f} Hz, {peak[1]:.1f} dB")
        used = "" if n == wav.frames else f" (the first {n} frames)"
        bottom.set_title(f"spectrum{used}, Hann window, {wav.rate / n:.2g} Hz per bin")
        bottom.set_xlabel("frequency (Hz)")
        bottom.set_ylabel("magnitude (dB, full-scale sine = 0)")
        bottom.grid(alpha=0.3)
        bottom.legend(loc="upper right", fontsize="small")

        png_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = png_path.with_name(png_path.name + ".tmp")
        try:
            fig.savefig(tmp, format="png")
            os.replace(tmp, png_path)
        finally:
            tmp.unlink(missing_ok=True)
    except Exception as e:  # a picture is a help: it never stops the caller
        return f"drawing {name} failed: {type(e).__name__}: {e}"
    return None


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m grader.wavplot", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("wav")
    ap.add_argument("--tone", type=float, help="the expected tone (Hz), marked on the spectrum")
    ap.add_argument("-o", "--output", help="the PNG to write (default: the WAV's name with .png)")
    a = ap.parse_args(argv)
    out = a.output or str(pathlib.Path(a.wav).with_suffix(".png"))
    if os.path.abspath(out) == os.path.abspath(a.wav):
        print(f"wavplot: {out} would overwrite the WAV", file=sys.stderr)
        return 1
    why = draw(a.wav, out, a.tone)
    if why:
        print(f"wavplot: {why}", file=sys.stderr)
        return 1
    print(f"wavplot: wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
