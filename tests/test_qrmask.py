"""The mask pattern is the one zxing-cpp would choose: the symbols cardgen draws are exactly
the symbols zxing-cpp makes on its own, for every version and error-correction level."""

from __future__ import annotations

import random
import string
from typing import Any, cast

import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st

from cardgen.qr import encode as qr
from cardgen.qr import mask as qrmask

_DARK = bytes([1] + [0] * 255)


def zxing_alone(payload: str, level: str) -> tuple[int, bytes]:
    barcode = zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCodeModel2,
                                      ec_level=level)
    image = memoryview(cast(Any, barcode.to_image(scale=1, add_quiet_zones=False)))
    return image.shape[0], image.tobytes().translate(_DARK)


@pytest.mark.slow
@pytest.mark.parametrize("level", ["L", "M", "Q", "H"])
def test_every_version_gets_zxings_own_symbol(level: str) -> None:
    chars = string.ascii_letters + string.digits + ":/.?=&-_%"
    rng = random.Random(level)
    versions: set[int] = set()
    length = 1
    while True:
        payload = "".join(rng.choice(chars) for _ in range(length))
        try:
            expected = zxing_alone(payload, level)
        except ValueError:  # past version 40
            break
        assert qr._encode_matrix(payload, level) == expected, (level, length)
        versions.add((expected[0] - 17) // 4)
        # steps smaller than one version's extra capacity, so every version is met
        length += max(1, length // 60)
    assert versions == set(range(1, 41))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1,
               max_size=300), st.sampled_from("LMQH"))
def test_any_payload_gets_zxings_own_symbol(payload: str, level: str) -> None:
    assert qr._encode_matrix(payload, level) == zxing_alone(payload, level)


def test_alignment_centres_follow_the_standard() -> None:
    # ISO 18004 Annex E, a few rows
    assert qrmask.alignment_centres(1) == []
    assert qrmask.alignment_centres(2) == [6, 18]
    assert qrmask.alignment_centres(7) == [6, 22, 38]
    assert qrmask.alignment_centres(32) == [6, 34, 60, 86, 112, 138]
    assert qrmask.alignment_centres(40) == [6, 30, 58, 86, 114, 142, 170]


def test_a_penalty_counts_each_rule() -> None:
    size = 21
    light = bytes(size * size)
    # all light: rule 1 (21 runs of 21 in rows and columns: 2 x 21 x 19), rule 2 (20 x 20 x 3)
    # and rule 4 (50 % off half: 100); no finder-like run
    assert qrmask.penalty(qrmask.pack_symbol(light, size), size) == 2 * 21 * 19 + 1200 + 100
