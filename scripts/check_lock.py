"""Compare what this Python has installed (`pip freeze`) with a lock file: the same packages at the same versions.

    python scripts/check_lock.py [--remove-extra] requirements-dev.lock

Exit 0 when they match; 1 with one line per difference otherwise. --remove-extra first uninstalls
packages the lock does not name (left from an older lock), so an existing .venv follows the lock.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def normalise(name: str) -> str:
    """The PEP 503 form of a package name (Jinja2 and jinja2, et_xmlfile and et-xmlfile are one)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def locked(path: Path) -> dict[str, str]:
    """Package -> version pinned in a pip-compile lock (hash and comment lines skipped)."""
    pins: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line.strip())
        if match:
            pins[normalise(match.group(1))] = match.group(2)
    return pins


def installed(python: str) -> dict[str, str]:
    """Package -> version as `pip freeze` reports it (pip, setuptools and wheel are left out by pip itself)."""
    out = subprocess.run([python, "-m", "pip", "freeze"], check=True, capture_output=True, text=True).stdout
    found: dict[str, str] = {}
    for line in out.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _PIN.match(line)
        if match:
            found[normalise(match.group(1))] = match.group(2)
        else:  # `name @ file://…` or `-e …`: not the locked artefact
            found[normalise(re.split(r"[\s@=]", line.removeprefix("-e "), maxsplit=1)[0])] = line
    return found


def differences(lock: dict[str, str], have: dict[str, str]) -> list[str]:
    """One line per package that is missing, extra, or at another version."""
    lines = [f"missing: {name}=={version}" for name, version in sorted(lock.items()) if name not in have]
    lines += [f"not in the lock: {name} {have[name]}" for name in sorted(have) if name not in lock]
    lines += [
        f"wrong version: {name} {have[name]} (lock: {lock[name]})" for name in sorted(lock) if name in have and have[name] != lock[name]
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    """Check (and with --remove-extra, first tidy) this interpreter's packages against the lock."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lock", type=Path)
    parser.add_argument("--remove-extra", action="store_true", help="uninstall packages the lock does not name")
    args = parser.parse_args(argv)
    lock = locked(args.lock)
    if not lock:
        print(f"{args.lock}: no pinned packages found", file=sys.stderr)
        return 1
    have = installed(sys.executable)
    extra = [name for name in have if name not in lock]
    if args.remove_extra and extra:
        subprocess.run([sys.executable, "-m", "pip", "uninstall", "--quiet", "--yes", *extra], check=True)
        have = installed(sys.executable)
    problems = differences(lock, have)
    for line in problems:
        print(f"{args.lock}: {line}", file=sys.stderr)
    if not problems:
        print(f"{args.lock}: the {len(lock)} installed packages match the lock", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
