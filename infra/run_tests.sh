#!/usr/bin/env bash
# `make test` after ruff. `make web-test` (Vitest + the browser suite) and `make deploy-check` (the SAM CLI's venv, `sam validate --lint`, `sam build`,
# the package check) runs beside the pytest suite: it spends its time in pip and the SAM builder.
# checkov's venv is installed first, so that the template tests that run checkov (tests/infra) never
# find it half-installed; under CI they fail rather than skip without it. The deploy check's output is
# printed after pytest's, then pytest's closing line again, last.
set -u
cd "$(dirname "$0")/.."
logs=.mes-local/test-logs
mkdir -p "$logs"
( make -s deploy-check > "$logs/deploy-check.log" 2>&1; echo $? > "$logs/deploy-check.rc" ) &
# The web app's tests (npm ci, Vitest, the build, Playwright in Debian's Chromium against a local stack
# of their own) are independent of pytest: they run beside it too.
( make -s web-test > "$logs/web-test.log" 2>&1; echo $? > "$logs/web-test.rc" ) &
make -s checkov-venv 2>&1 | grep -v "^WARNING: Location 'file:"
.venv/bin/python -m pytest "$@" 2>&1 | tee "$logs/pytest.log"
pytest_rc=${PIPESTATUS[0]}
wait
deploy_rc=$(cat "$logs/deploy-check.rc" 2>/dev/null || echo 1)
web_rc=$(cat "$logs/web-test.rc" 2>/dev/null || echo 1)
echo "---- make deploy-check (exit $deploy_rc)"
grep -v "^WARNING: Location 'file:" "$logs/deploy-check.log"
echo "---- make web-test (exit $web_rc)"
grep -v "^\[WebServer\]" "$logs/web-test.log" | tail -n 60
echo "---- pytest (exit $pytest_rc)"
tail -n 1 "$logs/pytest.log"
[ "$pytest_rc" = 0 ] && [ "$deploy_rc" = 0 ] && [ "$web_rc" = 0 ]
