"""The CRF lattice of one batch: made once from the emissions, the scores
(with the forbidden ones at -inf, `scores.forbid`) and the lengths, it
answers every question the component asks, each from one shared pass:

- max-product (`viterbi`): the best path, and the k best (`kbest`), from
  one forward pass over the scores as given (their dtype, float32 in use);
- sum-product (`forward_backward`): log Z, the marginals, the likelihood
  and its gradient, path and span probabilities and the entropy, from one
  scaled forward-backward in float64 over the scores divided by the
  temperature.

Each pass runs the first time something needs it. Sequences arrive
concatenated (N rows, lengths (B,), each >= 1); the passes run on the
packed layout (`packing`); every answer is in the order given.
"""
from typing import Optional, Tuple

import numpy

from ...errors import Errors
from ..packing import Packing, pack_layout
from . import forward_backward as fb
from . import probabilities
from .kbest import kbest_paths
from .likelihood import NLL, nll
from .scores import CRFScores
from .viterbi import best_paths, max_prefix_scores


class Lattice:
    def __init__(self, emissions: numpy.ndarray, lengths: numpy.ndarray, scores: CRFScores,
                 *, temperature: float = 1.0) -> None:
        """emissions (N, K) concatenated; scores with -inf where forbidden;
        temperature divides every score for the probabilities (not for
        decoding)."""
        self.emissions = emissions
        self.lengths = numpy.asarray(lengths, dtype="int64")
        self.scores = CRFScores(*scores)
        self.temperature = temperature
        self.packing: Packing = pack_layout(self.lengths)
        self._history: Optional[numpy.ndarray] = None
        self._em64: Optional[numpy.ndarray] = None
        self._scores64: Optional[CRFScores] = None
        self._pot: Optional[fb.Potentials] = None
        self._sums: Optional[fb.Sums] = None
        self._node: Optional[numpy.ndarray] = None
        self._cumulated: Optional[Tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]] = None

    # Max-product ------------------------------------------------------------

    @property
    def history(self) -> numpy.ndarray:
        """(N, K) packed: the best score of a path prefix ending in each tag."""
        if self._history is None:
            em = numpy.ascontiguousarray(self.packing.pack(self.emissions).T)  # (K, N) packed
            self._history = max_prefix_scores(em, self.packing, self.scores.transitions, self.scores.start)
        return self._history

    def viterbi(self) -> Tuple[numpy.ndarray, numpy.ndarray]:
        """The best path of each sequence: (N,) tag ids and (B,) scores.
        E070 where a sequence has no allowed path."""
        tags, best = best_paths(self.history, self.packing, self.scores)
        self._check_decodable(best)
        return self.packing.unpack(tags), self.packing.unsort(best)

    def kbest(self, k: int) -> Tuple[numpy.ndarray, numpy.ndarray]:
        """The k best valid paths: (k, N) tag ids (rows of a missing path
        repeat path 0) and (B, k) scores, best first, -inf where a sequence
        has fewer than k valid paths; path 0 is `viterbi`'s."""
        paths, scores = kbest_paths(self.history, self.packing, self.scores, k)
        self._check_decodable(scores[:, 0])
        return paths, scores

    def _check_decodable(self, best: numpy.ndarray) -> None:
        if not (best > -numpy.inf).all():
            raise ValueError(Errors.E070.format(n=int((~(best > -numpy.inf)).sum())))

    # Sum-product ------------------------------------------------------------

    @property
    def em64(self) -> numpy.ndarray:
        """(N, K) concatenated float64 emissions, divided by the temperature."""
        if self._em64 is None:
            self._em64 = self.emissions.astype(numpy.float64) / self.temperature
        return self._em64

    @property
    def scores64(self) -> CRFScores:
        """The float64 scores, divided by the temperature."""
        if self._scores64 is None:
            self._scores64 = CRFScores(*(x.astype(numpy.float64) / self.temperature for x in self.scores))
        return self._scores64

    @property
    def sums(self) -> fb.Sums:
        """The forward-backward pass (packed, scaled)."""
        if self._sums is None:
            self._pot = fb.Potentials.of(self.packing.pack(self.em64), self.scores64)
            self._sums = fb.forward_backward(self._pot, self.packing)
        return self._sums

    @property
    def log_z(self) -> numpy.ndarray:
        """(B,) log partition function (-inf or NaN: no allowed path)."""
        return self.packing.unsort(self.sums.log_z)

    @property
    def node(self) -> numpy.ndarray:
        """(N, K) packed tag marginals."""
        if self._node is None:
            self._node = fb.node_marginals(self.sums)
        return self._node

    @property
    def marginals(self) -> numpy.ndarray:
        """(N, K) P(tag k at row i), concatenated order."""
        return self.packing.unpack(self.node)

    @property
    def pair_marginals(self) -> numpy.ndarray:
        """(K, K) the expected count of every transition over the batch."""
        return fb.pair_marginals(self.sums, self._pot, self.packing)

    def nll(self, gold: numpy.ndarray) -> NLL:
        """Summed negative log-likelihood of the gold tag ids (N,)
        (concatenated, -1 where missing) and its gradient: d_em (N, K)
        concatenated, d_transitions, d_start, d_end. E417 where the gold
        side or the lattice has no allowed path."""
        sums = self.sums
        out = nll(self.packing.pack(self.em64), self.packing, self.scores64,
                  self.packing.pack(numpy.asarray(gold, dtype="int64")), sums, self._pot)
        return out._replace(d_em=self.packing.unpack(out.d_em))

    def path_log_probs(self, paths: numpy.ndarray, valid: numpy.ndarray, *, entropy: bool = False
                       ) -> Tuple[numpy.ndarray, Optional[numpy.ndarray]]:
        """log P(path) for (k, N) paths (-inf where `valid` (B, k) is False)
        and, if asked, each sequence's entropy (nats)."""
        log_z = self._decodable_log_z()
        total = probabilities.path_scores(self.em64, self.packing, self.scores64, paths)
        log_p = numpy.where(valid, total - log_z[:, None], -numpy.inf)
        ent = None
        if entropy:
            ent = probabilities.entropy(self.packing.pack(self.em64), self.scores64, self.sums, self.node,
                                        self._pot, self.packing, log_z)
        return log_p, ent

    def span_log_probs(self, tags: numpy.ndarray, spans: numpy.ndarray,
                       continuation: Optional[numpy.ndarray] = None) -> numpy.ndarray:
        """(S,) log-probability of each labelled span (sequence, start, end)
        of the path `tags` (N,); see `probabilities.span_log_probs`."""
        if len(spans) == 0:
            return numpy.zeros((0,))
        log_z = self._decodable_log_z()
        return probabilities.span_log_probs(
            self.em64, self.lengths, self.scores64.transitions, numpy.asarray(tags, dtype="int64"), spans,
            continuation, self.log_alpha, self.log_beta, log_z,
        )

    def _decodable_log_z(self) -> numpy.ndarray:
        log_z = self.log_z
        if not numpy.isfinite(log_z).all():
            raise ValueError(Errors.E070.format(n=int((~numpy.isfinite(log_z)).sum())))
        return log_z

    def log_alpha(self, rows: numpy.ndarray, tags: numpy.ndarray) -> numpy.ndarray:
        """log alpha of these tags at these concatenated rows."""
        packed, cum_alpha, _ = self._logs
        with numpy.errstate(divide="ignore"):
            return numpy.log(self.sums.alpha[packed[rows], tags]) + cum_alpha[packed[rows]]

    def log_beta(self, rows: numpy.ndarray, tags: numpy.ndarray) -> numpy.ndarray:
        """log beta of these tags at these concatenated rows."""
        packed, _, cum_beta = self._logs
        with numpy.errstate(divide="ignore"):
            return numpy.log(self.sums.beta[packed[rows], tags]) + cum_beta[packed[rows]]

    @property
    def _logs(self) -> Tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
        """The packed row of each concatenated row, and the logs of the
        scales each row's alpha and beta carry (`forward_backward.cumulative`)."""
        if self._cumulated is None:
            inverse = numpy.empty_like(self.packing.index)
            inverse[self.packing.index] = numpy.arange(len(inverse))
            sums = self.sums
            self._cumulated = (
                inverse,
                fb.cumulative(sums.alpha_logs, self.packing),
                fb.cumulative(sums.beta_logs, self.packing, reverse=True),
            )
        return self._cumulated
