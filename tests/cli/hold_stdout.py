#!/usr/bin/env python3
"""hold_stdout.py PIDFILE GATE LOG COMMAND [ARG...]

Run COMMAND with its standard output a pipe that is already full, so that
its first write blocks until this script reads: a process stopped at a
known point of its own (after whatever it does before writing), not at a
moment chosen by a timer. COMMAND's pid goes to PIDFILE once it runs; once
the file GATE exists the pipe is drained, what COMMAND wrote goes to LOG,
and the script exits with COMMAND's status (128 + N for a signal N)."""
import fcntl
import os
import subprocess
import sys
import time

pidfile, gate, log = sys.argv[1:4]
r, w = os.pipe()
fcntl.fcntl(w, fcntl.F_SETFL, os.O_NONBLOCK)
filled = 0
for size in (4096, 1):  # whole pages, then the last bytes
    try:
        while True:
            filled += os.write(w, b"\0" * size)
    except BlockingIOError:
        pass
fcntl.fcntl(w, fcntl.F_SETFL, 0)
child = subprocess.Popen(sys.argv[4:], stdout=w)
os.close(w)
with open(pidfile + ".tmp", "w") as f:
    f.write(str(child.pid))
os.rename(pidfile + ".tmp", pidfile)
while not os.path.exists(gate):
    time.sleep(0.02)
data = bytearray()
while True:
    chunk = os.read(r, 65536)
    if not chunk:
        break
    data += chunk
with open(log, "wb") as f:
    f.write(data[filled:])
status = child.wait()
sys.exit(128 - status if status < 0 else status)
