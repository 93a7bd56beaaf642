"""Concurrent requests gathered into batched model calls, on one thread of their own:
the event loop only awaits, so the server answers other requests while the model
writes."""

import asyncio
import concurrent.futures
import dataclasses
import queue
import threading
import time

from utils import power_of_two_rows


@dataclasses.dataclass
class Job:
    """Rows for one model call. key: what the rows of a call must share (kind, bias,
    style, point count); rows: a seed each, and a text for writing."""

    key: tuple
    rows: list
    run: object  # run(rows) -> one result per row, on the worker thread
    future: concurrent.futures.Future = dataclasses.field(
        default_factory=concurrent.futures.Future)


class Busy(Exception):
    """Too many requests wait for the model."""


class Batcher:
    """One worker thread runs every model call. A request's rows are queued as a Job;
    the worker takes the first job, waits up to wait_ms for more, and runs the jobs
    that share a key as one batched call of at most max_batch rows (a request larger
    than that runs alone). The event loop only awaits the futures, so the server
    answers other requests (GET /api/health) while the model writes.

    Every call has at least two rows and a power-of-two count (the last row is
    repeated, its result dropped): XLA compiles once per shape, and a row computes
    bit for bit the same in any batch of two or more rows, so with its own seed
    (mixture.batch_noise) a request writes the same whether batched or alone."""

    def __init__(self, max_batch=16, wait_ms=10.0, max_queue=256):
        self.max_batch, self.wait = max_batch, wait_ms / 1000
        self.max_queue = max_queue
        self.queue = queue.Queue()
        self.calls = self.rows = 0
        self.busy_since = None
        self.thread = threading.Thread(target=self._work, name="model", daemon=True)
        self.thread.start()

    def _queue(self, key, rows, run):
        if self.queue.qsize() >= self.max_queue:
            raise Busy()
        job = Job(key, rows, run)
        self.queue.put(job)
        return job.future

    async def submit(self, key, rows, run):
        """run's results for rows, awaited on the event loop."""
        return await asyncio.wrap_future(self._queue(key, rows, run))

    def call(self, key, rows, run):
        """run's results for rows, waited for on the calling thread (a request's own,
        never the event loop's or the model's)."""
        return self._queue(key, rows, run).result()

    def close(self):
        self.queue.put(None)
        self.thread.join(timeout=30)

    def _collect(self, first):
        jobs, deadline = [first], time.monotonic() + self.wait
        while sum(len(j.rows) for j in jobs) < self.max_batch:
            try:
                job = self.queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if job is None:  # closing: finish what was taken first
                self.queue.put(None)
                break
            jobs.append(job)
        return jobs

    def _work(self):
        while True:
            first = self.queue.get()
            if first is None:
                return
            groups = {}
            for job in self._collect(first):
                groups.setdefault(job.key, []).append(job)
            for jobs in groups.values():
                call = []
                for job in jobs:
                    if call and sum(len(j.rows) for j in call) + len(job.rows) > self.max_batch:
                        self._run(call)
                        call = []
                    call.append(job)
                self._run(call)

    def _run(self, jobs):
        rows = [row for job in jobs for row in job.rows]
        padded = rows + [rows[-1]] * (power_of_two_rows(len(rows), least=2) - len(rows))
        self.busy_since = time.monotonic()
        try:
            results = jobs[0].run(padded)
        except Exception as err:
            if len(jobs) > 1:  # one request's failure is not the others': each alone
                for job in jobs:
                    self._run([job])
                return
            jobs[0].future.set_exception(err)  # the request answers for it
            return
        finally:
            self.busy_since = None
        self.calls += 1
        self.rows += len(rows)
        start = 0
        for job in jobs:
            job.future.set_result(results[start:start + len(job.rows)])
            start += len(job.rows)
