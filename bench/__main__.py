"""`make bench`: run the benchmarks, print one table, and write it as JSON to bench/results/."""

import json
import sys
import time
from pathlib import Path

from . import common


def main() -> int:
    vendor = common.setup_django()
    from . import dashboard, sync_payments

    results = {
        "database": vendor,
        "sync_payments_10k": sync_payments.run(),
        "dashboard_1m_rows": dashboard.run(),
    }
    rows = [
        ("database", vendor, ""),
        (
            "sync_payments, 10,000 unfinished payments",
            f"{results['sync_payments_10k']['seconds']} s",
            f"{results['sync_payments_10k']['per_second']} payments/s, "
            f"{results['sync_payments_10k']['errors']} errors",
        ),
    ]
    board = results["dashboard_1m_rows"]
    rows.append(
        (
            "staff dashboard, 1,000,000 payments (p50)",
            f"{board['p50_ms']} ms" if "p50_ms" in board else "skipped",
            board.get("skipped", "target <= 300 ms"),
        )
    )
    width = max(len(row[0]) for row in rows)
    for name, value, note in rows:
        print(f"{name.ljust(width)}  {value:>12}  {note}")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    path = out / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=2, default=str))
    print(f"\nWritten to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
