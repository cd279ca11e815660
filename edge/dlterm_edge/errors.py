"""The one exception the device runtime raises for bad input or unusable files.

Its message is a single line saying what is wrong (and, where it helps, what to do), so a
command line can print it as is; dlterm's CLI turns it into its own one-line errors.
"""

from __future__ import annotations


class InferenceError(Exception):
    """Bad input or a model file that cannot be used; the message says which."""
