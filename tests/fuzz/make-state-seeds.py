#!/usr/bin/env python3
"""Writes the seed corpora of the two state-machine targets, encoded by
hand (no protobuf module needed).  Run from the repository root; rewrites
tests/fuzz/corpus/feed_client/* and tests/fuzz/corpus/ingest/*.

feed_client: conversations between a hub and a feed client, in
fuzz_feed_client.c's input format (head, sizes, then LEN FLAGS DT BYTES
per message): the welcome, the hub's heartbeat with its operation id, a
catch-up answer (roster, entries, checkpoint, end), live entries, a gap,
answers, the participants relay; live entries held during a catch-up; a
rewind; an operation the owner refuses.

ingest: FLAGS + Envelope bytes as fuzz_ingest.c reads them, for the
operation id of its roster (00112233...ff): reports of each kind from
each sender, re-sealed (FLAGS bit 0) or sent as they are (a signature
that is not one), a correction and a request acknowledgement naming
earlier entries, a version the hub does not speak, another sender's
origin, another country."""
import os
import struct

def varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7f
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)

def f_int(num, v):
    return varint(num << 3) + varint(v)

def f_bytes(num, b):
    if isinstance(b, str):
        b = b.encode()
    return varint((num << 3) | 2) + varint(len(b)) + b

OP = bytes.fromhex("00112233445566778899aabbccddeeff")
INC = bytes([0x5a]) * 16
HASH = bytes(range(32))
SIG = bytes([0xa5]) * 64
KID = bytes.fromhex("0102030405060708")
T = 1605510003000

# ------------------------------------------------------------ reports
def deployment(n):
    return f_bytes(17, f_int(1, n))

def checks():
    return f_bytes(10, f_int(1, 214) + f_int(2, 87) + f_int(3, 31))

def seizure_cash():
    return f_bytes(12, f_int(1, 8) + f_int(6, 125000) + f_bytes(7, "EUR"))

def correction(supersedes, replacement):
    return f_bytes(19, f_int(1, supersedes) + f_bytes(2, replacement))

def request(to, text):
    return f_bytes(20, f_bytes(1, text) + b"".join(f_bytes(2, c) for c in to)
                   + f_int(4, 1))

def request_ack(seq, text):
    return f_bytes(21, f_int(1, seq) + f_bytes(2, text))

def envelope(origin, seq, report, version=1, signed=True):
    e = (f_int(1, version) + f_bytes(2, OP) + f_bytes(3, origin)
         + f_bytes(4, INC) + f_int(5, seq) + f_int(6, T) + f_bytes(7, report))
    if signed:
        e += f_bytes(8, KID) + f_bytes(9, SIG)
    return e

# ------------------------------------------------------------ frames
def frame(body_num, body):
    return f_int(1, 1) + f_bytes(body_num, body)

def entry(seq):
    env = envelope("agent-de", seq, deployment(seq))
    e = f_int(1, seq) + f_int(2, 1) + f_int(3, T + seq) + f_bytes(4, env)
    if seq > 1:
        e += f_bytes(5, HASH)
    return frame(6, e)

def heartbeat(head, op=OP):
    return frame(8, f_int(1, head) + f_int(2, T) + f_int(3, 1) + f_bytes(5, op))

def catchup_end(head, more=0):
    return frame(7, f_int(1, head) + f_int(2, more))

checkpoint = frame(9, f_int(1, 3) + f_bytes(2, HASH) + f_int(3, T)
                   + f_bytes(4, KID) + f_bytes(5, SIG))
roster = frame(10, f_int(1, 1) + f_bytes(2, "operation  Fuzz\n") + f_int(3, T)
               + f_bytes(4, KID) + f_bytes(5, SIG))
ack = frame(3, f_bytes(1, INC) + f_int(2, 5) + f_int(3, 42) + f_int(4, 0))
error = frame(4, f_int(1, 4) + f_bytes(2, "origin: not yours")
              + f_bytes(3, INC[:15]) + f_int(4, 9))
participants = frame(11, f_bytes(1, f_bytes(1, "agent-de") + f_bytes(2, "agent")
                                  + f_bytes(3, "DE") + f_int(4, 1) + f_int(5, T)
                                  + f_int(6, 3) + f_int(7, 17) + f_int(8, 40))
                     + f_int(2, T))

FEED, DEALER, REFUSE, REWIND, FULL = 1, 0, 2, 4, 8

def conversation(head, sizes, msgs):
    out = bytes([head, sizes])
    for flags, dt, data in msgs:
        out += struct.pack(">HBB", len(data), flags, dt) + data
    return out

sizes = (3 << 3) | 3                    # credit 4, 4 live entries held
feed_client = {
    "catchup": conversation(0, sizes, [
        (FEED, 0, b""),                 # the welcome
        (DEALER, 1, heartbeat(3)),      # the operation: a catch-up goes out
        (DEALER, 1, roster), (DEALER, 0, entry(1)), (DEALER, 0, entry(2)),
        (DEALER, 0, entry(3)), (DEALER, 0, checkpoint),
        (DEALER, 0, catchup_end(3)),
        (FEED, 5, entry(4)), (FEED, 5, heartbeat(4)),
        (DEALER, 5, ack), (DEALER, 5, error), (FEED, 25, participants),
        (FEED, 30, entry(6)),           # a gap: catch up again
        (DEALER, 200, heartbeat(6)),    # past the catch-up timeout
    ]),
    "held": conversation(0, sizes, [
        (FEED, 0, b""), (DEALER, 1, heartbeat(1)),
        (FEED, 1, entry(2)), (FEED, 1, entry(3)),   # held
        (DEALER, 1, entry(1)), (DEALER, 0, catchup_end(1)),
        (FEED, 1, entry(4)),
    ]),
    "rewind": conversation(5, sizes, [
        (FEED, 0, b""), (DEALER, 0, heartbeat(8)),
        (DEALER | REFUSE, 1, entry(6)), (DEALER, 0, entry(7)),
        (DEALER, 0, catchup_end(8, 1)),
        (DEALER | REWIND, 30, entry(3)), (DEALER | FULL, 30, heartbeat(8)),
        (DEALER, 30, heartbeat(8)),
    ]),
    "other-operation": conversation(0, sizes, [
        (FEED, 0, b""), (DEALER, 1, heartbeat(2, bytes([0xff]) + OP[1:])),
        (DEALER, 1, entry(1)), (FEED, 1, checkpoint),
        (DEALER, 1, heartbeat(2)), (DEALER, 1, entry(1)),
    ]),
}

AGENT_DE, AGENT_FR, COORD, OBS = 0 << 1, 1 << 1, 2 << 1, 3 << 1
RESEAL = 1
ingest = {
    "deployment": bytes([AGENT_DE | RESEAL]) + envelope("agent-de", 1, deployment(42)),
    "checks": bytes([AGENT_DE | RESEAL]) + envelope("agent-de", 2, checks()),
    "seizure-fr": bytes([AGENT_FR | RESEAL]) + envelope("agent-fr", 1, seizure_cash()),
    "correction": bytes([AGENT_DE | RESEAL])
        + envelope("agent-de", 3, correction(1, deployment(40))),
    "request": bytes([COORD | RESEAL])
        + envelope("coord", 1, request(["DE", "FR"], "report your checks")),
    "request-ack": bytes([AGENT_DE | RESEAL])
        + envelope("agent-de", 4, request_ack(4, "done")),
    "bad-signature": bytes([AGENT_DE]) + envelope("agent-de", 5, deployment(1)),
    "unsigned": bytes([AGENT_DE]) + envelope("agent-de", 6, deployment(1), signed=False),
    "version-99": bytes([AGENT_DE | RESEAL])
        + envelope("agent-de", 7, deployment(1), version=99),
    "origin-of-another": bytes([AGENT_DE | RESEAL])
        + envelope("agent-fr", 8, deployment(1)),
    "country-of-another": bytes([AGENT_DE | RESEAL])
        + envelope("agent-de", 9, f_bytes(1, "FR") + deployment(1)),
    "observer": bytes([OBS | RESEAL]) + envelope("obs", 1, deployment(1)),
}

for name, seeds in (("feed_client", feed_client), ("ingest", ingest)):
    out = "tests/fuzz/corpus/" + name
    os.makedirs(out, exist_ok=True)
    for seed, data in seeds.items():
        with open(os.path.join(out, seed), "wb") as f:
            f.write(data)
    print("%d seeds in %s" % (len(seeds), out))
