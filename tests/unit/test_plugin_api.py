import pytest

from dlterm.plugin_api import Bool, Choice, Float, HyperParameter, Int, check_value


def test_strings_are_parsed_to_the_declared_type():
    assert check_value(Int("n", 1), "12") == 12
    assert check_value(Float("lr", 0.1), "1e-3") == pytest.approx(1e-3)
    assert check_value(Bool("b", True), "no") is False
    assert check_value(Choice("c", "a", ["a", "b"]), "b") == "b"


def test_int_is_accepted_for_float_but_not_the_reverse():
    assert check_value(Float("lr", 0.1), 1) == 1.0
    with pytest.raises(ValueError, match="whole number"):
        check_value(Int("n", 1), 1.5)
    with pytest.raises(ValueError, match="whole number"):
        check_value(Int("n", 1), True)


@pytest.mark.parametrize("param, value, message", [
    (Int("n", 5, min=1, max=10), "0", "below the minimum 1"),
    (Int("n", 5, min=1, max=10), 11, "above the maximum 10"),
    (Float("p", 0.5), "nan", "finite"),
    (Float("p", 0.5), "abc", "expected a number"),
    (Choice("c", "a", ["a", "b"]), "z", "not one of a, b"),
    (Bool("b", True), "maybe", "true or false"),
])
def test_bad_values_say_what_is_wrong(param, value, message):
    with pytest.raises(ValueError, match=message):
        check_value(param, value)


def test_spec_problems_are_reported():
    assert HyperParameter("x", "complex", 1).problems() == ["x: type 'complex' is not one of int, float, str, bool"]
    assert "default 'z' is not among its choices" in " ".join(Choice("c", "z", ["a"]).problems())
    assert "min 5 is above max 1" in " ".join(Int("n", 3, min=5, max=1).problems())
    assert "not an identifier" in " ".join(Int("bad name", 1).problems())
    assert Int("fine", 3, min=1, max=5).problems() == []


def test_describe_range():
    assert Int("n", 3, min=1, max=5).describe_range() == "[1, 5]"
    assert Choice("c", "a", ["a", "b"]).describe_range() == "a|b"
    assert Bool("b", True).describe_range() == "true|false"
