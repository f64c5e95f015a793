#!/usr/bin/env python3
"""Instructions per request of the release server, counted by valgrind's
callgrind: unlike timings on this shared machine, the counts repeat to within
a percent from run to run, so they show what a change to the code bought.

    cargo build --release --bin slotwise
    python3 bench/profile.py                     # every scenario
    python3 bench/profile.py session-read        # or landing, landing-session, session-write, slot

For each scenario the server runs twice under callgrind (SQLite, file mail),
once serving 100 requests and once 500; the difference divided by 400 is the
cost of one request without start-up. The second run's profile is kept; read
it with `callgrind_annotate --inclusive=yes <file>`.
Needs valgrind (apt-get install valgrind).
"""
import base64
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVER = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target")), "release", "slotwise")
SCENARIOS = ["landing", "landing-session", "session-read", "session-write", "slot"]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Visitor:
    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect)

    def request(self, path, fields=None):
        data = urllib.parse.urlencode(fields).encode() if fields is not None else None
        try:
            with self.opener.open(self.base + path, data) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()


def csrf(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def count(scenario, requests, keep):
    """Total instructions of a server that served `requests` requests of `scenario`."""
    tmp = tempfile.mkdtemp(prefix="slotwise-profile-")
    port = free_port()
    hours = ",".join(f'{d}=["00:00-24:00"]' for d in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"])
    env = dict(os.environ,
               ROCKET_SECRET_KEY=base64.b64encode(os.urandom(32)).decode(), ROCKET_LOG_LEVEL="off",
               ROCKET_ADDRESS="127.0.0.1", ROCKET_PORT=str(port), ROCKET_WORKERS="2",
               ROCKET_DATABASES=f'{{slotwise={{url="sqlite://{tmp}/profile.db?mode=rwc"}}}}',
               ROCKET_MAIL=f'{{transport="file",outbox_dir="{tmp}/outbox"}}',
               ROCKET_BOOKING=f"{{min_notice_minutes=0,hold_minutes=60,capacity=1000000,hours={{{hours}}}}}")
    out = os.path.join(tmp, "callgrind.out")
    with open(os.path.join(tmp, "server.log"), "w") as log:
        server = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", SERVER],
                                  cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/healthz").read()
                break
            except OSError:
                time.sleep(0.2)
        visitor = Visitor(base)
        status, html = visitor.request("/")
        if scenario != "landing":
            visitor.request("/prefs", {"csrf_token": csrf(html), "theme": "light", "next": "/"})
        path = "/"
        if scenario in ("session-read", "slot"):
            _, html = visitor.request("/book/service")
            service = re.search(r'name="service" value="([^"]+)"', html).group(1)
            visitor.request("/book/service", {"csrf_token": csrf(html), "service": service})
            path = "/book/slot"
        if scenario == "session-read":
            _, html = visitor.request("/book/slot")
            slot = re.search(r'name="slot" value="([^"]+)"', html).group(1)
            visitor.request("/book/slot", {"csrf_token": csrf(html), "slot": slot})
            path = "/book/details"
        status, html = visitor.request(path)
        assert status == 200, (path, status)
        token = csrf(html)
        if scenario == "landing":
            visitor = Visitor(base)  # no cookie: no session
        for i in range(requests):
            if scenario == "session-write":
                fields = {"csrf_token": token, "theme": ["dark", "light"][i % 2], "next": "/"}
                status, _ = visitor.request("/prefs", fields)
                assert status == 303, status
            else:
                status, _ = visitor.request(path)
                assert status == 200, status
    finally:
        server.terminate()
        server.wait()
    with open(out) as f:
        total = int(re.search(r"^totals: (\d+)", f.read(), re.M).group(1))
    return total, out if keep else None


def main():
    if not os.path.exists(SERVER):
        sys.exit(f"{SERVER} is missing: cargo build --release --bin slotwise")
    for scenario in sys.argv[1:] or SCENARIOS:
        if scenario not in SCENARIOS:
            sys.exit(f"unknown scenario {scenario}; one of {', '.join(SCENARIOS)}")
        few, _ = count(scenario, 100, False)
        many, profile = count(scenario, 500, True)
        print(f"{scenario:<16} {(many - few) // 400:>9,} instructions/request   profile: {profile}")


if __name__ == "__main__":
    main()
