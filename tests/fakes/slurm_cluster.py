"""A single-node SLURM cluster on this machine, for tests: munge, slurmctld and slurmd
started by hand (no systemd), configured in a temporary folder, stopped by PID."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PACKAGES = ("slurmctld", "slurmd", "slurm-client", "munge")

SLURM_CONF = """\
ClusterName=w2sg-test
SlurmctldHost={host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation={dir}/state
SlurmdSpoolDir={dir}/spool
SlurmctldPidFile={dir}/slurmctld.pid
SlurmdPidFile={dir}/slurmd.pid
SlurmctldLogFile={dir}/slurmctld.log
SlurmdLogFile={dir}/slurmd.log
SlurmctldPort={ctld_port}
SlurmdPort={d_port}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MailProg=/bin/true
# above the executor plugin's longest poll interval, so finished jobs stay visible to squeue
MinJobAge=600
# else one job takes the whole node's memory
DefMemPerCPU=1000
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory_mb} State=UNKNOWN
PartitionName=main Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""


SYSTEM_CONF = Path("/etc/slurm/slurm.conf")


def unavailable_reason() -> str | None:
    """Why a cluster cannot be started here, or None. Installs the Debian packages if missing."""
    if os.geteuid() != 0:
        return "SLURM daemons must be started as root"
    if SYSTEM_CONF.exists():
        return f"{SYSTEM_CONF} exists: this machine has a SLURM of its own, which the test will not replace"
    if all(shutil.which(b) for b in ("slurmctld", "slurmd", "sbatch", "munged")):
        return None
    if shutil.which("apt-get") is None:
        return "SLURM is not installed and apt-get is not available"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *PACKAGES]
    for command in (["apt-get", "update", "-qq"], install):
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
        if result.returncode != 0:
            return f"could not install {' '.join(PACKAGES)}: {result.stderr.strip()[-500:]}"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(command: list[str], env: dict, log: Path) -> int:
    """Start a daemon in foreground mode, in a session of its own; return its PID."""
    with open(log, "a") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=out, start_new_session=True)
    return process.pid


def _wait(condition, timeout: float, what: str, logs: list[Path]) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {p}\n{p.read_text()[-2000:]}" for p in logs if p.exists())
            raise TimeoutError(f"waited {timeout} s for {what}\n{tails}")
        time.sleep(0.5)


@contextmanager
def slurm_cluster(folder: Path) -> Iterator[dict[str, str]]:
    """Run munged, slurmctld and slurmd until the block ends; yield the environment that
    points SLURM's client commands at this cluster."""
    folder.mkdir(parents=True, exist_ok=True)
    for sub in ("state", "spool"):
        (folder / sub).mkdir(exist_ok=True)
    host = socket.gethostname().split(".")[0]  # NodeName must equal `hostname -s`
    memory_mb = int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20 * 0.8)
    # job steps (srun inside a batch job) look for the config at the system path, whatever
    # SLURM_CONF says, so the test cluster's config lives there while it runs
    conf = SYSTEM_CONF
    conf.parent.mkdir(parents=True, exist_ok=True)
    conf.write_text(SLURM_CONF.format(host=host, dir=folder, ctld_port=_free_port(), d_port=_free_port(),
                                      cpus=os.cpu_count(), memory_mb=memory_mb))
    env = {**os.environ, "SLURM_CONF": str(conf)}

    # munged runs as the munge user, who cannot enter a root-only temporary folder
    run_dir = Path("/run/munge")
    run_dir.mkdir(exist_ok=True)
    shutil.chown(run_dir, "munge", "munge")
    socket_path = run_dir / f"w2sg-test-{os.getpid()}.socket"
    key = Path("/etc/munge/munge.key")
    if not key.exists():
        subprocess.run(["mungekey", "--create", f"--keyfile={key}"], check=True)
    shutil.chown(key, "munge", "munge")
    key.chmod(0o400)
    pids = []
    logs = [folder / "munged.log", folder / "slurmctld.log", folder / "slurmd.log"]
    try:
        pids.append(_start(["runuser", "-u", "munge", "--", "munged", "--foreground", f"--socket={socket_path}",
                            f"--pid-file={socket_path.with_suffix('.pid')}"], env, logs[0]))
        _wait(socket_path.exists, 30, "munged", logs)
        # slurm's auth/munge plugin finds the socket through AuthInfo
        with conf.open("a") as f:
            f.write(f"AuthInfo=socket={socket_path}\n")
        pids.append(_start(["slurmctld", "-D", "-f", str(conf)], env, logs[1]))
        pids.append(_start(["slurmd", "-D", "-f", str(conf)], env, logs[2]))

        def node_idle() -> bool:
            out = subprocess.run(["sinfo", "-h", "-o", "%t"], env=env, capture_output=True, text=True)
            return out.returncode == 0 and out.stdout.strip() == "idle"

        _wait(node_idle, 60, "the node to become idle", logs)
        yield env
    finally:
        conf.unlink(missing_ok=True)
        for pid in reversed(pids):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
