"""Concurrent imports and lookups stay correct: every committed hash becomes findable,
no lookup errors, nothing lost."""

from __future__ import annotations

import io
import threading

import numpy as np

from rempart.banks import io as bank_io
from rempart.banks.lookup import Query
from rempart.banks.schemas import BankCreate
from rempart.context import Rempart


def test_concurrent_imports_and_lookups(rempart: Rempart) -> None:
    rng = np.random.default_rng(11)
    for name in ("A", "B"):
        rempart.banks.create_bank(BankCreate(name=name))
    batches = {
        name: [rng.integers(0, 256, 32, dtype=np.uint8).tobytes().hex() for _ in range(300)]
        for name in ("A", "B")
    }
    errors: list[BaseException] = []
    stop = threading.Event()

    def importer(name: str) -> None:
        try:
            for k in range(0, 300, 50):
                text = "".join(f"pdq {v}\n" for v in batches[name][k : k + 50])
                bank_io.import_items(rempart.banks, name, io.StringIO(text), "te")
        except BaseException as exc:
            errors.append(exc)

    def looker() -> None:
        try:
            while not stop.is_set():
                rempart.matcher.sync()
                for v in batches["A"][:20]:
                    res = rempart.lookup.lookup("pdq", [Query(v)])
                    assert all(m.distance == 0 for m in res.matches if m.banked_signal == v)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=importer, args=(n,)) for n in ("A", "B")]
    lookers = [threading.Thread(target=looker) for _ in range(2)]
    for t in threads + lookers:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    for t in lookers:
        t.join()
    assert not errors, errors
    rempart.matcher.sync()
    assert rempart.banks.content_count("A") == rempart.banks.content_count("B") == 300
    for name, values in batches.items():
        for v in values[::10]:
            assert [m.bank for m in rempart.lookup.lookup("pdq", [Query(v)]).matches] == [name]
    assert len(rempart.matcher.pdq) == 600
