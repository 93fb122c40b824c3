# recallguard — the developers' entry points. `make demo` and `make test` work on a fresh machine.
# The interpreter: CPython built with profile-guided optimisation (Debian's and Ubuntu's python3.11, the
# python.org installers, Docker's python images) runs recallguard's pure-Python hot path ~20% faster
# than a build without it (pyenv's default build): the system's python3.11 first, when there is one.
PY ?= $(or $(wildcard /usr/bin/python3.11),python3.11)
VENV ?= .venv
BIN := $(VENV)/bin
DEV_STAMP := $(VENV)/.dev-installed

.PHONY: install install-user demo test lint typecheck audit bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The developers' and CI's install: the package, the test tools and every optional extra bench needs.
$(DEV_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[dev,spark]"
	touch $(DEV_STAMP)

install: $(DEV_STAMP)

# A user's light install (no Spark, no test tools).
install-user: $(BIN)/python
	$(BIN)/pip install --quiet -e .

demo: $(BIN)/python
	@$(BIN)/python -c "import recallguard" 2>/dev/null || $(BIN)/pip install --quiet -e .
	$(BIN)/python -m recallguard.demo

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

# Dependency audit: pip-audit against PyPI's vulnerability data. A known vulnerability fails the build;
# a vulnerability service that cannot be reached only warns, loudly (CI must not fail for lack of network).
define AUDIT_REPORT
import json, sys
path, rc, err = sys.argv[1], int(sys.argv[2]), sys.argv[3]
bar = "!" * 100
try:
    deps = json.load(open(path))["dependencies"]
except (OSError, ValueError, KeyError):
    print(bar + "\nWARNING: pip-audit did not run (exit " + str(rc) + "): dependencies NOT audited\n" + bar)
    print(open(err).read()[-2000:])
    sys.exit(0)
vulns = [(d["name"], d["version"], v["id"], ", ".join(v.get("fix_versions") or []) or "no fix yet")
         for d in deps for v in d.get("vulns", [])]
for v in vulns:
    print("VULNERABLE: %s %s: %s (fixed in %s)" % v)
if vulns:
    sys.exit(1)
skipped = [d["name"] for d in deps if "skip_reason" in d]
if skipped:
    print(bar + "\nWARNING: %d of %d packages NOT audited (vulnerability data unreachable?): %s\n%s"
          % (len(skipped), len(deps), ", ".join(skipped[:10]) + ("…" if len(skipped) > 10 else ""), bar))
print("pip-audit: %d packages audited, no known vulnerabilities" % (len(deps) - len(skipped)))
endef
export AUDIT_REPORT

audit: install
	@out=$$(mktemp); err=$$(mktemp); \
	$(BIN)/pip-audit --skip-editable --progress-spinner off --timeout 15 -f json -o $$out >/dev/null 2>$$err; \
	rc=$$?; $(BIN)/python -c "$$AUDIT_REPORT" $$out $$rc $$err; status=$$?; rm -f $$out $$err; exit $$status

test: lint typecheck audit
	$(BIN)/python -m pytest -q; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 1; fi; exit $$rc

bench: install
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
