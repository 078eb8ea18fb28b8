#!/usr/bin/env python3
"""Smoke test: herd-bench against the Python reference herd, every mode at tiny sizes.

Keeps the benchmark and the reference from rotting: starts the five Winter 2023 servers of
python_herd/server.py on free loopback ports (a temporary copy of the config), runs
herd-bench in each mode and checks that it exits 0 with a sane JSON record, then checks
that herd-bench does fail (exit 1, invalid replies counted) when the replies are not the
ones owed. Bounded: every step has a timeout and the servers are always stopped.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SERVERS = ["Bailey", "Bona", "Campbell", "Clark", "Jaquez"]
STEP_TIMEOUT_S = 12


def free_ports(count):
    # Hold every socket open until all are bound so the ports differ.
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def write_config(template, path, ports, log_dir, names=SERVERS):
    """The template with its servers' ports (in order) and names replaced, logs elsewhere."""
    with open(template, encoding="utf-8") as f:
        text = f.read()
    ports_iter = iter(ports)
    text = re.sub(r"(?m)^port = \d+$", lambda m: f"port = {next(ports_iter)}", text)
    names_iter = iter(names)
    text = re.sub(r'(?m)^name = "(\w+)"$',
                  lambda m: f'name = "{next(names_iter)}"' if m.group(1) in SERVERS
                  else m.group(0), text)
    text = re.sub(r'(?m)^log_dir = ".*"$', f'log_dir = "{log_dir}"', text)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def wait_listening(ports, deadline):
    for port in ports:
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"reference server on port {port} did not start")
                time.sleep(0.05)


def run_bench(bench, config, args):
    cmd = [bench, "--config", config, *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=STEP_TIMEOUT_S)
    lines = done.stdout.strip().splitlines()
    record = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else None
    return done.returncode, record, done.stdout + done.stderr


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def expect(self, condition, what, detail=""):
        if condition:
            self.passed += 1
            print(f"ok: {what}")
        else:
            self.failed += 1
            print(f"FAILED: {what}\n{detail}")


def check_modes(bench, config, checks):
    rc, rec, out = run_bench(bench, config, [
        "--mode", "persistent", "--connections", "1", "--window", "8",
        "--warmup-s", "0.2", "--duration-s", "0.5", "--converge-timeout-s", "5"])
    checks.expect(rc == 0 and rec and rec["ok"] and rec["mode"] == "persistent"
                  and rec["replies_per_s"] > 0 and rec["invalid"] == 0 and rec["converged"]
                  and rec["latency_us"]["count"] > 0,
                  "persistent: valid replies at a positive rate and the herd converges", out)

    rc, rec, out = run_bench(bench, config, [
        "--mode", "per-command", "--workers", "2", "--warmup-s", "0.2", "--duration-s", "0.5",
        "--converge-timeout-s", "5"])
    checks.expect(rc == 0 and rec and rec["ok"] and rec["mode"] == "per-command"
                  and rec["commands_per_s"] > 0 and rec["invalid"] == 0
                  and rec["connection_errors"] == 0 and rec["converged"],
                  "per-command: every grader-style command answered with its AT line", out)

    rc, rec, out = run_bench(bench, config, [
        "--mode", "propagation", "--samples", "10", "--duration-s", "5"])
    delay = rec and rec["delay_to_last_us"]
    checks.expect(rc == 0 and rec and rec["ok"] and rec["samples"] == 10 and rec["lost"] == 0
                  and delay["count"] == 10 and 0 < delay["p50"] <= delay["p99"] <= delay["max"],
                  "propagation: every update reaches all five servers", out)

    rc, rec, out = run_bench(bench, config, [
        "--mode", "propagation", "--samples", "10", "--duration-s", "5",
        "--background-load", "200", "--connections", "1", "--warmup-s", "0.2"])
    background = rec and rec.get("background_load")
    checks.expect(rc == 0 and rec and rec["ok"] and background
                  and background["achieved_per_s"] > 0 and background["invalid"] == 0,
                  "propagation under a paced background load", out)


def check_detects_wrong_replies(bench, template, ports, tmp, checks):
    # Bailey's port labelled Bona and the reverse: every AT reply names the wrong server.
    swapped = os.path.join(tmp, "swapped.toml")
    names = ["Bona", "Bailey"] + SERVERS[2:]
    write_config(template, swapped, ports, os.path.join(tmp, "unused"), names)
    rc, rec, out = run_bench(bench, swapped, [
        "--mode", "persistent", "--connections", "1", "--window", "4", "--warmup-s", "0",
        "--duration-s", "0.3", "--max-commands", "50", "--converge-timeout-s", "1"])
    checks.expect(rc == 1 and rec and not rec["ok"] and rec["invalid"] > 0,
                  "persistent: replies naming the wrong server are counted invalid", out)

    rc, _, out = run_bench(bench, os.path.join(tmp, "missing.toml"), ["--mode", "persistent"])
    checks.expect(rc == 2 and "missing.toml" in out, "a missing config is a usage error", out)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bench", required=True)
    parser.add_argument("--server", required=True)
    parser.add_argument("--config-template", required=True)
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="herd-bench-smoke-")
    ports = free_ports(len(SERVERS))
    config = os.path.join(tmp, "herd.toml")
    log_dir = os.path.join(tmp, "logs")
    write_config(args.config_template, config, ports, log_dir)
    servers = []
    checks = Checks()
    try:
        for name in SERVERS:
            out = open(os.path.join(tmp, f"{name}.out"), "w")
            servers.append(subprocess.Popen(
                [sys.executable, args.server, "--config", config, "--name", name],
                stdout=out, stderr=subprocess.STDOUT))
        wait_listening(ports, time.monotonic() + 5)
        check_modes(args.bench, config, checks)
        check_detects_wrong_replies(args.bench, args.config_template, ports, tmp, checks)
        with open(os.path.join(log_dir, "Clark.log"), encoding="utf-8") as f:
            log = f.read()
        checks.expect("RECV" in log and "SENT" in log,
                      "the reference logs every line it receives and sends")
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
        for server in servers:
            try:
                server.wait(timeout=3)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{checks.passed} passed, {checks.failed} failed")
    return 0 if checks.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
