#!/usr/bin/python3
"""A real Modbus peer for the bridge tests: pymodbus (Debian's python3-pymodbus, 3.0.x API) as a TCP
server or as an RTU server on a serial device (one end of a socat pty pair).

argv[1] is JSON: {"mode": "tcp", "port": 1502} or {"mode": "rtu", "device": "/tmp/x/a", "baud": 9600},
plus "units": [1, 2] (default [1]) and "size" (registers/bits per area, default 1000).
Unknown units get no answer at all (ignore_missing_slaves), so the client sees a timeout.

Commands arrive on stdin as JSON lines with an "id"; each gets one JSON line back on stdout:
  {"op": "set", unit, area, address, values}             raw registers (or 0/1 bits)
  {"op": "get", unit, area, address, count}               -> {"values": [...]}
  {"op": "set-typed", unit, area, address, type, value, byteOrder, wordOrder, length?, bit?}
  {"op": "get-typed", unit, area, address, type, byteOrder, wordOrder, length?, bit?} -> {"value": ...}
  {"op": "requests"} -> {"requests": [{unit, fc, address, count}...]}   (every request executed)
  {"op": "clear"}
The typed ops pack values with Python's struct, independently of the gateway's own codec, so the
tests compare the gateway against a second implementation of every byte/word order.
"""
import asyncio
import json
import struct
import sys
import threading

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.framer.rtu_framer import ModbusRtuFramer
from pymodbus.server.async_io import (
    ModbusConnectedRequestHandler,
    ModbusSerialServer,
    ModbusSingleRequestHandler,
    ModbusTcpServer,
)

CFG = json.loads(sys.argv[1])
SIZE = CFG.get("size", 1000)
UNITS = CFG.get("units", [1])
AREA_FX = {"coil": 1, "discrete": 2, "holding": 3, "input": 4}
REQUESTS = []


def slave():
    blk = lambda: ModbusSequentialDataBlock(0, [0] * SIZE)  # noqa: E731
    return ModbusSlaveContext(di=blk(), co=blk(), hr=blk(), ir=blk(), zero_mode=True)


CONTEXT = ModbusServerContext(slaves={u: slave() for u in UNITS}, single=False)


def log_request(request):
    REQUESTS.append({
        "unit": request.unit_id,
        "fc": request.function_code,
        "address": getattr(request, "address", None),
        "count": getattr(request, "count", None),
    })


class TcpHandler(ModbusConnectedRequestHandler):
    def execute(self, request, *addr):
        log_request(request)
        super().execute(request, *addr)


class RtuHandler(ModbusSingleRequestHandler):
    def execute(self, request, *addr):
        log_request(request)
        super().execute(request, *addr)


FMT = {"int16": ">h", "uint16": ">H", "int32": ">i", "uint32": ">I", "int64": ">q", "uint64": ">Q", "float32": ">f", "float64": ">d"}


def to_regs(b):
    return [(b[i] << 8) | b[i + 1] for i in range(0, len(b), 2)]


def from_regs(regs):
    return b"".join(bytes([r >> 8, r & 0xFF]) for r in regs)


def reorder(regs, byte_order, word_order, words=True):
    """ABCD... registers -> device order (and back: both steps are involutions)."""
    out = list(reversed(regs)) if (word_order == "little" and words) else list(regs)
    if byte_order == "little":
        out = [((r & 0xFF) << 8) | (r >> 8) for r in out]
    return out


def typed_regs(cmd):
    t = cmd["type"]
    if t == "string":
        n = cmd["length"]
        raw = cmd["value"].encode("utf-8")[:n].ljust(2 * ((n + 1) // 2), b"\0")
        return reorder(to_regs(raw), cmd["byteOrder"], "big", words=False)
    if t == "bool":
        return [1 if cmd["value"] else 0]
    value = cmd["value"]
    if t in ("int64", "uint64") and isinstance(value, str):
        value = int(value)
    return reorder(to_regs(struct.pack(FMT[t], value)), cmd["byteOrder"], cmd["wordOrder"])


def typed_value(cmd, regs):
    t = cmd["type"]
    if t == "string":
        b = from_regs(reorder(regs, cmd["byteOrder"], "big", words=False))[: cmd["length"]]
        return b.split(b"\0")[0].decode("utf-8")
    if t == "bool":
        return regs[0] != 0
    if t == "bit":
        r = reorder(regs, cmd["byteOrder"], "big")[0]
        return (r >> cmd["bit"]) & 1 == 1
    v = struct.unpack(FMT[t], from_regs(reorder(regs, cmd["byteOrder"], cmd["wordOrder"])))[0]
    return str(v) if t in ("int64", "uint64") and abs(v) > 2**53 else v


WIDTH = {"int16": 1, "uint16": 1, "bool": 1, "bit": 1, "int32": 2, "uint32": 2, "float32": 2, "int64": 4, "uint64": 4, "float64": 4}


def handle(cmd):
    op = cmd["op"]
    if op == "requests":
        return {"requests": list(REQUESTS)}
    if op == "clear":
        REQUESTS.clear()
        return {}
    ctx = CONTEXT[cmd.get("unit", 1)]
    fx = AREA_FX[cmd.get("area", "holding")]
    addr = cmd.get("address", 0)
    if op == "set":
        ctx.setValues(fx, addr, cmd["values"])
        return {}
    if op == "get":
        return {"values": [int(v) for v in ctx.getValues(fx, addr, cmd["count"])]}
    if op == "set-typed":
        if cmd["type"] == "bit":
            cur = reorder(ctx.getValues(fx, addr, 1), cmd["byteOrder"], "big")[0]
            cur = cur | (1 << cmd["bit"]) if cmd["value"] else cur & ~(1 << cmd["bit"])
            ctx.setValues(fx, addr, reorder([cur], cmd["byteOrder"], "big"))
        else:
            ctx.setValues(fx, addr, typed_regs(cmd))
        return {}
    if op == "get-typed":
        n = (cmd["length"] + 1) // 2 if cmd["type"] == "string" else WIDTH[cmd["type"]]
        return {"value": typed_value(cmd, ctx.getValues(fx, addr, n))}
    raise ValueError(f"unknown op {op}")


def reply(line):
    try:
        cmd = json.loads(line)
    except ValueError:
        return
    try:
        out = {"id": cmd.get("id"), "ok": True, **handle(cmd)}
    except Exception as exc:  # a bad command is answered, never fatal
        out = {"id": cmd.get("id"), "ok": False, "error": repr(exc)}
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()


async def main():
    loop = asyncio.get_running_loop()

    def read_stdin():
        for line in sys.stdin:
            loop.call_soon_threadsafe(reply, line)
        loop.call_soon_threadsafe(loop.stop)  # the test went away: so do we

    threading.Thread(target=read_stdin, daemon=True).start()
    if CFG["mode"] == "tcp":
        server = ModbusTcpServer(CONTEXT, address=("127.0.0.1", CFG["port"]), handler=TcpHandler,
                                 allow_reuse_address=True, ignore_missing_slaves=True)
        task = asyncio.create_task(server.serve_forever())
        await server.serving
    else:
        server = ModbusSerialServer(CONTEXT, framer=ModbusRtuFramer, port=CFG["device"], baudrate=CFG.get("baud", 9600),
                                    handler=RtuHandler, ignore_missing_slaves=True)
        await server.start()
        task = asyncio.create_task(server.serve_forever())
    sys.stdout.write(json.dumps({"ready": True}) + "\n")
    sys.stdout.flush()
    await task


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except (KeyboardInterrupt, RuntimeError):
        pass
