"""Running per-partition tasks on a Dask cluster: ``--engine dask [--scheduler ADDRESS]``.

polyx does not reimplement a scheduler: it hands one task per Parquet file to Dask's workers and
gathers the results in dataset order, so the caller can merge them exactly as one pass would.
Without an address a local cluster of worker processes is started for the run and closed after.
Dask is an optional extra (``pip install 'polyx[dask]'``), imported only here.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence

from polyx.errors import DataError, PolyxError

__all__ = ["dask_client", "map_partitions"]


@contextmanager
def dask_client(scheduler: str | None) -> Iterator[Any]:
    """A ``distributed.Client`` to the cluster at ``scheduler`` (or to a fresh local one), closed after."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise PolyxError("`engine` dask needs Dask: pip install 'polyx[dask]' (dask[distributed])") from None
    if scheduler is None:
        with LocalCluster(processes=True, threads_per_worker=1, dashboard_address=None) as cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(scheduler, timeout="20s")
    except (OSError, TimeoutError, ValueError) as error:
        raise DataError(f"`scheduler` {scheduler}: cannot reach a Dask scheduler there ({error}); check the address") from None
    with client:
        yield client


def map_partitions(function: Callable[..., Any], arguments: Sequence[tuple], scheduler: str | None,
                   progress: Callable[[int, int], None] | None = None) -> list[Any]:
    """``function(*args)`` for every tuple of ``arguments`` on the cluster; results in the same order.

    An error raised in a task (a bad value in one partition, say) is raised here as it was there,
    so it reaches the user as the same one line as on a single machine.
    """
    from distributed import as_completed

    with dask_client(scheduler) as client:
        futures = [client.submit(function, *args, pure=False) for args in arguments]
        done = 0
        for future in as_completed(futures):
            if future.status == "error":
                future.result()
            done += 1
            if progress is not None:
                progress(done, len(futures))
        return client.gather(futures)
