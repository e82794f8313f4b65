"""The learner process: `python -m consumers.learner --config FILE` (same as `stream-al learner`).

A thin shell: the loop, its commit order and its recovery live in `stream_al.service`.
"""

from consumers._role import main

if __name__ == "__main__":
    main("learner", __doc__)
