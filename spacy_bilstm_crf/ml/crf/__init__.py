"""A linear-chain CRF as one lattice per batch (`Lattice`): Viterbi, the k
best paths, and from one scaled forward-backward the likelihood and its
gradient, log Z, marginals, path and span probabilities and the entropy.
Forbidden transitions, start and end tags score -inf (`forbid`)."""
from .lattice import Lattice
from .likelihood import NLL
from .scores import Allowed, CRFScores, forbid, zero_scores

__all__ = ["Allowed", "CRFScores", "Lattice", "NLL", "forbid", "zero_scores"]
