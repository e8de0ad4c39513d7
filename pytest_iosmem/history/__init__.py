"""The memory history of the main branch: a store of every recorded run, and creep judged over it.

``store.py`` keeps runs (SQLite file by default, PostgreSQL when a team shares one; one schema,
one migration list), ``records.py`` turns results and JSON reports into rows, ``creep.py`` is the
pure judging (change points, the cumulative change since a reference), ``gate.py`` is the
plugin's glue (append at the end of a run, the creep check of a test, a history that cannot be
reached warns).  See docs/ci.md ("History and creep").
"""
