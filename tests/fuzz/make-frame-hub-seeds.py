#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_frame_hub: one frame of each kind a
participant receives from the hub, encoded by hand (no protobuf module
needed), plus bare Checkpoint and RosterRecord.  Run from the repository
root; rewrites tests/fuzz/corpus/frame_hub/*.  Entries are taken from
tests/fuzz/corpus/entry/, so they carry real envelopes and reports."""
import os

def varint(n):
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

def frame(body_num, body):
    return f_int(1, 1) + f_bytes(body_num, body)

OP = bytes.fromhex("00112233445566778899aabbccddeeff")
INC = bytes([7]) * 16
HASH = bytes(range(32))
SIG = bytes([0xa5]) * 64
KID = bytes.fromhex("0102030405060708")
T = 1605510003000

checkpoint = (f_int(1, 3) + f_bytes(2, HASH) + f_int(3, T)
              + f_bytes(4, KID) + f_bytes(5, SIG))
roster_text = (
    "operation     Test Operation\n"
    "operation_id  00112233445566778899aabbccddeeff\n"
    "start         2020-11-16T00:00:00Z\n"
    "end           2020-11-22T00:00:00Z\n"
    "participant   hub hub - rq:zM)JkE}u6WY<]yw(8gW[JQLQF+PHd(d0Kss@.\n"
    "participant   agent-de agent DE Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID\n")
roster = (f_int(1, 1) + f_bytes(2, roster_text) + f_int(3, T)
          + f_bytes(4, KID) + f_bytes(5, SIG))
seeds = {
    "ack": frame(3, f_bytes(1, INC) + f_int(2, 5) + f_int(3, 42) + f_int(4, 0)),
    "ack_dup": frame(3, f_bytes(1, INC) + f_int(2, 5) + f_int(3, 42) + f_int(4, 1)),
    "error": frame(4, f_int(1, 4) + f_bytes(2, "origin: not yours")
                   + f_bytes(3, INC) + f_int(4, 9)),
    "error_sig": frame(4, f_int(1, 8) + f_bytes(2, "signature: does not verify")),
    # an empty incarnation: protobuf-c gives it data NULL (memcpy from NULL
    # was undefined behaviour, fixed 2026-12-02)
    "error_empty_inc": frame(4, f_int(1, 1) + f_bytes(3, b"")),
    "catchup_end": frame(7, f_int(1, 1000) + f_int(2, 1)),
    "heartbeat": frame(8, f_int(1, 17) + f_int(2, T) + f_int(3, 1)
                       + f_bytes(5, OP)),
    "heartbeat_agent": frame(8, f_int(1, 17) + f_int(2, T)
                             + f_bytes(4, f_int(1, 2) + f_int(2, 40) + f_int(3, 17))),
    "checkpoint": frame(9, checkpoint),
    "roster": frame(10, roster),
    "bare_checkpoint": checkpoint,
    "bare_roster": roster,
}
src = "tests/fuzz/corpus/entry"
for name in sorted(os.listdir(src)):
    with open(os.path.join(src, name), "rb") as f:
        seeds["entry_" + name.replace(".bin", "")] = frame(6, f.read())
out = "tests/fuzz/corpus/frame_hub"
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
print("%d seeds in %s" % (len(seeds), out))
