"""B/A round by round, for ab.sh: the median of the per-round ratios and a 95% bootstrap interval around it.

On this 2-core VM one 3-second run can be 20% off the next for the same build (an A/A control of 16 rounds had
per-round ratios from 0.65 to 1.10). A ratio of two means hides that spread and lets one bad round move the
result. Pairing A and B within each round (they run seconds apart) and taking the median of those ratios is
steadier, and the interval says what the run can and cannot tell: a cost is resolved only when the whole
interval is on one side of the target.

usage: python3 rounds.py RESULTS.tsv   (the file measure() in lib.sh appends to)
"""

import random
import statistics
import sys
from collections import defaultdict

BOOTSTRAP_SAMPLES = 10_000


def main(path: str) -> None:
    # (backend, route) -> round -> build -> req/s
    runs: dict[tuple[str, str], dict[int, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    with open(path, encoding="utf-8") as results:
        for line in results:
            backend, scenario, _connections, requests_per_second, *_ = line.rstrip("\n").split("\t")
            route, build, round_number = scenario.split(":")
            runs[(backend, route)][int(round_number)][build] = float(requests_per_second)

    print("| backend  | route    | rounds | B/A per round: median | 95% interval  | lowest | highest |")
    print("| -------- | -------- | -----: | --------------------: | ------------- | -----: | ------: |")
    generator = random.Random(0)  # the same interval for the same results
    for (backend, route), rounds in runs.items():
        ratios = [r["B"] / r["A"] for r in rounds.values() if r.get("A") and "B" in r]
        if not ratios:
            continue
        medians = sorted(
            statistics.median(generator.choices(ratios, k=len(ratios))) for _ in range(BOOTSTRAP_SAMPLES)
        )
        low, high = medians[int(0.025 * BOOTSTRAP_SAMPLES)], medians[int(0.975 * BOOTSTRAP_SAMPLES) - 1]
        print(
            f"| {backend:<8} | {route:<8} | {len(ratios):>6} | {statistics.median(ratios):>21.3f} "
            f"| {low:.3f}-{high:.3f}   | {min(ratios):>6.3f} | {max(ratios):>7.3f} |"
        )


if __name__ == "__main__":
    main(sys.argv[1])
