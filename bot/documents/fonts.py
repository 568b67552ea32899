"""The CJK font the charts and the invite cards are set in, from a pip package.

WenQuanYi Micro Hei (Apache-2.0), shipped by the ``paperang-p2-fonts-cjk`` package: a
TrueType font, which both matplotlib and reportlab can use, so no system font and no
download at run time.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path


@cache
def font_path() -> Path:
    """The packaged CJK font file (a TrueType collection; its first face is used)."""
    return Path(str(resources.files("paperang_p2_fonts_cjk").joinpath("fonts/wqy-microhei.ttc")))
