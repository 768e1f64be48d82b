"""How the operators' CLI shows a job's progress (`mes wave run`, `mes population import`...).

The services report each batch (`mes.progress.Batch`: counts only, never personal data). On a
terminal this draws a tqdm progress bar on stderr; otherwise (a pipe, a log file, CI) it writes one
line per batch, e.g. `wave: batch 3 · 99 people · 297 so far`. At the end, one summary line:
`wave: done · 105 batches · 10,000 people · 61.2 s`. stdout keeps only the command's result."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from mes.progress import Batch

MODES = ("auto", "bar", "lines", "off")


class Renderer:
    """The progress callback of one CLI command: call it with each Batch, then `summary()`."""

    def __init__(self, job: str, unit: str, stream: TextIO | None = None, mode: str = "auto",
                 clock: Any = time.monotonic):
        self.job, self.unit = job, unit
        self.stream = stream if stream is not None else sys.stderr
        if mode == "auto":
            isatty = getattr(self.stream, "isatty", None)
            mode = "bar" if isatty is not None and isatty() else "lines"
        self.mode = mode
        self.clock = clock
        self.started = clock()
        self.batches = 0
        self.done = 0
        self._bar: Any = None

    def __call__(self, batch: Batch) -> None:
        self.batches, self.done, self.unit = batch.number, batch.done, batch.unit
        if self.mode == "bar":
            self._draw(batch)
        elif self.mode == "lines":
            of = f" of {batch.total:,}" if batch.total is not None else ""
            self.stream.write(f"{batch.job}: batch {batch.number} · {batch.items:,} {batch.unit} · "
                              f"{batch.done:,}{of} so far\n")
            self.stream.flush()

    def _draw(self, batch: Batch) -> None:
        if self._bar is None:
            from tqdm import tqdm
            self._bar = tqdm(total=batch.total, desc=batch.job, unit=f" {batch.unit}", file=self.stream,
                             dynamic_ncols=True, leave=True)
        self._bar.update(batch.items)
        self._bar.set_postfix_str(f"batch {batch.number}", refresh=True)

    def close(self) -> None:
        """Ends the bar (if one was drawn); safe to call twice."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def summary(self, complete: bool = True) -> None:
        self.close()
        if self.mode == "off":
            return
        seconds = self.clock() - self.started
        state = "done" if complete else "stopped (run it again to continue)"
        plural = "" if self.batches == 1 else "es"
        self.stream.write(f"{self.job}: {state} · {self.batches:,} batch{plural} · {self.done:,} {self.unit} · "
                          f"{seconds:.1f} s\n")
        self.stream.flush()
