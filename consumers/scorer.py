"""The scorer process: `python -m consumers.scorer --config FILE` (same as `stream-al scorer`).

A thin shell: the loop, its commit order and its recovery live in `stream_al.service`.
"""

from consumers._role import main

if __name__ == "__main__":
    main("scorer", __doc__)
