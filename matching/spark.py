"""A Spark session for Splink's Spark backend, every file of it inside one folder of the home.

`foto run --engine spark` scores and clusters on `splink.backends.spark.SparkAPI`. Spark writes
working files in several places unless told: block managers and shuffle files under
`java.io.tmpdir` (`/tmp/blockmgr-*`), a `spark-warehouse` and a Derby `metastore_db` in the
working directory, Splink's lineage-breaking parquet in a checkpoint folder, jars fetched with
Ivy in `~/.ivy2`, event logs when enabled. All of them are put under `folder` (the run's folder
in the home, `assets.match`) or switched off, and the folder is removed when the stage is done:
Splink's intermediate tables hold the records' values.

Results come back as files, never through the driver: Spark writes the scored pairs and the
clusters as parquet (`hand_back`), and DuckDB reads them from there (`matching.predict`).
Collected with `toArrow`, 1.76M pairs were held in the JVM and in Python at once (an 11.8 GB
peak at a million persons in local mode), and on a cluster the driver would have had to hold
every pair of the country. The files both sides read (the records handed over, Splink's
checkpoints, the results) lie in the stage's folder, or, on a cluster, in a folder of the
configuration's `spark.shared_folder` that the driver and every executor reach.

The master, driver memory and further properties come from the configuration (`config.Spark`):
`local[2]` on one machine, a cluster's URL there (docs/scale.md).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from config import Spark
from stores.home_modes import tighten_tree

LAUNCHER_OPTS = "SPARK_LAUNCHER_OPTS"
# Spark's own log: errors only, on stderr (its default prints notes and warnings at start)
LOG4J = "log4j2.properties"
_LOG4J_TEXT = """rootLogger.level = error
rootLogger.appenderRef.stderr.ref = stderr
appender.console.type = Console
appender.console.name = stderr
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n
"""


def session_conf(folder: Path, spark: Spark) -> dict[str, str]:
    """The Spark properties of a session working in `folder` (which must exist)."""
    from splink.backends.spark import similarity_jar_location

    tmp = folder / "tmp"
    java = (f"-Djava.io.tmpdir={tmp} -Dderby.system.home={folder / 'derby'} "
            f"-Dlog4j2.configurationFile={folder / LOG4J}"
            " -XX:-UsePerfData")   # no /tmp/hsperfdata_<user>
    return {
        **spark.conf,
        "spark.master": spark.master,
        "spark.driver.memory": spark.driver_memory,
        "spark.app.name": "foto-matching",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.catalogImplementation": "in-memory",
        "spark.local.dir": str(folder / "local"),
        "spark.sql.warehouse.dir": str(folder / "warehouse"),
        "spark.jars.ivy": str(folder / "ivy"),   # `spark.jars.packages` would fetch into ~/.ivy2
        "spark.eventLog.enabled": "false",       # else /tmp/spark-events
        # Hadoop's file system writes with its own umask (022), not the process's
        "spark.hadoop.fs.permissions.umask-mode": "077",
        "spark.driver.extraJavaOptions": java,
        "spark.executor.extraJavaOptions": java,
        # Splink's similarity functions (jaro_winkler, ...) as Scala UDFs, matched to Spark 4
        "spark.jars": similarity_jar_location(),
    }


def _file_backed_api(folder: Path) -> type:
    """Splink's `SparkAPI`, but tables cross between Python and Spark as parquet files in
    `folder`, not as in-memory data: `inputs/` on the way in, `results/` on the way out
    (`hand_back`).

    `SparkAPI.register` turns an Arrow table into a DataFrame with `createDataFrame`: a
    `LocalRelation` that carries every row inside the query plan. Splink's blocking joins the
    records with themselves, and Spark's optimiser (`ConvertToLocalRelation`) then evaluates
    plan pieces over those rows in the driver, for each plan: at 44k records a 2 GB driver
    ran out of memory before the first pair was scored. Read from a file, the records are a
    scan like any table's, split into partitions; the file lies in the stage's folder and goes
    with it."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from splink.backends.spark import SparkAPI

    class FileBackedSparkAPI(SparkAPI):
        _handed = 0

        def _table_registration(self, input: Any, table_name: str) -> None:
            if isinstance(input, pa.Table):
                # numbered, not named after the table: the path holds no name from outside
                FileBackedSparkAPI._handed += 1
                path = folder / "inputs" / f"{FileBackedSparkAPI._handed:06d}.parquet"
                pq.write_table(input, path)
                path.chmod(0o600)   # owner-only, whatever the umask
                input = self.spark.read.parquet(str(path))
            super()._table_registration(input, table_name)

        def finish(self) -> None:
            """Stop Spark and its JVM now, the results being in files: in local mode the JVM
            keeps its heap resident (some 5 GB at a million persons with a 4g driver) while
            DuckDB reads the results beside it, and the two together made the stage's peak."""
            _stop_spark(self.spark)

        def hand_back(self, table: Any, name: str) -> Path:
            """Splink's table `table` written by Spark as parquet files into `results/<name>`
            (a name of foto's: `pairs`, `clusters`), owner-only; the folder's path, for DuckDB
            to read `*.parquet` in it. The executors write their partitions; nothing passes
            through the driver."""
            path = folder / "results" / name
            table.to_parquet(str(path), overwrite=True)
            tighten_tree(path)
            return path

    return FileBackedSparkAPI


def _stop_spark(session: Any) -> None:
    """Stop `session` and end the JVM pyspark started for it (it ends when its standard input
    closes, `pyspark.java_gateway`); the next session starts a JVM of its own. A JVM pyspark
    did not start (no `proc`) is left running. Stopping twice does nothing."""
    from pyspark import SparkContext

    if SparkContext._gateway is None:   # stopped already (`finish`)
        return
    session.stop()
    gateway = SparkContext._gateway
    proc = getattr(gateway, "proc", None)
    if gateway is None or proc is None:
        return
    gateway.shutdown()
    proc.stdin.close()
    proc.wait(timeout=120)
    SparkContext._gateway = None
    SparkContext._jvm = None


def exchange_folder(folder: Path, spark: Spark) -> Path:
    """Where the files driver and executors both read go: `folder` itself, or on a cluster a
    new folder of its own (owner-only, a random name) in the configured `shared_folder`."""
    if spark.shared_folder is None:
        return folder
    return Path(tempfile.mkdtemp(prefix="foto-spark-", dir=spark.shared_folder))


@contextmanager
def spark_api(folder: Path, spark: Spark) -> Iterator[Any]:
    """A `SparkAPI` on a session whose files all live in `folder` (those the executors share
    in the exchange folder, `exchange_folder`); the session is stopped and both folders
    removed on leaving."""
    from pyspark.sql import SparkSession

    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for sub in ("tmp", "local", "warehouse", "derby", "ivy"):
        (folder / sub).mkdir(exist_ok=True, mode=0o700)
    exchange = exchange_folder(folder, spark)
    for sub in ("checkpoints", "inputs", "results"):   # owner-only, whatever the umask
        (exchange / sub).mkdir(exist_ok=True, mode=0o700)
    (folder / LOG4J).write_text(_LOG4J_TEXT, encoding="utf-8")
    builder = SparkSession.builder
    for key, value in session_conf(folder, spark).items():
        builder = builder.config(key, value)
    # pyspark hands the JVM its connection details through a temporary file that Python's
    # `tempfile` places, and Spark's launcher is a JVM of its own (/tmp/hsperfdata_<user>):
    # for the launch, both are pointed at the folder.
    saved = tempfile.tempdir, os.environ.get(LAUNCHER_OPTS)
    tempfile.tempdir = str(folder / "tmp")
    os.environ[LAUNCHER_OPTS] = f"-XX:-UsePerfData -Djava.io.tmpdir={folder / 'tmp'}"
    try:
        session = builder.getOrCreate()
    finally:
        tempfile.tempdir = saved[0]
        if saved[1] is None:
            os.environ.pop(LAUNCHER_OPTS, None)
        else:
            os.environ[LAUNCHER_OPTS] = saved[1]
    session.sparkContext.setLogLevel("ERROR")
    # break_lineage_method="parquet" writes Splink's intermediate tables here (it raises
    # without a checkpoint folder)
    session.sparkContext.setCheckpointDir(str(exchange / "checkpoints"))
    logging.getLogger("py4j").setLevel(logging.WARNING)
    try:
        api = _file_backed_api(exchange)
        yield api(spark_session=session, break_lineage_method="parquet")
    finally:
        _stop_spark(session)
        shutil.rmtree(exchange, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)
