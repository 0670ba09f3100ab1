"""The search terms whose matches the read table counts as it goes.

Counting every Cliente a common name finds (a tenth of a million of a
million, say) takes longer than a dispatcher should wait, each time. So a
search by text alone that finds at least KEEP_FROM Clientes has its term
kept: its matches are counted once, while the projectors wait, and from
then on each batch adds what it changes to the count. Its searches take the
total from the count and read their page in the order of the sort key's
index, a few rows in. This process learns which terms are kept as it asks.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from projections.search import ClienteQuery
from projections.view import ClientesView

logger = logging.getLogger(__name__)

KEEP_FROM = 10_000  # matches from which a term is worth keeping a count of


class KeptTerms:
    """Which terms this process knows the table keeps, and the keeping of new ones,
    one at a time in a thread of its own (the request that found it does not wait)."""

    def __init__(self, view: ClientesView, keep_from: int = KEEP_FROM) -> None:
        self.view = view
        self.keep_from = keep_from
        self.known: set[str] = set()
        self.pending: set[str] = set()
        self._keeper = ThreadPoolExecutor(1, thread_name_prefix="kept-terms")

    def knows(self, query: ClienteQuery) -> bool:
        return query.term in self.known

    def found(self, query: ClienteQuery, total: int) -> None:
        """A search found ``total`` Clientes: its term is kept if it is worth it."""
        term = query.term
        if term is None or total < self.keep_from or term in self.known or term in self.pending:
            return
        self.pending.add(term)
        self._keeper.submit(self._keep, query, term)

    def close(self) -> None:
        self._keeper.shutdown(cancel_futures=True)

    def _keep(self, query: ClienteQuery, term: str) -> None:
        try:
            if self.view.keep_count(query):
                self.known.add(term)
        except Exception:  # the search it came from was answered: nothing else is lost
            logger.warning("Could not keep the count of %r", term, exc_info=True)
        finally:
            self.pending.discard(term)
