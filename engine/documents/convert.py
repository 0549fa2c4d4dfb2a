"""PDF from .docx with LibreOffice headless (Debian `libreoffice-writer-nogui`).

One `soffice --convert-to pdf` call converts a batch of files, with a throw-away user profile so
that several workers never share (and lock) one. LibreOffice embeds the fonts it used (subsets)
in every PDF it writes. Without `soffice` on PATH (or `documents.soffice`), `available()` is
false and callers keep the .docx only."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path


class ConversionFailed(Exception):
    pass


def binary(settings) -> str | None:
    name = settings.get("documents", "soffice") or "soffice"
    return shutil.which(name)


def available(settings) -> bool:
    return binary(settings) is not None


def to_pdf(settings, files: dict[str, bytes]) -> dict[str, bytes]:
    """{name.docx: bytes} -> {name.docx: pdf bytes}, in one LibreOffice run."""
    soffice = binary(settings)
    if soffice is None:
        raise ConversionFailed("LibreOffice (soffice) is not installed")
    if not files:
        return {}
    timeout = float(settings.get("documents", "convert_timeout"))
    with tempfile.TemporaryDirectory(prefix="cluedesk-pdf-") as tmp:
        work = Path(tmp)
        (work / "in").mkdir()
        names = {}
        for i, (name, data) in enumerate(files.items()):
            path = work / "in" / f"{i:04d}.docx"
            path.write_bytes(data)
            names[name] = path
        cmd = [soffice, f"-env:UserInstallation={(work / 'profile').as_uri()}", "--headless",
               "--norestore", "--nologo", "--convert-to", "pdf", "--outdir", str(work / "out"),
               *[str(p) for p in names.values()]]
        try:
            subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise ConversionFailed("LibreOffice did not finish in time") from None
        out = {}
        for name, path in names.items():
            pdf = work / "out" / (path.stem + ".pdf")
            if not pdf.exists():
                raise ConversionFailed(f"LibreOffice made no PDF of {name}")
            out[name] = pdf.read_bytes()
        return out
