#!/usr/bin/env bash
# The cap under the default fan-out (issue 17): TRIALS times, a backlog of BACKLOG other due
# follow-ups and one address with 6 due "was this solved?" questions (the cap is 3), sent by
# the Procfile's worker (prefork, 2 processes) as beat starts it: one dispatch_follow_ups,
# which fans out to FOLLOWUP_DISPATCHERS = 2 dispatchers. Counts the address's emails per trial.
#
#     bench/followups/cap_fan_out.sh [trials]      (20 by default; about 8 minutes)
#
# Recreates the database shop_bench_cap and starts a redis-server of its own on
# BENCH_REDIS_PORT (6386; never the shared 6379): bench/followups/env.sh. Writes
# bench/reports/followups-cap-<UTC date>-<time>.{json,md}.
set -euo pipefail
cd "$(dirname "$0")/../.."
TRIALS=${1:-20}
DB=shop_bench_cap
BENCH_REDIS_PORT=${BENCH_REDIS_PORT:-6386}
export BENCH_BACKLOG=${BENCH_BACKLOG:-1500}
unset FOLLOWUP_DISPATCHERS FOLLOWUP_BATCH  # the defaults are what is measured
source bench/followups/env.sh
.venv/bin/celery -A config worker --pool=prefork --concurrency=2 --loglevel=WARNING \
    --without-heartbeat --without-mingle --without-gossip &
worker=$!
.venv/bin/python bench/followups/cap_trials.py "$TRIALS"
