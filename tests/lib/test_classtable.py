"""lib.classtable: a class's entry, or its nearest ancestor's, as ``except`` would pick."""

import pytest

from lib import classtable


class Refused(Exception):
    pass


class NoMoney(Refused):
    pass


class NoMoneyToday(NoMoney):
    pass


class Elsewhere(Exception):
    pass


TABLE = {Refused: "refused", NoMoney: "no money"}


def test_a_named_class_gets_its_own_entry():
    assert classtable.lookup(TABLE, NoMoney()) == "no money"


def test_a_subclass_gets_its_nearest_ancestors_entry():
    assert classtable.lookup(TABLE, NoMoneyToday()) == "no money"
    assert classtable.nearest(TABLE, NoMoneyToday) is NoMoney


def test_a_class_outside_the_table_is_a_key_error_naming_it():
    with pytest.raises(KeyError, match="Elsewhere"):
        classtable.lookup(TABLE, Elsewhere())
    assert classtable.nearest(TABLE, Elsewhere) is None


def test_with_two_bases_the_first_base_wins_as_in_the_mro():
    class Both(Elsewhere, NoMoney):
        pass

    assert classtable.lookup({Elsewhere: "elsewhere", NoMoney: "no money"}, Both()) == "elsewhere"
