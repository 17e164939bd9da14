"""Standardisation: Dutch rules (names, tussenvoegsels, BSN, dates, addresses) as DuckDB SQL
macros and one query per source that turns its raw table into canonical records."""
