"""A worker's warm-up (harborreg.warmup, run by wsgi.py in every worker, and by runserver in
`make run`) says nothing on the console: a newcomer's first screen has no warning to puzzle
over."""

import logging
import warnings

from harborreg.warmup import warm_up


def test_the_warm_up_runs_without_a_warning(caplog, settings):
    settings.DEBUG = True  # as in `make run`: Django warns about some template mistakes only then
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        warm_up()
    assert [str(w.message) for w in caught] == []
    assert caplog.records == []
