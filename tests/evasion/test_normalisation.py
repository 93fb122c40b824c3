"""Evasion-robust normalisation: each seller trick is undone, genuine text is left alone."""

from __future__ import annotations

import pytest

from recallguard.matching.evasion import (
    BrandIndex,
    brand_match,
    clean_text,
    leet_variants,
    model_key,
    model_keys,
    skeleton,
    translate_product_terms,
)

BRANDS = BrandIndex(["Razor", "Joolz", "Specialized", "Graco", "Fisher-Price", "Shimano", "E-Z-GO", "Bell"])


@pytest.mark.parametrize(
    "disguised",
    [
        "Rаzоr scooter",  # Cyrillic а, о
        "R\u200baz\u200dor scoo\u2060ter",  # zero-width space, joiner, word joiner
        "\u202eRazor\u202c scooter",  # bidi override
        "ＲＡＺＯＲ ｓｃｏｏｔｅｒ",  # fullwidth
        "𝐑𝐚𝐳𝐨𝐫 scooter",  # mathematical bold
        "Rαzοr scοοter",  # Greek alpha, omicron
        "Ŕázór scooter",  # accents
        "R̸a̸z̸o̸r̸ scooter",  # combining overlays
    ],
)
def test_disguised_text_has_the_plain_skeleton(disguised: str) -> None:
    assert skeleton(disguised) == "razor scooter"


def test_genuine_foreign_words_are_not_mangled() -> None:
    assert skeleton("Детский самокат") == "детский самокат"
    assert clean_text("儿童 滑板车") == "儿童 滑板车"


def test_whole_script_lookalike_word_is_mapped() -> None:
    # every letter of "КУ" has a Latin twin: a model number typed in Cyrillic
    assert model_key("КУ-055") == model_key("KY-055")


@pytest.mark.parametrize(
    "written",
    ["KY-055", "KY055", "K Y 0 5 5", "KY.O55", "ky o55", "KY-O55", "K-Y-0-5-5", "KY 0 5 5", "ＫＹ０５５"],
)
def test_split_and_swapped_model_numbers_give_the_same_key(written: str) -> None:
    assert model_key("KY-055") in model_keys(f"Kids scooter {written} hot sale")


def test_model_keys_fold_letter_digit_swaps_both_ways() -> None:
    assert model_key("B3IO0") == model_key("83100") == model_key("B3100")
    assert model_key("S5Z2") == model_key("5522")


def test_sizes_and_years_are_not_model_numbers() -> None:
    keys = model_keys("2025 new bike 12 inch 500mAh")
    assert not {"2025", "12INCH", "500MAH"} & keys


def test_leetspeak_is_an_alternative_not_a_replacement() -> None:
    forms = leet_variants("R4z0r A5 Sc00ter")
    assert forms[0] == "R4z0r A5 Sc00ter"  # model number A5 still there
    assert "Razor" in forms[1] and "Scooter" in forms[1]


@pytest.mark.parametrize(
    ("candidate", "brand", "how"),
    [
        ("Razor", "Razor", "exact"),
        ("Fisher Price", "Fisher-Price", "exact"),
        ("E Z GO", "E-Z-GO", "exact"),
        ("Ѕресіаlіzеd", "Specialized", "homoglyph"),
        ("R4z0r", "Razor", "leetspeak"),
        ("Sepcialized", "Specialized", "misspelling"),
        ("Shimanno", "Shimano", "misspelling"),
        ("Kraco", "Graco", "sound-alike"),
        ("Разор", "Razor", "transliteration"),
    ],
)
def test_brand_disguises_are_recognised(candidate: str, brand: str, how: str) -> None:
    found, sim, found_how = brand_match(candidate, BRANDS)
    assert (found, found_how) == (brand, how)
    assert 0.7 <= sim <= 1.0


@pytest.mark.parametrize("other", ["Nike", "Samsung", "Dorel", "Joovy", "Bosch"])
def test_other_brands_are_not_taken_for_known_ones(other: str) -> None:
    assert brand_match(other, BRANDS)[0] is None


@pytest.mark.parametrize(
    ("text", "types"),
    [
        ("儿童电动滑板车 折叠", ["electric scooter"]),
        ("婴儿车 高景观", ["stroller"]),
        ("頭盔 自行車", ["helmet", "bicycle"]),
        ("ヘルメット 子供用", ["helmet"]),
        ("유모차 신생아", ["stroller"]),
        ("Casco de bicicleta para niños", ["helmet", "bicycle"]),
        ("Poussette canne légère", ["stroller"]),
        ("Kinderfahrradhelm mit Licht", ["helmet"]),
        ("Детский самокат", ["scooter"]),
        ("Seggiolino auto gruppo 1", ["car seat"]),
    ],
)
def test_foreign_product_words_translate_to_english_types(text: str, types: list[str]) -> None:
    assert translate_product_terms(text) == types


def test_english_text_and_lookalike_words_are_not_translated() -> None:
    assert translate_product_terms("bicycle helmet with light") == []
    assert translate_product_terms("Xbox controller, practical diameter") == []
