"""The classic learners of the course: learners, not optimizers.

``perceptron`` (Rosenblatt's rule), ``threshold`` (threshold units, XOR by hand, any boolean
function as a DNF network), ``stumps`` (weighted decision stumps), ``learners`` (weak
learners for boosting: stumps and a small MLP), ``boosting`` (gradient boosting for the
squared loss and the log-loss) and ``adaboost`` (AdaBoost with stumps, the exponential loss).
"""

from fnn.classic import adaboost, boosting, learners, perceptron, stumps, threshold
from fnn.classic.adaboost import AdaBoost
from fnn.classic.boosting import Boosted
from fnn.classic.learners import MLPLearner, StumpLearner
from fnn.classic.perceptron import Perceptron
from fnn.classic.stumps import Stump

__all__ = [
    "AdaBoost", "Boosted", "MLPLearner", "Perceptron", "Stump", "StumpLearner",
    "adaboost", "boosting", "learners", "perceptron", "stumps", "threshold",
]
