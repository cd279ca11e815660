"""Text classification: token ids in, one class out (tokenisation happens outside the model)."""

from dlterm.tasks.classification import ClassificationTask

TASK = ClassificationTask("text-classification", "token ids in, one class out", text_input=True)
