"""The one worker pool: the same results in this process and in workers, state built once per process."""

import os

import pytest

from gofix.pool import Pool


class Counter:
    """A factory whose state says which process built it."""

    def __call__(self):
        return {"pid": os.getpid(), "calls": 0}


def _square(state, x):
    state["calls"] += 1
    return x * x, state["pid"], state["calls"]


def _fail(state, x):
    raise ValueError(f"bad item {x}")


def test_without_workers_tasks_run_here_on_one_state_built_once():
    with Pool(1, Counter()) as pool:
        assert not pool.parallel
        out = list(pool.map(_square, range(5)))
        assert [o[0] for o in out] == [0, 1, 4, 9, 16]
        assert {o[1] for o in out} == {os.getpid()}
        assert [o[2] for o in out] == [1, 2, 3, 4, 5]  # one state for every task
        assert pool.submit(_square, 7).result()[0] == 49


def test_workers_give_the_same_results_in_order_and_build_their_state_once_each():
    with Pool(2, Counter()) as pool:
        assert pool.parallel
        out = list(pool.map(_square, range(20)))
        futures = [pool.submit(_square, x) for x in range(4)]
        more = [f.result() for f in futures]
    assert [o[0] for o in out] == [x * x for x in range(20)]
    assert [m[0] for m in more] == [0, 1, 4, 9]
    pids = {o[1] for o in out + more}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2
    for pid in pids:  # each worker's counter rose by one per task it ran: one state per worker
        calls = sorted(o[2] for o in out + more if o[1] == pid)
        assert calls == list(range(1, len(calls) + 1))


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_task_error_reaches_whoever_asks_for_the_result(jobs):
    with Pool(jobs) as pool:
        future = pool.submit(_fail, 3)
        with pytest.raises(ValueError, match="bad item 3"):
            future.result()
