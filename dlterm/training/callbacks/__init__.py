"""Keras callbacks that connect ``model.fit`` to dlterm's run folder and event stream, one
per module: :mod:`.recorder` (events, checkpoints, the epoch commit), :mod:`.stopping`
(tie-aware early stopping), :mod:`.plateau` (resumable ReduceLROnPlateau), :mod:`.time_budget`
(``max_minutes``), :mod:`.learning_rate` (the rate each epoch used) and :mod:`.graceful`
(Ctrl+C and SIGTERM, no Keras).

Import the module you need: all but :mod:`.graceful` load TensorFlow.
"""
