"""`suture bench startup`: median wall time of command-line calls, each in a fresh process.

Beside the wall time it prints the CPU time the process used (user + system), which other
processes on a shared machine do not inflate.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from core.errors import ConfigError

_SHOP = Path(__file__).resolve().parents[1] / "examples" / "shop"
_SQL = (
    "with paid as (select cust_id, amount from orders where status = 'paid')\n"
    "insert into revenue (customer, total)\n"
    "select cust_id, sum(amount) from paid group by cust_id;\n"
)


def startup_commands(sql_file: Path) -> dict[str, list[str]]:
    """The timed calls: name -> argv after `python -m suture.cli`."""
    return {
        "--help": ["--help"],
        "lineage --json": ["lineage", str(sql_file), "--json"],
        "ask --no-llm": [
            "ask",
            "where does daily_revenue.revenue come from?",
            "--repo",
            str(_SHOP),
            "--no-llm",
        ],
    }


def run_startup_bench(runs: int, *, json_path: Path | None = None) -> int:
    """Time each command `runs` times and print the median, min and max wall seconds."""
    figures: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        sql_file = Path(folder) / "revenue.sql"
        sql_file.write_text(_SQL, encoding="utf-8")
        for name, argv in startup_commands(sql_file).items():
            times = [_timed([sys.executable, "-m", "suture.cli", *argv]) for _ in range(runs)]
            walls = [wall for wall, _ in times]
            figures[name] = {
                "median_s": round(statistics.median(walls), 3),
                "min_s": round(min(walls), 3),
                "max_s": round(max(walls), 3),
                "median_cpu_s": round(statistics.median(cpu for _, cpu in times), 3),
            }
    header = f"{'command':<18}{'median s':>10}{'min s':>8}{'max s':>8}{'cpu s':>8}"
    print(f"{header}   ({runs} runs)")
    for name, f in figures.items():
        print(
            f"{name:<18}{f['median_s']:>10.3f}{f['min_s']:>8.3f}{f['max_s']:>8.3f}"
            f"{f['median_cpu_s']:>8.3f}"
        )
    if json_path is not None:
        try:
            json_path.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        except OSError as error:
            raise ConfigError(f"cannot write {str(json_path)!r}: {error}") from error
    return 0


def _timed(argv: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of `argv`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode not in (0, 1):  # ask exits 1 for a question it could not answer
        raise ConfigError(f"{' '.join(argv[2:])!r} failed: {done.stderr.strip()[-300:]}")
    return wall, cpu
