"""The pure judging code: readings and limits in, decisions and findings out. No I/O, no pytest.

=============  ============================================================================
``stats``      robust slopes and exact rank tests for short series
``sequential`` per-look levels that keep a sequential check's overall error rates at alpha
``decision``   :class:`Decision` (finding / clear / undecided → inconclusive) and :class:`Plan`
``leak``       the leak rule: grows faster than the limit per iteration?
``paired``     A/B statistics: Hodges–Lehmann shift, signed-rank interval, the shift decision
``ab``         A/B: pairs of trial metrics → one decision per metric, the findings and messages
``objects``    the object rule: a class gaining instances in every measured iteration
``policy``     the limits of one test, parsed from options and the marker
``metrics``    a timeline reduced to numbers (start, end, peak, leak series, reclaims)
``findings``   the outcome types of a test: :class:`Finding`, :class:`Verdict`
``checks``     timeline + policy + baseline → :class:`Verdict` (every check of a test)
=============  ============================================================================

Everything pytest-facing (``plugin``, ``measure``, ``ab``'s trial protocol) imports from
here; nothing here imports them (tests/test_import_graph.py checks the layers).
"""
