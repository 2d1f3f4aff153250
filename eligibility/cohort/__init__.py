"""Cohort screening on columnar engines: the record store, trial batches compiled to SQL, DuckDB and Spark."""
