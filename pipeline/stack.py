"""The local stack: a real Kafka broker and a real Elasticsearch node as JVM processes.

Both are resolved by Maven from the poms under `stack/` (Maven Central only, cached in ~/.m2),
run on 127.0.0.1 with modest heaps, and keep their data, logs and pid files under `.stack/`.
`down` stops only the processes whose pid files `up` wrote, after checking that each pid is
still the process it started.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipeline.retrying import wait_until
from pipeline.settings import REPO_ROOT

STACK_DIR = REPO_ROOT / "stack"
STATE_DIR = Path(os.environ.get("WIRESTREAM_STACK_DIR", REPO_ROOT / ".stack"))


class StackError(RuntimeError):
    """A service could not be built, started or stopped; the message says what to do."""


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    running: bool
    pid: int | None
    address: str
    rss_mb: float | None
    detail: str = ""


@dataclass(frozen=True)
class Service:
    name: str
    port: int
    heap: str
    main_class: str
    start_timeout: float

    @property
    def home(self) -> Path:
        return STATE_DIR / self.name

    @property
    def pid_file(self) -> Path:
        return self.home / "pid"

    @property
    def log_file(self) -> Path:
        return self.home / f"{self.name}.log"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    # -- overridden per service -------------------------------------------------------------
    def classpath(self, log: Callable[[str], None]) -> str:
        raise NotImplementedError

    def prepare(self, classpath: str) -> list[str]:
        """Create the data folders; return the program arguments after the main class."""
        raise NotImplementedError

    def healthy(self) -> bool:
        raise NotImplementedError

    # -- shared -------------------------------------------------------------------------------
    def pid(self) -> int | None:
        """The pid from our pid file, if that process is still the one we started."""
        try:
            pid = int(self.pid_file.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            return None
        ours = self.main_class.encode() in cmdline and any(str(self.home).encode() in part for part in cmdline)
        return pid if ours else None

    def status(self) -> ServiceStatus:
        pid = self.pid()
        rss = rss_mb(pid) if pid else None
        if pid and self.healthy():
            return ServiceStatus(self.name, True, pid, self.address, rss)
        if pid:
            return ServiceStatus(self.name, False, pid, self.address, rss, "started, not answering yet")
        if port_open(self.port):
            return ServiceStatus(self.name, False, None, self.address, None, "port taken by a process not started here")
        return ServiceStatus(self.name, False, None, self.address, None, "stopped")

    def up(self, log: Callable[[str], None]) -> float:
        """Start the service unless it runs already; returns the seconds it took."""
        started = time.monotonic()
        if self.pid() and self.healthy():
            log(f"{self.name}: already running on {self.address} (pid {self.pid()})")
            return 0.0
        if not self.pid() and port_open(self.port):
            raise StackError(
                f"{self.name}: port {self.port} is in use by a process this stack did not start; stop it first"
            )
        process = None
        if not self.pid():
            classpath = self.classpath(log)
            args = self.prepare(classpath)
            command = [_java(), f"-Xms{self.heap}", f"-Xmx{self.heap}", "-XX:+UseG1GC", "-cp", classpath,
                       f"-Dwirestream.home={self.home}", *self.jvm_options(), self.main_class, *args]
            with self.log_file.open("ab") as out:
                process = subprocess.Popen(
                    command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                    cwd=self.home, start_new_session=True,
                )
            self.pid_file.write_text(str(process.pid))
            log(f"{self.name}: starting (pid {process.pid}), log in {self.log_file}")

        def ready() -> bool:
            if self.healthy():
                return True
            if process.poll() is not None if process else not self.pid():
                raise StackError(f"{self.name}: exited during start-up; last lines of {self.log_file}:\n{_tail(self.log_file)}")
            return False

        try:
            wait_until(ready, self.start_timeout, f"{self.name} start")
        except TimeoutError:
            raise StackError(f"{self.name}: not ready after {self.start_timeout:.0f} s; see {self.log_file}") from None
        took = time.monotonic() - started
        log(f"{self.name}: ready on {self.address} in {took:.1f} s")
        return took

    def jvm_options(self) -> list[str]:
        return []

    def down(self, log: Callable[[str], None], timeout: float = 60) -> None:
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            log(f"{self.name}: not running")
            return
        os.kill(pid, signal.SIGTERM)
        try:
            wait_until(lambda: not alive(pid), timeout, f"{self.name} stop", interval_s=0.2)
        except TimeoutError:
            log(f"{self.name}: did not stop within {timeout:.0f} s, killing pid {pid}")
            os.kill(pid, signal.SIGKILL)
            wait_until(lambda: not alive(pid), 30, f"{self.name} kill", interval_s=0.1)
        self.pid_file.unlink(missing_ok=True)
        log(f"{self.name}: stopped (pid {pid})")


class Kafka(Service):
    def __init__(self) -> None:
        super().__init__("kafka", 9092, "512m", "kafka.Kafka", start_timeout=90)

    def classpath(self, log: Callable[[str], None]) -> str:
        pom = STACK_DIR / "kafka" / "pom.xml"
        out = self.home / "classpath.txt"
        self.home.mkdir(parents=True, exist_ok=True)
        if not _fresh(out, [pom]):
            log("kafka: resolving jars with Maven (first run only)")
            _maven(["-f", str(pom), "dependency:build-classpath", f"-Dmdep.outputFile={out}"])
        return out.read_text().strip()

    def prepare(self, classpath: str) -> list[str]:
        data = self.home / "data"
        properties = self.home / "server.properties"
        template = (STACK_DIR / "kafka" / "server.properties").read_text()
        properties.write_text(template + f"log.dirs={data}\n")
        if not (data / "meta.properties").exists():
            _run([_java(), "-cp", classpath, "kafka.tools.StorageTool", "format",
                  f"--cluster-id={cluster_id()}", f"--config={properties}"], f"kafka: formatting {data} failed", self.home)
        return [str(properties)]

    def jvm_options(self) -> list[str]:
        return [f"-Dlog4j2.configurationFile={STACK_DIR / 'kafka' / 'log4j2.yaml'}"]

    def healthy(self) -> bool:
        if not port_open(self.port):
            return False
        from kafka import KafkaAdminClient
        from kafka.errors import KafkaError

        try:
            admin = KafkaAdminClient(bootstrap_servers=self.address, request_timeout_ms=3000,
                                     bootstrap_timeout_ms=3000, client_id="wirestream-stack")
        except (KafkaError, OSError):
            return False
        try:
            admin.list_topics()
            return True
        except (KafkaError, OSError):
            return False
        finally:
            admin.close()


class Elasticsearch(Service):
    def __init__(self) -> None:
        super().__init__("elasticsearch", 9200, "1g", "io.wirestream.stack.ElasticsearchNode", start_timeout=180)

    def classpath(self, log: Callable[[str], None]) -> str:
        project = STACK_DIR / "elasticsearch"
        target = project / "target"
        out = target / "classpath.txt"
        sources = [project / "pom.xml", *sorted((project / "src").rglob("*.java"))]
        if not _fresh(out, sources):
            log("elasticsearch: resolving jars and building the launcher with Maven (first run only)")
            _maven(["-f", str(project / "pom.xml"), "package", "-DskipTests"])
        return f"{target / 'classes'}{os.pathsep}{out.read_text().strip()}"

    def prepare(self, classpath: str) -> list[str]:
        self.home.mkdir(parents=True, exist_ok=True)
        return [str(self.home), str(self.port)]

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(
                f"http://{self.address}/_cluster/health?wait_for_status=yellow&timeout=1s", timeout=3
            ) as response:
                return json.load(response).get("status") in ("yellow", "green")
        except (OSError, ValueError):
            return False


SERVICES: tuple[Service, ...] = (Kafka(), Elasticsearch())


def up(log: Callable[[str], None] = print) -> dict[str, float]:
    """Start every service (idempotent); returns seconds per service."""
    return {service.name: service.up(log) for service in SERVICES}


def down(log: Callable[[str], None] = print) -> None:
    """Stop the services this stack started (and the newsroom page a demo left), Elasticsearch first."""
    from pipeline.newsroom import background

    background.stop(log)
    for service in reversed(SERVICES):
        service.down(log)


def status() -> list[ServiceStatus]:
    return [service.status() for service in SERVICES]


def cluster_id() -> str:
    """A random KRaft cluster id, made as Kafka's own `Uuid.randomUuid` makes one: never starting
    with "-", which the storage tool's argument parser would read as an option (one id in 64)."""
    while True:
        candidate = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not candidate.startswith("-"):
            return candidate


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    java = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if not java or not Path(java).exists():
        raise StackError("java not found: install a JDK 17 or newer, or set JAVA_HOME")
    return java


def _maven(args: list[str]) -> None:
    mvn = shutil.which("mvn")
    if not mvn:
        raise StackError("mvn not found: install Apache Maven 3.8 or newer")
    _run([mvn, "-q", "-B", *args], f"Maven failed ({' '.join(args)})")


def _run(command: list[str], failure: str, cwd: Path | None = None) -> None:
    result = subprocess.run(command, capture_output=True, text=True, cwd=cwd)
    if result.returncode != 0:
        raise StackError(f"{failure}:\n{(result.stdout + result.stderr)[-3000:]}")


def _fresh(output: Path, inputs: list[Path]) -> bool:
    if not output.exists():
        return False
    built = output.stat().st_mtime
    if any(path.stat().st_mtime > built for path in inputs):
        return False
    # The Maven cache may have been cleaned since.
    return all(Path(jar).exists() for jar in output.read_text().strip().split(os.pathsep) if jar)


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def rss_mb(pid: int, children: bool = False) -> float | None:
    """The resident memory of a process, from /proc, in MB; None once it is gone. With `children`,
    its child processes' too (a worker's model process)."""
    try:
        mb = next(int(line.split()[1]) / 1024 for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                  if line.startswith("VmRSS:"))
    except (OSError, StopIteration):
        return None
    return mb + sum(rss_mb(kid, children=True) or 0.0 for kid in (child_pids(pid) if children else []))


def cpu_seconds(pid: int) -> float | None:
    """The CPU time (user + system, all threads) a process has used, from /proc; None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_queue_seconds(pid: int) -> float | None:
    """The time a process's threads have spent ready to run but waiting for a CPU (Linux's
    schedstat); None once it is gone or where the system does not say."""
    try:
        return sum(int(Path(f"/proc/{pid}/task/{thread}/schedstat").read_text().split()[1])
                   for thread in os.listdir(f"/proc/{pid}/task")) / 1e9
    except (OSError, IndexError, ValueError):
        return None


def child_pids(pid: int) -> list[int]:
    """A process's child processes (a worker's model process)."""
    try:
        return [int(kid) for kid in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
