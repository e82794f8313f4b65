"""The lazy-deletion heaps behind the queue: correct order, bounded garbage."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from stream_al.queue.index import LazyHeap, PriorityIndex

ids = st.sampled_from([f"i{n}" for n in range(12)])
keys = st.sampled_from([-float("inf"), -1.0, 0.0, 0.5, 2.0])
operations = st.lists(
    st.one_of(
        st.tuples(st.just("push"), ids, keys),
        st.tuples(st.just("remove"), ids, keys),
        st.tuples(st.just("pop_max"), ids, keys),
        st.tuples(st.just("peek_min"), ids, keys),
    ),
    max_size=80,
)


@settings(max_examples=300)
@given(operations)
def test_priority_index_matches_a_sorted_list(ops: list[tuple[str, str, float]]) -> None:
    index = PriorityIndex(slack=4)
    model: dict[str, tuple[float, int]] = {}
    for seq, (op, item_id, key) in enumerate(ops):
        order = sorted(model, key=lambda i: (-model[i][0], model[i][1]))  # lease order
        if op == "push" and item_id not in model:
            index.push(item_id, key, seq)
            model[item_id] = (key, seq)
        elif op == "remove":
            index.remove(item_id)
            model.pop(item_id, None)
        elif op == "pop_max":
            top = index.pop_max()
            assert top == (order[0] if order else None)
            if top is not None:
                del model[top]
        elif op == "peek_min":
            assert index.peek_min() == (order[-1] if order else None)
        assert len(index) == len(model)
        assert set(index) == set(model)
        assert index.size <= 2 * (2 * len(model) + 4)


def test_garbage_stays_bounded_over_many_operations() -> None:
    heap = LazyHeap(slack=8)
    for n in range(10_000):
        heap.push(f"x{n}", (float(n % 7), n))
        if n >= 3:
            heap.discard(f"x{n - 3}")
    assert len(heap) == 3
    assert heap.size <= 2 * 3 + 8


def test_rebuild_replaces_the_content() -> None:
    index = PriorityIndex()
    index.push("a", 1.0, 0)
    index.rebuild([("b", 0.5, 1), ("c", 0.7, 2)])
    assert "a" not in index
    assert (index.peek_max(), index.peek_min()) == ("c", "b")
