"""Running the batch queries on Apache Spark: the store's tables as Spark views, the SQL transpiled by sqlglot.

Local mode by default (``local[2]``); give a master URL for a cluster. ``pyspark`` is the optional extra
``eligibility[spark]`` and needs a Java runtime.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

from sqlglot import exp

from eligibility.cohort.store import SCHEMA
from eligibility.errors import EligibilityError

DEFAULT_MASTER = "local[2]"
LOCAL_SETTINGS = {
    "spark.sql.session.timeZone": "UTC",  # dates compare as calendar days, whatever the machine's zone
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "8",  # a few cores: 200 tiny tasks cost more; 4 ran out of memory at 100,000
    "spark.sql.adaptive.enabled": "true",
    "spark.driver.memory": "6g",  # local mode runs in the driver (read when the JVM starts); 2g failed at 100,000
}


def spark_session(master: str | None = None):
    """A SparkSession (the active one when there is one), quiet and with the session time zone set to UTC."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EligibilityError(
            "--engine spark needs pyspark", hint="pip install 'eligibility[spark]' (and a Java runtime)"
        ) from None
    builder = SparkSession.builder.master(master or DEFAULT_MASTER).appName("eligibility")
    for key, value in LOCAL_SETTINGS.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


class SparkRunner:
    """Runs batch queries on a SparkSession over a record store's tables."""

    def __init__(self, session, keep: tempfile.TemporaryDirectory | None = None) -> None:
        self.session = session
        self._keep = keep  # the Parquet files behind the views live as long as the runner

    @classmethod
    def from_duckdb(cls, connection, master: str | None = None, session=None) -> SparkRunner:
        """The tables of a DuckDB store exported to Parquet and registered as Spark temporary views."""
        session = session or spark_session(master)
        folder = tempfile.TemporaryDirectory(prefix="eligibility-spark-")
        for name in SCHEMA:
            path = Path(folder.name) / f"{name}.parquet"
            connection.execute(f"COPY {name} TO '{path}' (FORMAT PARQUET)")
            session.read.parquet(str(path)).createOrReplaceTempView(name)
        return cls(session, folder)

    def sql(self, select: exp.Select) -> str:
        """The query in Spark SQL."""
        return select.sql(dialect="spark")

    def frame(self, select: exp.Select):
        """The query as a Spark DataFrame (parsed and analysed, not run)."""
        return self.session.sql(self.sql(select))

    def rows(self, select: exp.Select) -> Iterator[dict]:
        """The query's rows as dicts, streamed to the driver in order."""
        for row in self.frame(select).toLocalIterator():
            yield row.asDict()

    def close(self) -> None:
        """Drop the views and their Parquet files (the session stays up)."""
        for name in SCHEMA:
            self.session.catalog.dropTempView(name)
        if self._keep is not None:
            self._keep.cleanup()
