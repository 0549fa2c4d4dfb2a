"""The repeat check's candidate keys (engine/petitions/similarity.py): what a petition is stored
under does not depend on the alias table; the query asks for every spelling the table gives."""
from __future__ import annotations

from engine.petitions.similarity import (PLACE_SHORTLIST, PetitionFeatures, components,
                                         index_keys, query_keys)
from engine.petitions.words import DEFAULT_ALIASES, Aliases


def _p(name: str, post: str, village: str, township: str = "town-a") -> PetitionFeatures:
    return PetitionFeatures(petition_id=1, accused=[{"name": name, "post": post,
                                                     "unit": village}],
                            township=township, village=village, content="挪用集体资金。")


def test_a_petition_is_stored_under_its_place_its_person_in_it_and_its_name():
    assert index_keys(_p("张建国", "村委会主任", "红旗村")) == {
        "v|红旗", "s|红旗|张", "p|红旗|主任", "n|张建国", "n|建国", "n|张国", "n|张建"}
    # A title in the name is the post; "王某" is a surname only (no name key).
    assert index_keys(_p("王主任", "", "红旗村委会")) == {"v|红旗", "s|红旗|王", "p|红旗|主任"}
    assert index_keys(_p("王某", "", "红旗村")) == {"v|红旗", "s|红旗|王"}
    # No village: the township is the place. Nothing about a person: only the place.
    assert index_keys(_p("李四", "村会计", "")) == {
        "v|towna", "s|towna|李", "p|towna|会计", "n|李四"}
    assert index_keys(PetitionFeatures(petition_id=1, village="红旗村")) == {"v|红旗"}
    assert index_keys(PetitionFeatures(petition_id=1)) == set()


def test_a_petition_naming_nobody_is_compared_with_the_newest_of_its_place():
    """Recall first: "村里管钱的" names no one the person keys can connect, so the place key
    (a few closest wordings among its newest petitions) makes the original a candidate."""
    original = _p("张建国", "村委会主任", "红旗村")
    nobody = PetitionFeatures(petition_id=2, township="town-a", village="红旗村",
                              content="村里管钱的把修路的钱挪用了。")
    asked = query_keys(nobody)
    assert asked == {"v|红旗": PLACE_SHORTLIST} and set(asked) & index_keys(original)
    # Another village's petitions are not asked for.
    assert not set(asked) & index_keys(_p("张建国", "村委会主任", "石桥村"))


def test_the_query_asks_for_every_spelling_of_the_post_the_alias_table_gives():
    stored = index_keys(_p("", "村长", "红旗村"))
    assert stored == {"v|红旗", "p|红旗|村长"}
    asked = query_keys(_p("", "村委会主任", "红旗村"))
    assert "p|红旗|村长" in asked and "p|红旗|主任" in asked


def test_an_administrators_new_post_alias_widens_the_query_without_rewriting_keys():
    stored = index_keys(_p("", "片区长", "红旗村")) - {"v|红旗"}
    assert not stored & set(query_keys(_p("", "村主任", "红旗村")))
    edited = Aliases((*DEFAULT_ALIASES, ("post", "片区长", "村主任")))
    assert stored & set(query_keys(_p("", "村主任", "红旗村"), edited))


def test_a_name_one_character_apart_is_a_candidate_anywhere():
    for other in ("张建华", "张建", "张小建国", "章建国"):
        assert index_keys(_p(other, "", "石桥村")) & set(
            query_keys(_p("张建国", "", "红旗村"))), other
    # Another given name entirely is not found through the name (only through the place).
    assert not index_keys(_p("张明华", "", "石桥村")) & set(
        query_keys(_p("张建国", "", "红旗村")))
    assert index_keys(_p("张明华", "", "红旗村")) & set(query_keys(_p("张建国", "", "红旗村")))


def test_a_nickname_is_the_surname_and_a_township_unit_is_found_in_its_offices():
    # "小邱", "老王": the surname with no given name (keyed like "邱某").
    assert index_keys(_p("小邱", "文书", "高岭村")) == {"v|高岭", "s|高岭|邱", "p|高岭|文书"}
    assert index_keys(_p("老王", "", "高岭村")) == index_keys(_p("王某", "", "高岭村"))
    # A three-character name with 小 in it is a full name.
    assert "n|熊小军" in index_keys(_p("熊小军", "", "五里村"))
    # "丁镇" as the unit agrees with "丁镇财政所" (it is not cut down to "丁").
    office = {"name": "段文斌", "post": "财政所所长", "unit": "丁镇财政所"}
    unnamed = {"name": "", "post": "财政所所长", "unit": "丁镇"}
    parts = components(PetitionFeatures(petition_id=1, accused=[unnamed], township="town-d"),
                       PetitionFeatures(petition_id=2, accused=[office], township="town-d"))
    assert parts["person"] >= 0.7
