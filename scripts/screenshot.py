"""Smoke check of an HTML page in a real browser: headless Chromium writes a PNG screenshot.

Skips (exit 0, with a message saying so) if no Chromium binary is found; install it with
`apt-get install -y chromium` (Debian). Fails if Chromium runs but writes no PNG.
"""
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Optional

import typer

BINARIES = ("chromium", "chromium-browser", "google-chrome", "chrome")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]


def find_chromium() -> Optional[str]:
    for name in BINARIES:
        path = shutil.which(name)
        if path:
            return path
    return None


def screenshot(page: Path, output: Path, binary: str, size: str = "1400,1000", timeout: int = 120) -> Path:
    """Render `page` with `binary` into `output` (PNG); raise if nothing is written."""
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.exists():
        output.unlink()
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        cmd = [binary, *FLAGS, f"--user-data-dir={profile}", f"--screenshot={output.resolve()}",
               f"--window-size={size}", page.resolve().as_uri()]
        subprocess.run(cmd, check=False, timeout=timeout, capture_output=True)
    if not output.exists() or output.stat().st_size == 0:
        raise RuntimeError(f"Chromium wrote no screenshot of {page}")
    return output


def main(
    page: Path = typer.Argument(..., exists=True, dir_okay=False, help="HTML file"),
    output: Path = typer.Argument(..., help="PNG to write"),
    size: str = typer.Option("1400,1000", "--size", help="Window size WIDTH,HEIGHT"),
) -> None:
    """Screenshot PAGE into OUTPUT with headless Chromium, or skip if Chromium is absent."""
    binary = find_chromium()
    if binary is None:
        typer.echo(f"SKIPPED: no Chromium found ({', '.join(BINARIES)}); no screenshot of {page}. "
                   "Install it with `apt-get install -y chromium`.")
        return
    path = screenshot(page, output, binary, size)
    typer.echo(f"Screenshot of {page} -> {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    typer.run(main)
