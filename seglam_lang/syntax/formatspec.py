"""The format-spec subset of SGL f-strings, as one regular expression.

Owns: `FORMAT_SPEC_RE`, shared by the parser (which rejects other specs at load), the
checker (which matches a spec's type letter against the value's type) and the runtime
(which implements the subset itself). Kept apart from the parser so that the checker and
the runtime do not import Lark.

Grammar: `[[fill]align][sign][0][width][,|_][.precision][type]`, width and precision of
at most three digits, type one of `d f e E g G % s x X b o`.
"""

from __future__ import annotations

import re

FORMAT_SPEC_RE = re.compile(
    r"(?:(?P<fill>.)?(?P<align>[<>^]))?(?P<sign>[-+ ])?(?P<zero>0)?(?P<width>\d{1,3})?"
    r"(?P<grouping>[,_])?(?:\.(?P<precision>\d{1,3}))?(?P<type>[dfeEgG%sxXbo])?\Z",
    re.S,
)
