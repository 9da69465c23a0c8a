"""Data sets, preprocessing fitted on the training split, splits and minibatch order."""
