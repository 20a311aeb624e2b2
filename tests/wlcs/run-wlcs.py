#!/usr/bin/env python3
"""Runs the Wayland Conformance Suite against pinhole and reports TAP.

usage: run-wlcs.py RUNNER MODULE EXPECTED_FAILURES LOG [gtest args...]

Each WLCS test is one TAP line. A test listed in EXPECTED_FAILURES that fails
is `not ok ... # TODO <reason>`; one that passes is `ok` with a comment saying
it can come off the list. A crash (a sanitizer report, say) or a hang fails
the test whether listed or not, and the run goes on with the remaining tests
in a fresh runner. Sanitizer reports at the runner's exit fail the last line.
The runner's whole output goes to LOG.
"""
import collections
import fnmatch
import os
import re
import select
import signal
import subprocess
import sys
import time

# A test that has not finished after this long has hung: WLCS's own waits
# give up after a few seconds, and under ASan most tests take well under one.
HANG_SECONDS = 120 * float(os.environ.get("PINHOLE_TEST_TIMEOUT_MULTIPLIER", "1"))

RUN_RE = re.compile(r"^\[ RUN      \] (\S+)")
# Parameterised tests add ", where GetParam() = ..." after the name.
RESULT_RE = re.compile(r"^\[ +(OK|FAILED|SKIP) +\] ([^\s,]+)(?:,| \(\d+ ?ms\)|$)")
# WLCS prints why it skipped a test (a protocol the server does not offer) so.
SKIP_REASON_RE = re.compile(r"^\[ {10}\] (.+)")
SANITIZER_RE = re.compile(r"ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:")


def load_expected(path):
    """name-or-glob -> reason; every entry needs a reason."""
    expected = collections.OrderedDict()
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 1)
            if len(parts) < 2:
                sys.exit(f"{path}:{number}: an expected failure needs a reason")
            expected[parts[0]] = parts[1]
    return expected


def list_tests(runner, module, extra):
    out = subprocess.run([runner, module, "--gtest_list_tests"] + extra,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         check=False)
    if out.returncode != 0:
        sys.exit(f"listing the tests failed ({out.returncode}):\n{out.stdout}")
    tests, suite = [], None
    for line in out.stdout.splitlines():
        if not line.strip() or line.startswith("["):
            continue
        if not line.startswith(" "):
            suite = line.split("#")[0].strip()
        else:
            tests.append(suite + line.split("#")[0].strip())
    return tests


def line_buffered_env(runner):
    """The environment for the runner, its stdout line-buffered (coreutils'
    stdbuf preload), so that the hang watchdog sees each result when it
    happens rather than a pipe buffer later. A runner built with ASan needs
    its sanitizer runtime first in the preload list."""
    env = dict(os.environ)
    stdbuf = "/usr/libexec/coreutils/libstdbuf.so"
    if not os.path.exists(stdbuf):
        return env
    preload = [stdbuf]
    ldd = subprocess.run(["ldd", runner], stdout=subprocess.PIPE, text=True, check=False).stdout
    for line in ldd.splitlines():
        m = re.match(r"\s*lib[at]san\.so\S* => (\S+)", line)
        if m:
            preload.insert(0, m.group(1))
    env["LD_PRELOAD"] = " ".join(preload + [env.get("LD_PRELOAD", "")]).strip()
    env["_STDBUF_O"] = "L"
    return env


class Run:
    """One runner process over some tests; collects per-test results."""

    def __init__(self, log):
        self.log = log
        self.results = {}  # name -> (status, detail)
        self.output = collections.defaultdict(list)
        self.exit_report = []  # sanitizer lines after the last test

    def run(self, cmd):
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True,
                                env=line_buffered_env(cmd[0]))
        master = proc.stdout.fileno()
        current = None
        last_progress = time.monotonic()
        buf = b""
        hung = False
        while True:
            ready, _, _ = select.select([master], [], [], 1.0)
            if not ready:
                # Between tests too: a server that does not stop hangs the next one.
                if time.monotonic() - last_progress > HANG_SECONDS:
                    hung = True
                    os.killpg(proc.pid, signal.SIGKILL)
                    break
                continue
            chunk = os.read(master, 65536)
            if not chunk:
                break
            self.log.write(chunk)
            self.log.flush()
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for raw in lines:
                line = raw.decode("utf-8", "replace").rstrip("\r")
                m = RUN_RE.match(line)
                if m:
                    current = m.group(1)
                    last_progress = time.monotonic()
                    continue
                m = RESULT_RE.match(line)
                if m and m.group(2) == current:
                    self.results[current] = (m.group(1), "")
                    current = None
                    last_progress = time.monotonic()
                    continue
                if current is not None:
                    self.output[current].append(line)
                elif SANITIZER_RE.search(line):
                    self.exit_report.append(line)
        proc.stdout.close()
        status = proc.wait()
        if current is None and hung:
            self.exit_report.append(f"the runner hung between tests for {HANG_SECONDS:.0f} s")
        if current is not None:
            if hung:
                why = f"hung: no result after {HANG_SECONDS:.0f} s"
            else:
                why = f"the runner died (exit status {status})"
            self.results[current] = ("CRASHED", why)
        return status


def suite_of(name):
    return name.split(".", 1)[0]


def main():
    runner, module, expected_path, log_path = sys.argv[1:5]
    extra = sys.argv[5:]
    expected = load_expected(expected_path)
    supp = os.environ.get("PINHOLE_WLCS_LSAN_SUPPRESSIONS")
    if supp:
        # LeakSanitizer reads one suppressions file: the files given, joined.
        joined = os.path.join(os.path.dirname(os.path.abspath(log_path)), "lsan.supp")
        with open(joined, "w") as out:
            for path in supp.split(":"):
                with open(path) as f:
                    out.write(f.read() + "\n")
        os.environ["LSAN_OPTIONS"] = f"suppressions={joined}:print_suppressions=0"
    start = time.monotonic()
    tests = list_tests(runner, module, extra)
    if not tests:
        sys.exit("the runner listed no tests")

    results, output, exit_reports = {}, {}, []
    remaining = list(tests)
    with open(log_path, "wb") as log:
        runs = 0
        while remaining:
            runs += 1
            run = Run(log)
            # A fresh runner after a crash or hang picks up with the tests not yet run.
            flt = [] if runs == 1 else ["--gtest_filter=" + ":".join(remaining)]
            run.run([runner, module, "--gtest_color=no"] + extra + flt)
            results.update(run.results)
            output.update(run.output)
            exit_reports += run.exit_report
            left = [t for t in remaining if t not in results and "DISABLED_" not in t]
            if len(left) == len(remaining):
                break  # no progress: the runner cannot start
            remaining = left

    def reason_for(name):
        for pattern, reason in expected.items():
            if fnmatch.fnmatchcase(name, pattern):
                return pattern, reason
        return None, None

    print(f"1..{len(tests) + 1}")
    counts = collections.defaultdict(collections.Counter)
    used_patterns = set()
    unexpected_passes = []
    n = 0
    for name in tests:
        n += 1
        if "DISABLED_" in name:
            # gtest lists but never runs these: WLCS turned them off itself.
            counts[suite_of(name)]["skipped"] += 1
            print(f"ok {n} - {name} # SKIP disabled in WLCS")
            continue
        status, detail = results.get(name, ("NOT RUN", "the runner never reached it"))
        pattern, reason = reason_for(name)
        if pattern is not None:
            used_patterns.add(pattern)
        suite = suite_of(name)
        if status == "OK":
            counts[suite]["passed"] += 1
            print(f"ok {n} - {name}")
            if reason is not None:
                unexpected_passes.append(name)
                print(f"# UNEXPECTED PASS: {name} passes; take it off "
                      f"tests/wlcs/expected-failures ({reason})")
        elif status == "SKIP":
            counts[suite]["skipped"] += 1
            why = next((m.group(1) for m in map(SKIP_REASON_RE.match, output.get(name, []))
                        if m), "")
            print(f"ok {n} - {name} # SKIP {why or 'skipped by WLCS'}")
        elif status == "FAILED" and reason is not None:
            counts[suite]["expected failures"] += 1
            print(f"not ok {n} - {name} # TODO {reason}")
        else:
            counts[suite]["failed"] += 1
            print(f"not ok {n} - {name}" + (f": {detail}" if detail else ""))
            for line in output.get(name, [])[-60:]:
                print(f"#   {line}")
    n += 1
    if exit_reports:
        print(f"not ok {n} - sanitizer report or hang outside any test (see {log_path})")
        for line in exit_reports[:20]:
            print(f"#   {line}")
    else:
        print(f"ok {n} - no sanitizer report or hang outside the tests")

    total = collections.Counter()
    print("# results by suite (passed / failed / expected failures / skipped):")
    for suite in sorted(counts):
        c = counts[suite]
        total.update(c)
        print(f"#   {suite}: {c['passed']} / {c['failed']} / {c['expected failures']} / "
              f"{c['skipped']}")
    print(f"# total: {total['passed']} passed, {total['failed']} failed, "
          f"{total['expected failures']} expected failures, {total['skipped']} skipped "
          f"of {len(tests)} tests in {time.monotonic() - start:.0f} s ({runs} runner "
          f"run{'s' if runs > 1 else ''}); log: {log_path}")
    for pattern in expected if not extra else []:  # a filtered run sees only some tests
        if pattern not in used_patterns:
            print(f"# STALE: '{pattern}' in tests/wlcs/expected-failures matches no test")
    if unexpected_passes:
        print(f"# {len(unexpected_passes)} listed tests passed: the list can shrink")


if __name__ == "__main__":
    main()
