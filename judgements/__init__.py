"""People's decisions on record pairs, kept apart from every run: the judgement store
(`judgements.store`), what `foto judge` accepts (`judgements.intake`), what a judgement records
of the publication it was made on (`judgements.evidence`), and the current state as the
warehouse table `judgements` (`judgements.warehouse`).

Below every stage that reads the table (persons) and above `sources`, whose registry says which
source names a key may carry. Plain Python and SQLAlchemy: no Dagster here."""
