"""BR-05: the notification wave, batch after batch, resumable.

One batch = at most 99 pending people read from the sparse `by_wave` index. The batch is claimed
in one transaction (each person pending → notified with code sequence 1, plus a batch record);
then letters are written (one print file per batch, same key on a re-run), e-mails are sent
(SES bulk, 50 a call), and the batch record is deleted. A run that dies after the claim leaves the
batch record: the next run delivers it again with the same codes (the code is derived from the
stored sequence number, never stored). Nobody is skipped; nobody gets two different codes; the
only possible repeat is an e-mail whose SES call succeeded just before the crash.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from mes.domain.codes import derive_code
from mes.domain.espace import Espace, Status, notify
from mes.domain.keys import Keys
from mes.domain.texts import LETTER_TEMPLATES, french_date, render
from mes.ports import EspaceRepository, LetterPrinter, Notifier, WaveBatch
from mes.progress import Progress, Tally

BATCH_SIZE = 99  # + the batch record = 100 items, the TransactWriteItems maximum
SES_BULK_MAX = 50
WAVE_TEMPLATE = "wave-code"


@dataclass
class WaveResult:
    notified_email: int = 0
    notified_letter: int = 0
    batches: int = 0
    redelivered_batches: int = 0
    complete: bool = True

    def as_dict(self) -> dict:
        return {"notified_email": self.notified_email, "notified_letter": self.notified_letter,
                "batches": self.batches, "redelivered_batches": self.redelivered_batches,
                "complete": self.complete}


@dataclass
class WaveDeps:
    repo: EspaceRepository
    notifier: Notifier
    printer: LetterPrinter
    keys: Keys
    template_name: Callable[[str], str]
    shards: int = 8


def _message_data(espace: Espace, keys: Keys) -> dict[str, str]:
    assert espace.opposition_deadline is not None
    return {
        "first_name": espace.first_name,
        "last_name": espace.last_name,
        "code": derive_code(keys.code, espace.espace_id, espace.code_seq),
        "deadline": french_date(espace.opposition_deadline),
        "for_child": f" (pour votre enfant {espace.first_name})" if espace.is_child else "",
    }


def deliver(batch_id: str, espaces: list[Espace], deps: WaveDeps) -> tuple[int, int]:
    """Letters first (idempotent: one object per batch id), then e-mails. Returns (e-mails, letters)."""
    emails: list[tuple[str, dict[str, str]]] = []
    letters: list[dict[str, str]] = []
    for espace in espaces:
        contact = espace.delivery_contact()
        data = _message_data(espace, deps.keys)
        if contact.email:
            emails.append((contact.email, data))
        else:
            letter = {"recipient": contact.name, "address": contact.address or "", "template": WAVE_TEMPLATE,
                      **data, "name": contact.name}
            letter["text"] = render(LETTER_TEMPLATES[WAVE_TEMPLATE], letter)
            letters.append(letter)
    if letters:
        deps.printer.write_batch(batch_id, letters)
    for start in range(0, len(emails), SES_BULK_MAX):
        deps.notifier.send_bulk_templated(deps.template_name(WAVE_TEMPLATE), emails[start:start + SES_BULK_MAX])
    return len(emails), len(letters)


def _redeliver_inflight(deps: WaveDeps, result: WaveResult, tally: Tally) -> None:
    """Batches claimed by a run that died before delivering them: delivered again, same codes."""
    for batch in deps.repo.inflight_batches():
        espaces = [e for e in deps.repo.get_many(batch.espace_ids) if e.code_seq > 0 and e.status != Status.PENDING]
        deliver(batch.batch_id, espaces, deps)
        deps.repo.finish_batch(batch.batch_id)
        result.redelivered_batches += 1
        tally.batch(len(espaces))


def _claim_and_deliver(deps: WaveDeps, pending: list[Espace], now: datetime, result: WaveResult,
                       tally: Tally) -> int:
    """One batch: claimed in one transaction, delivered, its record deleted. Returns the people sent."""
    batch = WaveBatch(batch_id=str(uuid.uuid4()), espace_ids=[e.espace_id for e in pending], claimed_at=now)
    notified = [notify(copy.deepcopy(e), now) for e in pending]
    claimed = set(deps.repo.claim_for_wave(notified, batch))
    sent = [e for e in notified if e.espace_id in claimed]
    n_email, n_letter = deliver(batch.batch_id, sent, deps)
    deps.repo.finish_batch(batch.batch_id)
    result.notified_email += n_email
    result.notified_letter += n_letter
    result.batches += 1
    tally.batch(len(sent))
    return len(sent)


def _run_shard(deps: WaveDeps, shard: int, remaining: float, *, now: datetime, department: str | None,
               should_continue: Callable[[], bool], result: WaveResult, tally: Tally) -> float | None:
    """The shard's pending people, page after page, within `remaining`. Returns what is left of
    `remaining`, or None when `should_continue` asked to stop."""
    start = None
    while remaining > 0:
        if not should_continue():
            return None
        page = deps.repo.pending_page(shard, department, int(min(BATCH_SIZE, remaining)), start)
        if page.items:
            remaining -= _claim_and_deliver(deps, page.items, now, result, tally)
        start = page.next_key
        if start is None:
            break
    return remaining


def run_wave(deps: WaveDeps, *, now: datetime, department: str | None = None, limit: int | None = None,
             should_continue: Callable[[], bool] = lambda: True, progress: Progress | None = None) -> WaveResult:
    """`progress` hears of every batch delivered (people in it, people so far; the total is known
    only with a `limit`, as an upper bound)."""
    result = WaveResult()
    tally = Tally("wave", progress, "people", total=limit)
    # 1. Batches claimed by a run that died before delivering them.
    _redeliver_inflight(deps, result, tally)
    # 2. New batches, shard after shard of the sparse index.
    remaining: float = limit if limit is not None else float("inf")
    for shard in range(deps.shards):
        left = _run_shard(deps, shard, remaining, now=now, department=department,
                          should_continue=should_continue, result=result, tally=tally)
        if left is None:  # out of time: the next run goes on
            result.complete = False
            return result
        remaining = left
        if remaining <= 0:
            # Stopped by --limit: there may be more pending people.
            result.complete = False
            break
    return result
