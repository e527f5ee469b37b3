"""A program that owns an Engine, sends it a request from a thread, and waits to be killed.

Usage: python owns_an_engine.py FUNCTION_FILE.  It prints the engine's pid,
then "answered" if the request (curves of FUNCTION_FILE) ever ends.
"""
import sys
import threading
import time

from gradlab.engine import CurvesRequest, Engine, EngineError, Source


def ask(engine: Engine, path: str) -> None:
    try:
        engine.request(CurvesRequest(Source(path)), timeout=3600)
    except EngineError:
        pass
    print("answered", flush=True)


if __name__ == "__main__":
    engine = Engine()
    engine.start()
    print(engine.pid, flush=True)
    threading.Thread(target=ask, args=(engine, sys.argv[1]), daemon=True).start()
    while True:
        time.sleep(1)
