#!/usr/bin/env python3
"""Runs weft-mpi-fault under mpirun with a rank that dies (kill) or hangs (hang) before a collective and checks
that the whole job ends within 30 s, exits non-zero, and that its output names the dead or hung rank (for the
hang, also the collective). Usage: mpi_fault_test.py MPIRUN PROGRAM kill|hang NPROCS"""
import os
import subprocess
import sys
import time

mpirun, program, mode, nprocs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
env = dict(os.environ, WEFT_COLLECTIVE_TIMEOUT_S="3")
cmd = [mpirun, "--allow-run-as-root", "--oversubscribe", "-np", nprocs, program, mode]
start = time.monotonic()
try:
    run = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
except subprocess.TimeoutExpired as e:
    print((e.output or b"").decode(errors="replace"))
    sys.exit(f"FAIL: mpirun ({mode}) still running after 30 s: a rank hangs")
seconds = time.monotonic() - start
out = run.stdout.decode(errors="replace")
print(out)
print(f"mpirun ({mode}, -np {nprocs}) finished in {seconds:.1f} s with exit status {run.returncode}")
if run.returncode == 0:
    sys.exit("FAIL: mpirun exited 0; the collective must not complete without rank 1")
if mode == "hang":
    want = "rank 1 did not reach all_reduce 'step 12 'loss'' (group world: ranks "
    if want not in out or "within 3 s: it died or hangs" not in out:
        sys.exit(f"FAIL: the output does not say: {want}... within 3 s: it died or hangs")
else:
    # mpirun reports the rank it lost (its wording), or a survivor names it.
    if not any(s in out for s in ("rank 1 did not reach", "rank 1 with PID", "rank 1 ")):
        sys.exit("FAIL: the output does not name rank 1")
# No rank of the job may survive it (zombies, already dead, do not count).
ps = subprocess.run(["ps", "-eo", "pid=,stat=,args="], stdout=subprocess.PIPE).stdout.decode()
left = [line.split()[0] for line in ps.splitlines()
        if len(line.split()) >= 4 and line.split()[2] == program and line.split()[3] == mode
        and not line.split()[1].startswith("Z")]
if left:
    sys.exit(f"FAIL: processes {left} of the job are still running")
print("PASS")
