#!/usr/bin/env bash
# Build the Gradescope autograder zip from this repository:
#   grader/gradescope/make_zip.sh [LAB] [OUT.zip]
# The zip holds the whole kit (solutions/ and hidden tests included; build/, .git and
# caches left out) with setup.sh and run_autograder at its root, where Gradescope
# looks for them. With LAB, a GRADESCOPE_LAB file makes the autograder grade that lab only;
# with CATCHUP=1 in the environment, a GRADESCOPE_CATCHUP file turns on catch-up mode
# (the reference solution for the labs before LAB); with NO_SANDBOX=1, a GRADESCOPE_NO_SANDBOX
# file grades without the sandbox (for an image without user namespaces: see
# docs/instructor/sandbox.rst).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
LAB=${1:-}
OUT=${2:-$ROOT/build/gradescope${LAB:+-lab$LAB}.zip}
if [[ -n $LAB && ! $LAB =~ ^[a-z]*[0-9]+$ ]]; then
    echo "usage: $0 [LAB] [OUT.zip]" >&2
    exit 2
fi
mkdir -p "$(dirname "$OUT")"
OUT=$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")
PY=python3
for p in python3 python3.13 python3.12 python3.11; do
    command -v "$p" >/dev/null && { PY=$p; break; }
done

"$PY" - "$ROOT" "$OUT" "$LAB" "${CATCHUP:-}" "${NO_SANDBOX:-}" <<'PYEOF'
import os, pathlib, sys, zipfile

root, out, lab, catchup, nosandbox = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), *sys.argv[3:6]
SKIP_DIRS = {"build", ".git", "__pycache__", "_build"}   # as grader/tree.py's build trees
here = root / "grader" / "gradescope"
tmp = out.with_name(out.name + ".part")
count = 0
with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            p = pathlib.Path(dirpath, name)
            # (".git" is a file, not a folder, in a git worktree)
            if name.endswith(".pyc") or name == ".git" or p in (out, tmp) or not p.is_file():
                continue
            z.write(p, p.relative_to(root).as_posix())   # keeps the file mode (executables)
            count += 1
    for name in ("setup.sh", "run_autograder"):          # Gradescope wants these at the root
        z.write(here / name, name)
    for name, text in (("GRADESCOPE_LAB", lab), ("GRADESCOPE_CATCHUP", "1" if catchup == "1" else ""),
                       ("GRADESCOPE_NO_SANDBOX", "1" if nosandbox == "1" else "")):
        if text:
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o644 << 16
            z.writestr(info, text + "\n")
tmp.replace(out)
print(f"make_zip: {out} ({count} kit files{', lab ' + lab if lab else ', all labs'}"
      f"{', catch-up mode' if catchup == '1' else ''}{', no sandbox' if nosandbox == '1' else ''})")
PYEOF
