# Measures child processes for `npm run bench`: wall time and peak RSS of each run.
#
# Why Python: peak RSS of a child is only known exactly from the kernel's rusage at wait4()
# (polling /proc misses short peaks), and Node cannot wait4(). python3 is already required for
# moto. One long-lived process serves every run, so its own start-up is never measured.
#
# Protocol: one JSON request per stdin line
#   {"argv": [...], "env": {...}, "cwd": "...", "stdout": "/path/or/null", "stderr": "/path",
#    "tty": {"columns": 120, "rows": 40} or absent}
# With "tty", stdout and stderr are one pseudo-terminal of that size (as in a user's terminal);
# what the command prints there is saved to the "stdout" path.
# and one JSON answer per stdout line
#   {"ms": wall ms, "cpuMs": user+system ms, "rssKiB": peak RSS, "code": exit code or -signal}
# or {"error": "..."}.
import fcntl
import json
import os
import struct
import sys
import termios
import threading
import time


def drain(fd, path):
    """Reads the terminal's output until the child closes it (EIO), into the stdout file."""
    with open(path or os.devnull, "wb") as out:
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:
                break
            if not data:
                break
            out.write(data)


def run(req):
    argv = req["argv"]
    actions = [(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0)]
    tty = req.get("tty")
    reader = None
    if tty:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", tty.get("rows", 40), tty.get("columns", 120), 0, 0))
        actions += [(os.POSIX_SPAWN_DUP2, slave, 1), (os.POSIX_SPAWN_DUP2, slave, 2), (os.POSIX_SPAWN_CLOSE, master)]
        reader = threading.Thread(target=drain, args=(master, req.get("stdout")))
        reader.start()
    else:
        actions += [
            (os.POSIX_SPAWN_OPEN, 1, req.get("stdout") or "/dev/null", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
            (os.POSIX_SPAWN_OPEN, 2, req.get("stderr") or "/dev/null", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
        ]
    cwd = req.get("cwd")
    old = os.getcwd()
    if cwd:
        os.chdir(cwd)
    try:
        start = time.perf_counter_ns()
        pid = os.posix_spawnp(argv[0], argv, req.get("env") or dict(os.environ), file_actions=actions)
        _, status, usage = os.wait4(pid, 0)
        ms = (time.perf_counter_ns() - start) / 1e6
    finally:
        os.chdir(old)
        if tty:
            os.close(slave)
    if reader:
        reader.join()
        os.close(master)
        if req.get("stderr"):
            open(req["stderr"], "wb").close()
    code = os.waitstatus_to_exitcode(status)
    # Linux reports ru_maxrss in KiB.
    cpu_ms = (usage.ru_utime + usage.ru_stime) * 1000
    return {"ms": ms, "cpuMs": cpu_ms, "rssKiB": usage.ru_maxrss, "code": code}


for line in sys.stdin:
    if not line.strip():
        continue
    try:
        answer = run(json.loads(line))
    except Exception as e:  # report, keep serving
        answer = {"error": f"{type(e).__name__}: {e}"}
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
