#!/usr/bin/env python3
"""Instructions per request of the release server, counted by valgrind's
callgrind: unlike timings on this shared machine, the counts repeat to within
a percent from run to run, so they show what a change to the code bought.

    cargo build --release --bin slotwise
    python3 bench/profile.py                     # every scenario
    python3 bench/profile.py session-read        # or landing, landing-session, session-write, slot, flow

For each scenario the server runs twice under callgrind (SQLite, file mail),
once serving 100 requests and once 500; the difference divided by 400 is the
cost of one request without start-up. `flow` counts whole bookings instead
(service, slot, details, the emailed code, confirm, done: 12 requests and
two emails each), 10 and 50 of them. The second run's profile is kept; read
it with `callgrind_annotate --inclusive=yes <file>`.
Needs valgrind (apt-get install valgrind).
"""
import base64
import email
import email.policy
import glob
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
SCENARIOS = ["landing", "landing-session", "session-read", "session-write", "slot", "flow"]
# What each scenario counts, and how many of them its two runs serve.
UNITS = {"flow": ("booking", 10, 50)}
DEFAULT_UNIT = ("request", 100, 500)


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


def drive(scenario, base, requests):
    """`requests` requests of `scenario` (one visitor, at its step)."""
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


def count(scenario, requests, keep):
    """Total instructions of a server that served `requests` of `scenario` (bookings for `flow`)."""
    tmp = tempfile.mkdtemp(prefix="slotwise-profile-")
    port = free_port()
    hours = ",".join(f'{d}=["00:00-24:00"]' for d in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"])
    env = dict(os.environ,
               ROCKET_SECRET_KEY=base64.b64encode(os.urandom(32)).decode(), ROCKET_LOG_LEVEL="off",
               ROCKET_ADDRESS="127.0.0.1", ROCKET_PORT=str(port), ROCKET_WORKERS="2",
               ROCKET_DATABASES=f'{{slotwise={{url="sqlite://{tmp}/profile.db?mode=rwc"}}}}',
               ROCKET_MAIL=f'{{transport="file",outbox_dir="{tmp}/outbox"}}',
               ROCKET_BOOKING=f"{{min_notice_minutes=0,hold_minutes=60,capacity=1000000,hours={{{hours}}}}}",
               # One client books over and over (as in bench/run's flow).
               ROCKET_ABUSE="{sends_per_address_per_day=0,sends_per_client_per_hour=0,holds_per_client=0,min_fill_secs=0}")
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
        if scenario == "flow":
            for i in range(requests):
                book(base, os.path.join(tmp, "outbox"), f"visitor{i}@example.test")
        else:
            drive(scenario, base, requests)
    finally:
        server.terminate()
        server.wait()
    with open(out) as f:
        total = int(re.search(r"^totals: (\d+)", f.read(), re.M).group(1))
    return total, out if keep else None


def code_sent_to(outbox, address):
    """The code of the last code email to `address` in the file outbox."""
    for path in sorted(glob.glob(os.path.join(outbox, "*.eml")), key=os.path.getmtime, reverse=True):
        with open(path, "rb") as f:
            message = email.message_from_bytes(f.read(), policy=email.policy.default)
        if address not in str(message["To"]):
            continue
        text = message.get_body(preferencelist=("plain",)).get_content()
        codes = re.findall(r"(?<!\d)\d{6}(?!\d)", text)
        if codes:
            return codes[-1]
    raise AssertionError(f"no code email to {address}")


def book(base, outbox, address):
    """One whole booking, as bench/run's flow books it."""
    visitor = Visitor(base)
    _, html = visitor.request("/book/service")
    token = csrf(html)
    service = re.search(r'name="service" value="([^"]+)"', html).group(1)
    assert visitor.request("/book/service", {"csrf_token": token, "service": service})[0] == 303
    _, html = visitor.request("/book/slot")
    slot = re.search(r'name="slot" value="([^"]+)"', html).group(1)
    assert visitor.request("/book/slot", {"csrf_token": token, "slot": slot})[0] == 303
    assert visitor.request("/book/details")[0] == 200
    details = {"csrf_token": token, "name": "Profile Visitor", "email": address, "phone": ""}
    assert visitor.request("/book/details", details)[0] == 303
    assert visitor.request("/book/verify")[0] == 200
    code = code_sent_to(outbox, address)
    assert visitor.request("/book/verify", {"csrf_token": token, "code": code})[0] == 303
    assert visitor.request("/book/confirm")[0] == 200
    assert visitor.request("/book/confirm", {"csrf_token": token})[0] == 303
    status, html = visitor.request("/book/done")
    assert status == 200 and 'id="booking-ref"' in html, status


def main():
    if not os.path.exists(SERVER):
        sys.exit(f"{SERVER} is missing: cargo build --release --bin slotwise")
    for scenario in sys.argv[1:] or SCENARIOS:
        if scenario not in SCENARIOS:
            sys.exit(f"unknown scenario {scenario}; one of {', '.join(SCENARIOS)}")
        unit, small, large = UNITS.get(scenario, DEFAULT_UNIT)
        few, _ = count(scenario, small, False)
        many, profile = count(scenario, large, True)
        each = (many - few) // (large - small)
        print(f"{scenario:<16} {each:>10,} instructions/{unit:<8} profile: {profile}")


if __name__ == "__main__":
    main()
