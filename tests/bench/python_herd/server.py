#!/usr/bin/env python3
"""A reference proxy-herd server in Python asyncio, the way CS 131 students wrote it.

It is the baseline that herd-bench compares the C++ herd-server against, so it is written
the way a good student solution of the assignment was: one asyncio.start_server per server,
a `await reader.readline()` loop that answers each line as it arrives (so interactive
clients and graders that write one command, half-close and read to EOF both work), IAMAT
answered with an AT line whose time difference has an explicit sign and 9 decimals, WHATSAT
answered with the stored AT line, the places JSON and a blank line, `? <line>` for anything
invalid, location updates flooded to friends over one persistent connection per friend
(opened lazily, reopened after a drop), only newer updates stored and forwarded, never sent
back to the friend they came from, and every line received and sent logged through the
logging module to a per-server log file.

It reads the same TOML configuration as herd-server (`[herd]` log_dir, peer_secret and
friends; `[[servers]]` name, host, port) and takes the same `--config F --name N`.
A relative log_dir is taken relative to the working directory.

The one deviation from the original: it has no Google Places key, so every WHATSAT for a
known client answers with an empty legacy Nearby Search response ("ZERO_RESULTS").
Standard library only (Python 3.11 for tomllib).

Server-to-server lines follow herd's protocol (docs/protocol.md#server-to-server-protocol): a
connection to a friend starts with `HERD 1 <sender> <secret>`, then carries
`AT <origin> <diff> <client> <coords> <client-time> <hops>` lines.
"""

import argparse
import asyncio
import datetime
import logging
import math
import os
import re
import signal
import sys
import time
import tomllib

COORDS_RE = re.compile(rb"^([+-][0-9]+(?:\.[0-9]+)?)([+-][0-9]+(?:\.[0-9]+)?)$")
TIME_RE = re.compile(rb"^([0-9]+)(?:\.([0-9]{1,9}))?$")
DIFF_RE = re.compile(rb"^[+-][0-9]+\.[0-9]{9}$")
BOUND_RE = re.compile(rb"^[0-9]+$")

MAX_LINE_BYTES = 64 * 1024
RECONNECT_DELAY_S = 0.5

ZERO_RESULTS_JSON = (
    '{\n'
    '   "html_attributions" : [],\n'
    '   "results" : [],\n'
    '   "status" : "ZERO_RESULTS"\n'
    '}'
)


class MicrosecondFormatter(logging.Formatter):
    """Wall-clock timestamps with microseconds, as herd's logs have (docs/protocol.md#logs)."""

    def formatTime(self, record, datefmt=None):
        return datetime.datetime.fromtimestamp(record.created).strftime(
            "%Y-%m-%d %H:%M:%S.%f")


def parse_time_ns(text):
    """POSIX seconds with up to 9 decimals, to integer nanoseconds (or None)."""
    m = TIME_RE.match(text)
    if not m:
        return None
    fraction = (m.group(2) or b"").ljust(9, b"0")
    return int(m.group(1)) * 1_000_000_000 + int(fraction)


def parse_coords(text):
    m = COORDS_RE.match(text)
    if not m:
        return None
    lat, lng = float(m.group(1)), float(m.group(2))
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lng <= 180.0):
        return None
    return lat, lng


def format_diff(diff_ns):
    sign = "-" if diff_ns < 0 else "+"
    whole, frac = divmod(abs(diff_ns), 1_000_000_000)
    return f"{sign}{whole}.{frac:09d}"


class Record:
    """The newest location update known for one client."""

    __slots__ = ("at_line", "origin", "client_ns", "coords")

    def __init__(self, at_line, origin, client_ns, coords):
        self.at_line = at_line
        self.origin = origin
        self.client_ns = client_ns
        self.coords = coords

    def key(self):
        # A total order, so every server keeps the same record on timestamp ties.
        return (self.client_ns, self.origin, self.coords)


class FriendLink:
    """One persistent connection to a friend, opened on first use and after a drop."""

    def __init__(self, herd, name, host, port):
        self.herd = herd
        self.name = name
        self.host = host
        self.port = port
        self.queue = asyncio.Queue()
        self.task = asyncio.get_running_loop().create_task(self.run())

    def send(self, line):
        # Unbounded, as in the student solutions: a slow friend costs memory, not updates.
        self.queue.put_nowait(line)

    async def run(self):
        writer = None
        while True:
            line = await self.queue.get()
            if writer is None:
                writer = await self.connect()
                if writer is None:
                    continue  # friend down: this update is dropped, like the original
            try:
                writer.write(line)
                logging.info("SEND %s: %s", self.name, line.decode(errors="replace").rstrip("\n"))
                # Write what else is queued before waiting on the socket.
                while not self.queue.empty():
                    more = self.queue.get_nowait()
                    writer.write(more)
                    logging.info("SEND %s: %s", self.name,
                                 more.decode(errors="replace").rstrip("\n"))
                await writer.drain()
            except (ConnectionError, OSError) as err:
                logging.info("DROP connection to friend %s: %s", self.name, err)
                writer.close()
                writer = None

    async def connect(self):
        try:
            _, writer = await asyncio.open_connection(self.host, self.port)
        except OSError as err:
            logging.info("FAIL connect to friend %s: %s", self.name, err)
            await asyncio.sleep(RECONNECT_DELAY_S)
            return None
        greeting = f"HERD 1 {self.herd.name} {self.herd.secret}\n".encode()
        writer.write(greeting)
        logging.info("NEW connection to friend %s", self.name)
        return writer


class HerdServer:
    def __init__(self, name, secret, friends):
        self.name = name
        self.secret = secret
        self.friend_addrs = friends  # name -> (host, port)
        self.links = {}
        self.records = {}  # client id (bytes) -> Record
        self.next_conn = 0

    def start_links(self):
        for friend, (host, port) in self.friend_addrs.items():
            self.links[friend] = FriendLink(self, friend, host, port)

    async def handle_connection(self, reader, writer):
        self.next_conn += 1
        conn = f"c{self.next_conn}"
        peer_name = None  # set once the connection greets as a friend
        logging.info("OPEN %s from %s", conn, writer.get_extra_info("peername"))
        try:
            while True:
                try:
                    raw = await reader.readline()
                except ValueError:
                    logging.info("CLOSE %s: line longer than %d bytes", conn, MAX_LINE_BYTES)
                    break
                if not raw:
                    break
                line = raw[:-1] if raw.endswith(b"\n") else raw
                if line.endswith(b"\r"):
                    line = line[:-1]
                logging.info("RECV %s: %s", peer_name or conn, line.decode(errors="replace"))
                if peer_name is not None:
                    self.handle_peer_line(peer_name, line)
                    continue
                fields = line.split()
                if len(fields) >= 3 and fields[0] == b"HERD" and fields[1] == b"1":
                    peer_name = self.accept_greeting(conn, fields)
                    if peer_name is not None:
                        continue
                reply = self.answer(line, fields)
                logging.info("SENT %s: %s", conn, reply.decode(errors="replace").rstrip("\n"))
                writer.write(reply)
                await writer.drain()
        except (ConnectionError, OSError) as err:
            logging.info("ERROR %s: %s", conn, err)
        finally:
            logging.info("CLOSE %s", peer_name or conn)
            writer.close()

    def accept_greeting(self, conn, fields):
        sender = fields[2].decode(errors="replace")
        auth = fields[3].decode(errors="replace") if len(fields) > 3 else ""
        if sender in self.friend_addrs and (not self.secret or auth == self.secret):
            logging.info("NEW connection from friend %s on %s", sender, conn)
            return sender
        logging.info("REJECT greeting on %s from %s", conn, sender)
        return None

    def answer(self, line, fields):
        invalid = b"? " + line + b"\n"
        if len(fields) != 4:
            return invalid
        if fields[0] == b"IAMAT":
            return self.answer_iamat(fields) or invalid
        if fields[0] == b"WHATSAT":
            return self.answer_whatsat(fields) or invalid
        return invalid

    def answer_iamat(self, fields):
        received_ns = time.time_ns()
        _, client, coords, client_time = fields
        client_ns = parse_time_ns(client_time)
        if client_ns is None or parse_coords(coords) is None:
            return None
        at_line = b" ".join((b"AT", self.name.encode(), format_diff(received_ns - client_ns)
                             .encode(), client, coords, client_time))
        self.store_and_flood(Record(at_line, self.name.encode(), client_ns, coords), client,
                             hops=0, came_from=None)
        return at_line + b"\n"

    def answer_whatsat(self, fields):
        _, client, radius, bound = fields
        try:
            radius_km = float(radius)
        except ValueError:
            return None
        if not math.isfinite(radius_km) or not 0 < radius_km <= 50:
            return None
        if not BOUND_RE.match(bound) or not 1 <= int(bound) <= 20:
            return None
        record = self.records.get(client)
        if record is None:
            return None
        return record.at_line + b"\n" + ZERO_RESULTS_JSON.encode() + b"\n\n"

    def handle_peer_line(self, sender, line):
        fields = line.split()
        if (len(fields) != 7 or fields[0] != b"AT" or not DIFF_RE.match(fields[2])
                or parse_coords(fields[4]) is None or not fields[6].isdigit()):
            logging.info("DROP malformed line from friend %s", sender)
            return
        client_ns = parse_time_ns(fields[5])
        if client_ns is None:
            logging.info("DROP malformed line from friend %s", sender)
            return
        record = Record(b" ".join(fields[:6]), fields[1], client_ns, fields[4])
        self.store_and_flood(record, fields[3], hops=int(fields[6]), came_from=sender)

    def store_and_flood(self, record, client, hops, came_from):
        held = self.records.get(client)
        if held is not None and held.key() >= record.key():
            return  # not newer: neither stored nor forwarded
        self.records[client] = record
        message = record.at_line + b" " + str(hops + 1).encode() + b"\n"
        for friend, link in self.links.items():
            if friend != came_from:
                link.send(message)


def load_config(path, name):
    with open(path, "rb") as f:
        config = tomllib.load(f)
    servers = {s["name"]: (s["host"], int(s["port"])) for s in config["servers"]}
    if name not in servers:
        sys.exit(f"{path}: no server named {name!r} in [[servers]]")
    herd = config.get("herd", {})
    friends = {}
    for pair in herd.get("friends", []):
        a, b = pair
        if name in (a, b):
            other = b if a == name else a
            friends[other] = servers[other]
    return servers[name], friends, herd.get("peer_secret", ""), herd.get("log_dir", "logs")


def setup_logging(log_dir, name):
    os.makedirs(log_dir, exist_ok=True)
    handler = logging.FileHandler(os.path.join(log_dir, f"{name}.log"))
    handler.setFormatter(MicrosecondFormatter("%(asctime)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)


async def main():
    parser = argparse.ArgumentParser(description="CS 131 proxy herd server (asyncio reference)")
    parser.add_argument("--config", required=True, help="herd TOML configuration")
    parser.add_argument("--name", required=True, help="this server's name in the config")
    parser.add_argument("--log-dir", help="write the log here instead of the config's log_dir")
    args = parser.parse_args()

    (host, port), friends, secret, log_dir = load_config(args.config, args.name)
    log_dir = args.log_dir or log_dir
    setup_logging(log_dir, args.name)
    herd = HerdServer(args.name, secret, friends)
    herd.start_links()
    server = await asyncio.start_server(herd.handle_connection, host, port,
                                        limit=MAX_LINE_BYTES, reuse_address=True)
    logging.info("START %s on %s:%d, friends %s", args.name, host, port,
                 ", ".join(sorted(friends)))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()
    logging.info("STOP %s", args.name)


if __name__ == "__main__":
    asyncio.run(main())
