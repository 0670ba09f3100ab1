"""The search terms whose matches the read table counts as it goes.

Counting every Cliente a common name finds (a tenth of a million of a
million, say) takes longer than a dispatcher should wait, each time. So a
search by text alone that finds at least KEEP_FROM Clientes has its term
kept: its matches are counted once, while the projectors wait, and from
then on each batch adds what it changes to the count. Its searches take the
total from the count and read their page in the order of the sort key's
index, a few rows in. A process reads which terms are kept when it starts,
and learns of those kept later as it asks.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future, ThreadPoolExecutor

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
        self.pending: dict[str, Future[bool]] = {}
        self._keeper = ThreadPoolExecutor(1, thread_name_prefix="kept-terms")

    def learn(self) -> None:
        """Learns the terms the table keeps already (at start: a restart is not cold)."""
        try:
            self.known.update(self.view.kept_counts())
        except Exception:  # the store is away: terms are learned as searches come
            logger.warning("Could not read the kept search terms", exc_info=True)

    async def kept(self, query: ClienteQuery) -> bool:
        """Whether the table keeps the count of the query's term. While it is being
        kept, once it is: the searches that come meanwhile wait for that one count
        rather than each make their own."""
        term = query.term
        if term is None:
            return False
        if term in self.known:
            return True
        keeping = self.pending.get(term)
        if keeping is None:
            return False
        # Shielded: a search given up on does not cancel what the others wait for.
        return await asyncio.shield(asyncio.wrap_future(keeping))

    def found(self, query: ClienteQuery, total: int) -> None:
        """A search found ``total`` Clientes: its term is kept if it is worth it."""
        term = query.term
        if term is None or total < self.keep_from or term in self.known or term in self.pending:
            return
        keeping = self._keeper.submit(self._keep, query, term)
        self.pending[term] = keeping
        keeping.add_done_callback(lambda _: self.pending.pop(term, None))

    def close(self) -> None:
        self._keeper.shutdown(cancel_futures=True)

    def _keep(self, query: ClienteQuery, term: str) -> bool:
        try:
            if self.view.keep_count(query):
                self.known.add(term)
                return True
        except Exception:  # the search it came from was answered: nothing else is lost
            logger.warning("Could not keep the count of %r", term, exc_info=True)
        return False
