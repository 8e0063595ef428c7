"""Drivers that misbehave in one way each, for the driver protocol's error paths.

    python tests/client/fake_drivers.py MODE

- ``echo``: answers every request with its op and arguments; op ``fail`` answers
  an error; op ``hold`` is answered only after the next request (out of order);
  op ``threads`` answers a thread that is not a LocalThread.
- ``crash``: writes to stderr and exits 3 at the first request.
- ``garbage``: writes a line that is not JSON.
- ``hang``: reads requests and never answers.
- ``sequential``: answers one request at a time; op ``slow`` takes 3 seconds, and
  stdin is not read meanwhile (the mistake the protocol warns about).
"""

import json
import sys
import time


def answer(value: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(value) + "\n")
    sys.stdout.flush()


def echo() -> None:
    held: dict[str, object] | None = None
    for line in sys.stdin:
        request = json.loads(line)
        number, op = request.pop("id"), request.pop("op")
        if op == "hold":
            held = {"id": number, "result": "held"}
            continue
        if op == "fail":
            print("about to fail", file=sys.stderr, flush=True)
            answer({"id": number, "error": "asked to fail"})
        elif op == "threads":
            answer({"id": number, "result": [{"id": "t1", "title": "no other field"}]})
        else:
            answer({"id": number, "result": {"op": op, **request}})
        if held is not None:
            answer(held)
            held = None


def sequential() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        if request["op"] == "slow":
            time.sleep(3)
        answer({"id": request["id"], "result": None})


def main(mode: str) -> None:
    if mode == "echo":
        echo()
        return
    if mode == "sequential":
        sequential()
        return
    sys.stdin.readline()
    if mode == "crash":
        print("boom: the driver crashed", file=sys.stderr, flush=True)
        sys.exit(3)
    if mode == "garbage":
        print("hello, this is not JSON", flush=True)
        time.sleep(30)
    if mode == "hang":
        time.sleep(60)


if __name__ == "__main__":
    main(sys.argv[1])
