"""Tests for kokin.formats.kana: Zengin name normalisation.

The rules are those of formats.md, section "Characters allowed in name fields".
"""

from __future__ import annotations

import pickle

import jaconv
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kokin.formats.charset import ZENGIN_CHARS
from kokin.formats.kana import (
    ENTITY_ABBREVIATIONS,
    NameConversionError,
    NormalisedName,
    normalise_name,
)


def norm(text: str, length: int | None = None, allowed: frozenset[str] = ZENGIN_CHARS) -> str:
    return normalise_name(text, length=length, allowed=allowed).value


# --- jaconv behaviour the module relies on -------------------------------------------------------


def test_jaconv_z2h_splits_voiced_kana_and_keeps_small_kana_small() -> None:
    assert jaconv.z2h("ガパヴ", kana=True) == "ｶﾞﾊﾟｳﾞ"
    assert jaconv.z2h("ァッャ", kana=True) == "ｧｯｬ"  # hence our own small → large rule
    assert jaconv.hira2kata("がっこう") == "ガッコウ"


# --- character rules -----------------------------------------------------------------------------


def test_full_width_letters_digits_and_space_become_half_width() -> None:
    assert norm("ＡＢＣ　１２３") == "ABC 123"


def test_full_width_kana_become_half_width() -> None:
    assert norm("アイウエオ　カキクケコ　ワヲン") == "ｱｲｳｴｵ ｶｷｸｹｺ ﾜｦﾝ"


def test_hiragana_become_katakana() -> None:
    assert norm("やまだ　たろう") == "ﾔﾏﾀﾞ ﾀﾛｳ"
    assert norm("を") == "ｦ"


def test_lower_case_becomes_upper_case() -> None:
    assert norm("abc xyz") == "ABC XYZ"
    assert norm("ａｂｃ ｘｙｚ") == "ABC XYZ"


@pytest.mark.parametrize(
    ("small", "large"),
    [
        ("ｧｨｩｪｫｬｭｮｯ", "ｱｲｳｴｵﾔﾕﾖﾂ"),
        ("ァィゥェォャュョッ", "ｱｲｳｴｵﾔﾕﾖﾂ"),
        ("ぁぃぅぇぉゃゅょっ", "ｱｲｳｴｵﾔﾕﾖﾂ"),
        ("ヮゎ", "ﾜﾜ"),
        ("ヶゖ", "ｹｹ"),
        ("ヵゕ", "ｶｶ"),
    ],
)
def test_small_kana_become_large(small: str, large: str) -> None:
    assert norm(small) == large


def test_small_kana_inside_names_become_large() -> None:
    assert norm("キャノン") == "ｷﾔﾉﾝ"
    assert norm("ほっかいどう") == "ﾎﾂｶｲﾄﾞｳ"


def test_old_kana_wi_and_we_become_i_and_e() -> None:
    assert norm("ヰヱゐゑ") == "ｲｴｲｴ"


@pytest.mark.parametrize("mark", ["ー", "ｰ", "－", "−", "‐"])
def test_long_vowel_and_dashes_become_hyphen(mark: str) -> None:
    assert norm(f"コ{mark}ヒ{mark}") == "ｺ-ﾋ-"


@pytest.mark.parametrize("dot", ["・", "･", "．"])
def test_middle_dot_becomes_period(dot: str) -> None:
    assert norm(f"ジョン{dot}スミス") == "ｼﾞﾖﾝ.ｽﾐｽ"


def test_voiced_kana_split_into_base_and_mark() -> None:
    assert norm("ガギグゲゴ") == "ｶﾞｷﾞｸﾞｹﾞｺﾞ"
    assert norm("パピプペポ") == "ﾊﾟﾋﾟﾌﾟﾍﾟﾎﾟ"
    assert norm("ヴゔ") == "ｳﾞｳﾞ"
    assert norm("ヷヸヹヺ") == "ﾜﾞｲﾞｴﾞｦﾞ"


def test_combining_and_spacing_voice_marks_become_half_width_marks() -> None:
    assert norm("カ\u3099ハ\u309a") == "ｶﾞﾊﾟ"
    assert norm("カ゛ハ゜") == "ｶﾞﾊﾟ"


@pytest.mark.parametrize(
    ("full", "half"),
    [("（）", "()"), ("－", "-"), ("．", "."), ("／", "/"), ("，", ","), ("「」", "｢｣"), ("＼", "\\")],
)
def test_full_width_allowed_symbols_become_half_width(full: str, half: str) -> None:
    assert norm(full) == half


@pytest.mark.parametrize("yen", ["¥", "￥", "\\"])
def test_yen_signs_become_backslash_byte(yen: str) -> None:
    value = norm(f"ﾔﾏﾀﾞ{yen}")
    assert value == "ﾔﾏﾀﾞ\\"
    assert value.encode("cp932")[-1] == 0x5C


def test_spaces_collapse_and_strip() -> None:
    assert norm("  ﾔﾏﾀﾞ \u3000  ﾀﾛｳ\u3000 ") == "ﾔﾏﾀﾞ ﾀﾛｳ"
    assert norm(" \u3000 ") == ""
    assert norm("") == ""


def test_already_zengin_text_is_unchanged() -> None:
    text = "ｶ)ﾔﾏﾀﾞ(ｶ)ｼﾃﾝ ABC-123 ./,｢｣\\ﾞﾟｦ"
    assert norm(text) == text


# --- legal-entity words --------------------------------------------------------------------------


@pytest.mark.parametrize(("word", "abbr"), sorted(ENTITY_ABBREVIATIONS.items()))
def test_entity_word_at_start_becomes_abbreviation_and_paren(word: str, abbr: str) -> None:
    assert norm(f"{word}ヤマダ") == f"{abbr})ﾔﾏﾀﾞ"


@pytest.mark.parametrize(("word", "abbr"), sorted(ENTITY_ABBREVIATIONS.items()))
def test_entity_word_at_end_becomes_paren_and_abbreviation(word: str, abbr: str) -> None:
    assert norm(f"ヤマダ{word}") == f"ﾔﾏﾀﾞ({abbr}"


@pytest.mark.parametrize(("word", "abbr"), sorted(ENTITY_ABBREVIATIONS.items()))
def test_entity_word_in_middle_becomes_abbreviation_in_parens(word: str, abbr: str) -> None:
    assert norm(f"ヤマダ{word}シテン") == f"ﾔﾏﾀﾞ({abbr})ｼﾃﾝ"


def test_entity_table_has_every_word_of_formats_md() -> None:
    assert len(ENTITY_ABBREVIATIONS) == 19


def test_longer_entity_word_wins_over_the_word_it_contains() -> None:
    assert norm("地方独立行政法人ヤマダ") == "ﾁﾄﾞｸ)ﾔﾏﾀﾞ"
    assert norm("独立行政法人ヤマダ") == "ﾄﾞｸ)ﾔﾏﾀﾞ"
    assert norm("ヤマダ地方独立行政法人") == "ﾔﾏﾀﾞ(ﾁﾄﾞｸ"


def test_spaces_next_to_entity_words_are_dropped() -> None:
    assert norm("株式会社　ヤマダ") == "ｶ)ﾔﾏﾀﾞ"
    assert norm("ヤマダ 株式会社 ") == "ﾔﾏﾀﾞ(ｶ"
    assert norm("ヤマダ　株式会社　シテン") == "ﾔﾏﾀﾞ(ｶ)ｼﾃﾝ"


def test_entity_word_alone_takes_the_start_form() -> None:
    assert norm("株式会社") == "ｶ)"


def test_abbreviated_entity_forms_pass_through() -> None:
    assert norm("ｶ)ﾔﾏﾀﾞ") == "ｶ)ﾔﾏﾀﾞ"
    assert norm("カ）ヤマダ") == "ｶ)ﾔﾏﾀﾞ"
    assert norm("ｻﾞｲ)ﾔﾏﾀﾞｷｷﾝ") == "ｻﾞｲ)ﾔﾏﾀﾞｷｷﾝ"


def test_entity_words_combine_with_kana_conversion() -> None:
    assert norm("社会福祉法人　さくらかい") == "ﾌｸ)ｻｸﾗｶｲ"
    assert norm("きゃのん株式会社") == "ｷﾔﾉﾝ(ｶ"


# --- errors --------------------------------------------------------------------------------------


def test_unconvertible_kanji_is_reported_with_position_and_messages() -> None:
    with pytest.raises(NameConversionError) as info:
        normalise_name("ヤマ漢ダ")
    exc = info.value
    assert exc.text == "ヤマ漢ダ"
    assert exc.char == "漢"
    assert exc.position == 2
    assert exc.message_ja == "「漢」(3文字目) は全銀協の文字に変換できません"
    assert exc.message_en == '"漢" (character 3) cannot be converted to the Zengin character set'
    assert str(exc) == f"{exc.message_ja} / {exc.message_en}"
    assert isinstance(exc, ValueError)


@pytest.mark.parametrize(
    ("text", "char", "position"),
    [
        ("ﾔﾏﾀﾞ&ｿﾝｽﾞ", "&", 4),
        ("ＡＢ＆Ｃ", "＆", 2),
        ("A@B", "@", 1),
        ("ﾔﾏﾀﾞ😀", "😀", 4),
        ("ヤマダ商店", "商", 3),
        ("ゝ", "ゝ", 0),
        ("Ä", "Ä", 0),
        ("ﾔﾏﾀﾞ_", "_", 4),
        ("ﾔﾏﾀﾞ~", "~", 4),
        ("コ〜ヒ", "〜", 1),
        ("ヤマダ。", "。", 3),
    ],
)
def test_unconvertible_characters_raise_naming_the_character(text: str, char: str, position: int) -> None:
    with pytest.raises(NameConversionError) as info:
        normalise_name(text)
    assert (info.value.char, info.value.position) == (char, position)
    assert f"「{char}」({position + 1}文字目)" in info.value.message_ja
    assert f'"{char}" (character {position + 1})' in info.value.message_en


def test_first_offending_character_is_reported() -> None:
    with pytest.raises(NameConversionError) as info:
        normalise_name("ｱ&ｲ@ｳ漢")
    assert (info.value.char, info.value.position) == ("&", 1)


def test_position_counts_input_characters_after_an_entity_word() -> None:
    with pytest.raises(NameConversionError) as info:
        normalise_name("株式会社 ヤマダ商店")
    assert (info.value.char, info.value.position) == ("商", 8)


def test_unprintable_character_is_shown_as_code_point() -> None:
    with pytest.raises(NameConversionError) as info:
        normalise_name("ﾔﾏﾀﾞ\tﾀﾛｳ")
    assert info.value.char == "\t"
    assert info.value.position == 4
    assert "「U+0009」(5文字目)" in info.value.message_ja


def test_over_long_name_raises_without_truncate() -> None:
    with pytest.raises(NameConversionError) as info:
        normalise_name("ヤマダタロウ", length=5)
    exc = info.value
    assert exc.char is None
    assert exc.position is None
    assert exc.message_ja == "「ﾔﾏﾀﾞﾀﾛｳ」は7バイトで、上限の5バイトを超えています"
    assert exc.message_en == '"ﾔﾏﾀﾞﾀﾛｳ" is 7 bytes, longer than the limit of 5'
    assert str(exc) == f"{exc.message_ja} / {exc.message_en}"


def test_voice_marks_count_toward_length() -> None:
    assert norm("ガギグ", length=6) == "ｶﾞｷﾞｸﾞ"
    with pytest.raises(NameConversionError):
        normalise_name("ガギグ", length=5)


def test_error_survives_pickling() -> None:
    with pytest.raises(NameConversionError) as info:
        normalise_name("漢")
    clone = pickle.loads(pickle.dumps(info.value))
    assert (clone.char, clone.position, str(clone)) == ("漢", 0, str(info.value))


def test_negative_length_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="negative"):
        normalise_name("ｱ", length=-1)


# --- truncation ----------------------------------------------------------------------------------


def test_truncation_cuts_to_length_and_reports_what_was_dropped() -> None:
    result = normalise_name("ヤマダタロウ", length=5, truncate=True)
    assert result == NormalisedName("ﾔﾏﾀﾞﾀ", "ヤマダタロウ", truncated=True, dropped="ﾛｳ")


def test_truncation_never_separates_a_kana_from_its_voice_mark() -> None:
    result = normalise_name("ヤマダ", length=3, truncate=True)
    assert result.value == "ﾔﾏ"
    assert result.dropped == "ﾀﾞ"


def test_truncation_drops_trailing_space() -> None:
    result = normalise_name("ヤマダ タロウ", length=5, truncate=True)
    assert (result.value, result.dropped) == ("ﾔﾏﾀﾞ", " ﾀﾛｳ")


def test_name_that_fits_is_not_truncated() -> None:
    result = normalise_name("やまだ", length=4, truncate=True)
    assert result == NormalisedName("ﾔﾏﾀﾞ", "やまだ", truncated=False, dropped="")


# --- per-bank character sets ---------------------------------------------------------------------


def test_narrower_allowed_set_rejects_converted_character() -> None:
    no_comma = ZENGIN_CHARS - {","}
    with pytest.raises(NameConversionError) as info:
        normalise_name("ﾔﾏﾀﾞ，ﾀﾛｳ", allowed=no_comma)
    exc = info.value
    assert (exc.char, exc.position) == ("，", 4)
    assert exc.message_ja == "「，」(5文字目) はこの銀行の文字セットでは使えません"
    assert exc.message_en == '"，" (character 5) is not allowed by this bank\'s character set'


def test_narrower_allowed_set_rejects_entity_form_at_the_entity_word() -> None:
    no_parens = ZENGIN_CHARS - {"(", ")"}
    with pytest.raises(NameConversionError) as info:
        normalise_name("ヤマダ株式会社", allowed=no_parens)
    assert (info.value.char, info.value.position) == ("株", 3)


def test_wider_allowed_set_accepts_extra_character() -> None:
    assert norm("ﾔﾏﾀﾞ&ｿﾝｽﾞ", allowed=ZENGIN_CHARS | {"&"}) == "ﾔﾏﾀﾞ&ｿﾝｽﾞ"
    assert norm("Ａ＆Ｂ", allowed=ZENGIN_CHARS | {"&"}) == "A&B"


def test_allowed_character_outside_cp932_is_still_rejected() -> None:
    with pytest.raises(NameConversionError) as info:
        normalise_name("ｱ😀", allowed=ZENGIN_CHARS | {"😀"})
    assert info.value.position == 1


# --- properties ----------------------------------------------------------------------------------

ALLOWED = sorted(ZENGIN_CHARS)
zengin_words = st.text(alphabet=sorted(ZENGIN_CHARS - {" "}), min_size=1, max_size=8)
zengin_names = st.lists(zengin_words, max_size=5).map(" ".join)
typed_names = st.lists(
    st.sampled_from(
        ALLOWED
        + list("あいうえおがぱゃっゎアガパャッヮヶヵヴーｰ・･ｧｯ　ＡＺａｚ０９（）－．／，「」￥¥abcxyz゛゜")
        + list(ENTITY_ABBREVIATIONS)
    ),
    max_size=30,
).map("".join)


@given(zengin_names)
def test_zengin_text_is_left_as_is(text: str) -> None:
    assert norm(text) == text


@given(typed_names)
def test_normalise_is_idempotent(text: str) -> None:
    once = norm(text)
    assert norm(once) == once


@given(typed_names)
def test_output_is_single_byte_zengin_text(text: str) -> None:
    value = norm(text)
    assert all(ch in ZENGIN_CHARS for ch in value)
    assert len(value.encode("cp932")) == len(value)
    assert value == value.strip(" ")
    assert "  " not in value


@given(typed_names, st.integers(min_value=0, max_value=40))
def test_truncated_output_fits_length(text: str, length: int) -> None:
    result = normalise_name(text, length=length, truncate=True)
    assert len(result.value.encode("cp932")) <= length
    assert result.truncated == bool(result.dropped)
    assert result.value + result.dropped == norm(text)
    assert not result.value or not result.dropped.startswith(("ﾞ", "ﾟ"))
