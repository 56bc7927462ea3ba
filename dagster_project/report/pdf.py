"""A PDF of a report page, printed from the same HTML by headless Chromium.

The page's print style sheet sets A4 and keeps each figure and table on one page. Chromium
stamps the PDF with the time it printed it; that stamp is replaced by the page's week (same
length), so the same page gives the same bytes on every run.
"""

import re
import shutil
import subprocess
import tempfile
from datetime import date
from pathlib import Path

# The browsers that print the same way (Debian's package is chromium).
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
PRINT_TIMEOUT_SECONDS = 300
# PDF dates as Chromium writes them: D:YYYYMMDDHHmmSS+HH'mm'.
PDF_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:\d{14}[+-]\d{2}'\d{2}'\)")


class PdfError(RuntimeError):
    """The PDF could not be printed; the message names the command."""


def browser() -> str:
    """The path of the headless browser that prints the PDF."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise PdfError(
        f"printing the report to PDF needs `chromium` ({' or '.join(BROWSERS)} on the PATH); "
        "install the Debian package with scripts/install_system_packages.sh"
    )


def print_command(executable: str, page: Path, pdf: Path, profile: Path) -> list[str]:
    return [
        executable,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-pdf-header-footer",
        # A profile of its own: no clash with another browser the machine is running.
        f"--user-data-dir={profile}",
        f"--print-to-pdf={pdf}",
        page.resolve().as_uri(),
    ]


def fixed_dates(pdf: bytes, stamp: date) -> bytes:
    """The PDF with its creation and modification dates set to `stamp` at midnight UTC
    (same length, so the cross-reference offsets stay right)."""
    fixed = f"D:{stamp:%Y%m%d}000000+00'00'".encode()
    return PDF_DATE.sub(lambda match: b"/" + match.group(1) + b" (" + fixed + b")", pdf)


def write_pdf(page: Path, pdf: Path, stamp: date) -> Path:
    """Print the HTML file `page` to `pdf`, dated `stamp`; fails naming the command."""
    pdf.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="report-pdf-") as profile:
        command = print_command(browser(), page, pdf, Path(profile))
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=PRINT_TIMEOUT_SECONDS)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
            output = getattr(error, "stderr", b"") or b""
            raise PdfError(
                f"`{' '.join(command)}` failed: {error}\n{output.decode(errors='replace')[-2000:]}"
            ) from error
    if not pdf.exists():
        raise PdfError(f"`{' '.join(command)}` wrote no PDF")
    pdf.write_bytes(fixed_dates(pdf.read_bytes(), stamp))
    return pdf
