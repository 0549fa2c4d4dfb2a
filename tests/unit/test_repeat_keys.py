"""The repeat check's candidate keys (engine/petitions/similarity.py): a petition's name, place
and post keys do not depend on the alias table (the query asks for every spelling the table
gives); its office keys are read with the table as it is when they are written."""
from __future__ import annotations

from engine.petitions.similarity import (OFFICE_SHORTLIST, PLACE_SHORTLIST, TOWNSHIP_SHORTLIST,
                                         PetitionFeatures, components, index_keys, prepare,
                                         query_keys)
from engine.petitions.words import DEFAULT_ALIASES, Aliases


def _p(name: str, post: str, village: str, township: str = "town-a") -> PetitionFeatures:
    return PetitionFeatures(petition_id=1, accused=[{"name": name, "post": post,
                                                     "unit": village}],
                            township=township, village=village, content="挪用集体资金。")


def test_a_petition_is_stored_under_its_place_its_person_in_it_and_its_name():
    # The surname and the post also in the township around the village (ts|, tp|).
    assert index_keys(_p("张建国", "村委会主任", "红旗村")) == {
        "v|红旗", "s|红旗|张", "p|红旗|主任", "n|张建国", "n|建国", "n|张国", "n|张建",
        "ts|towna|张", "tp|towna|主任"}
    # A title in the name is the post; "王某" is a surname only (no name key).
    assert index_keys(_p("王主任", "", "红旗村委会")) == {"v|红旗", "s|红旗|王", "p|红旗|主任",
                                                        "ts|towna|王", "tp|towna|主任"}
    assert index_keys(_p("王某", "", "红旗村")) == {"v|红旗", "s|红旗|王", "ts|towna|王"}
    # No village: the township is the place. Nothing about a person: only the place.
    assert index_keys(_p("李四", "村会计", "")) == {
        "v|towna", "s|towna|李", "p|towna|会计", "n|李四", "ts|towna|李", "tp|towna|会计"}
    assert index_keys(PetitionFeatures(petition_id=1, village="红旗村")) == {"v|红旗"}
    assert index_keys(PetitionFeatures(petition_id=1)) == set()


def test_a_petition_naming_nobody_is_compared_with_the_newest_of_its_place():
    """Recall first: a petition that names no one is compared with the newest of its place (a
    few closest wordings among them), and with the post its text speaks of."""
    original = _p("张建国", "村委会主任", "红旗村")
    nobody = PetitionFeatures(petition_id=2, township="town-a", village="红旗村",
                              content="村里有人把修路的钱挪用了。")
    asked = query_keys(nobody)
    assert asked == {"v|红旗": PLACE_SHORTLIST} and set(asked) & index_keys(original)
    # "村里管钱的" in the text: the post of an everyday word (村会计), in every spelling.
    accountant = _p("李四", "报账员", "红旗村")
    asked = query_keys(PetitionFeatures(petition_id=2, township="town-a", village="红旗村",
                                        content="村里管钱的把修路的钱挪用了。"))
    assert "p|红旗|会计" in asked and "p|红旗|账员" in asked
    assert set(asked) & (index_keys(accountant) - {"v|红旗"})
    # Another village's petitions are not asked for.
    assert not set(asked) & index_keys(_p("张建国", "村委会主任", "石桥村"))


def test_the_query_asks_for_every_spelling_of_the_post_the_alias_table_gives():
    stored = index_keys(_p("", "村长", "红旗村"))
    assert stored == {"v|红旗", "p|红旗|村长", "tp|towna|村长"}
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
    assert index_keys(_p("小邱", "文书", "高岭村")) == {"v|高岭", "s|高岭|邱", "p|高岭|文书",
                                                      "ts|towna|邱", "tp|towna|文书"}
    assert index_keys(_p("老王", "", "高岭村")) == index_keys(_p("王某", "", "高岭村"))
    # A three-character name with 小 in it is a full name.
    assert "n|熊小军" in index_keys(_p("熊小军", "", "五里村"))
    # "丁镇" as the unit agrees with "丁镇财政所" (it is not cut down to "丁").
    office = {"name": "段文斌", "post": "财政所所长", "unit": "丁镇财政所"}
    unnamed = {"name": "", "post": "财政所所长", "unit": "丁镇"}
    parts = components(PetitionFeatures(petition_id=1, accused=[unnamed], township="town-d"),
                       PetitionFeatures(petition_id=2, accused=[office], township="town-d"))
    assert parts["person"] >= 0.7


def test_how_people_address_a_cadre_by_the_surname_is_the_surname():
    for address in ("钱头儿", "老钱头", "钱头", "钱姐", "钱大姐", "小钱", "老钱", "钱叔"):
        assert index_keys(_p(address, "", "金鸡村")) == index_keys(_p("钱某", "", "金鸡村")), \
            address
    # A full name is never cut to its surname: two characters remain.
    assert "n|钱秀姐" in index_keys(_p("钱秀姐", "", "金鸡村"))


def test_everyday_words_for_a_post_read_as_the_post_in_the_post_or_name_field():
    aliases = Aliases()
    for written, post in (("村里管账的", "村会计"), ("管社保的", "社保专干"),
                          ("民政上的女干部", "民政专干"), ("社保所的人", "社保专干"),
                          ("村长", "村主任"), ("报账员", "村会计")):
        assert aliases.post(written) == post, written
        named = prepare(PetitionFeatures(petition_id=1, accused=[
            {"name": written, "post": "", "unit": ""}]), aliases)
        assert named.accused[0].name is None and named.accused[0].post == post, written
    # A post with a title of its own stays as written (民政办主任 is not 民政专干).
    assert aliases.post("民政办主任") == "民政办主任"
    # A surname that is also an everyday word's first character is a name (管 is a surname).
    assert prepare(PetitionFeatures(petition_id=1, accused=[
        {"name": "管建国", "post": "", "unit": ""}]), aliases).accused[0].name.text == "管建国"
    # An administrator's everyday word widens the reading without rewriting any key.
    edited = Aliases((*DEFAULT_ALIASES, ("everyday", "片区长", "村主任")))
    assert edited.post("我们那个片区长") == "村主任" and aliases.post("我们那个片区长") != "村主任"


def test_a_surname_or_post_with_only_the_township_finds_it_in_the_townships_villages():
    original = _p("钱福生", "村党支部书记", "金鸡村", township="town-d")
    for query in (_p("老钱头", "", "", township="town-d"), _p("", "支书", "", township="town-d")):
        asked = query_keys(query)
        assert set(asked) & index_keys(original)
        assert max(asked[k] for k in set(asked) & index_keys(original)) <= PLACE_SHORTLIST * 10
    # Another township's village is not asked for.
    assert not set(query_keys(_p("老钱头", "", "", township="town-a"))) & index_keys(original)
    # A township cadre (no village) is found from a petition that gives a village.
    office = _p("隗建平", "社保专干", "", township="town-a")
    asked = query_keys(_p("", "管社保的", "红旗村", township="town-a"))
    assert set(asked) & (index_keys(office) - {"v|towna"})
    assert all(asked[k] == TOWNSHIP_SHORTLIST for k in set(asked) & index_keys(office))


def test_the_same_full_name_alone_lets_a_retold_matter_count():
    """A reporter who knows only the name: one shared word counts and the matter weighs less;
    where both petitions say who and where in full, the wording decides as before."""
    original = _p("封德海", "村委会主任", "桃源村", township="town-b")
    original.content = "桃源村村委会主任封德海未经招标将村道工程交给其外甥承建，路面开裂。"
    retold = PetitionFeatures(petition_id=2, accused=[{"name": "封德海", "post": "", "unit": ""}],
                              township="town-b", content="封德海的外甥包了修路的活，没人知道。")
    assert components(retold, original)["named"] == 1.0
    full = _p("封德海", "村委会主任", "桃源村", township="town-b")
    full.content = retold.content
    assert components(full, original)["named"] == 0.0
    elsewhere = PetitionFeatures(petition_id=3, accused=retold.accused, township="town-c",
                                 content=retold.content)
    assert components(elsewhere, original)["named"] == 0.0


def test_a_woman_and_a_man_in_the_same_post_are_likely_two_people():
    """"民政上的女干部": the post 民政专干 and a woman; the original says she transferred money
    to 其丈夫 (her husband). The same post held by a man (他老婆) agrees less."""
    def office(name: str, content: str) -> PetitionFeatures:
        return PetitionFeatures(petition_id=1, township="town-b", content=content,
                                accused=[{"name": name, "post": "民政专干", "unit": "乙镇民政办"}])
    she = office("晏翠娥", "晏翠娥把困难群众的救助金转入其丈夫的银行账户。")
    he = office("简国富", "简国富把困难群众的救助金转入他老婆的银行账户。")
    query = PetitionFeatures(petition_id=2, township="town-b",
                             accused=[{"name": "民政上的女干部", "post": "", "unit": ""}],
                             content="镇里民政上的女干部把救助的钱转到家里人的卡上。")
    assert prepare(query).accused[0].gender == "f" and prepare(she).accused[0].gender == "f"
    assert prepare(he).accused[0].gender == "m"
    assert components(query, she)["person"] > components(query, he)["person"] > 0
    # Nothing said about either: no difference ("管民政的" has no mark).
    plain = PetitionFeatures(petition_id=3, township="town-b", content=query.content,
                             accused=[{"name": "管民政的", "post": "", "unit": ""}])
    assert components(plain, she)["person"] == components(plain, he)["person"]


def test_a_word_inside_a_longer_word_is_not_that_word():
    """"民政" inside "人民政府" is not the 民政 office: an everyday word counts only where it is not
    the middle of a longer dictionary word (a township government is no office of its own)."""
    aliases = Aliases()
    for written in ("乙镇人民政府", "镇人民政府的干部"):
        assert aliases.describe(written) == "" and aliases.office(written) == "", written
    assert aliases.post_in("乙镇人民政府的人把救灾的米油拿回了家。") == ""
    # Where it is a word of its own it still counts.
    assert aliases.describe("镇民政办的人") == "民政专干"
    assert aliases.post_in("镇上民政的人把救灾的米油拿回了家。") == "民政专干"
    cadre = prepare(PetitionFeatures(petition_id=1, accused=[
        {"name": "蓝秀娥", "post": "副镇长", "unit": "乙镇人民政府"}]), aliases)
    assert cadre.accused[0].office == ""


def test_an_errand_names_the_post_of_the_office_that_does_it():
    """"负责/分管/主管/管/办 X 的(那个)(女/男)(干部/人)": read as 管X, the everyday words' post."""
    aliases = Aliases()
    for written, post in (("镇上管低保的女干部", "民政专干"), ("负责低保的那个女的", "民政专干"),
                          ("镇上办建房手续的那个女的", "国土专干"), ("分管特困的干部", "民政专干"),
                          ("办宅基地的人", "国土专干")):
        assert aliases.post(written) == post, written
        read = prepare(PetitionFeatures(petition_id=1, accused=[
            {"name": written, "post": "", "unit": ""}]), aliases).accused[0]
        assert read.name is None and read.post == post and read.office == post, written
    # A post with a title of its own is as written; an errand nobody's words know stays as is.
    assert aliases.post("村里负责买羊的副主任") == "村里负责买羊的副主任"
    assert aliases.describe("办婚礼的那个人") == ""


def test_the_head_of_an_office_is_its_heads_title_in_that_office():
    """"农业站当家的", "财政所管事的", "扶贫办的头儿": the head's title (站长, 所长, 主任), and the
    office the words before it name; alias-independent, so the stored keys read it too."""
    aliases = Aliases()
    for written, post, office in (("镇上农业站当家的", "站长", "农技员"),
                                  ("财政所管事的", "所长", "财政专干"),
                                  ("扶贫办的头儿", "主任", "扶贫专干"),
                                  ("民政办一把手", "主任", "民政专干")):
        assert aliases.post(written) == post and aliases.office(written) == office, written
    assert "p|towna|站长" in index_keys(_p("", "镇上农业站当家的", ""))
    assert "p|towna|站长" in index_keys(_p("农业站当家的", "", ""))
    # "一把手" alone is still the village's 村支书; "队上的头" the 村民小组长.
    assert aliases.post("一把手") == "村支书" and aliases.post("队上的头") == "村民小组长"
    # The head of the 农业站 is the 站长 of the 农业综合服务站.
    head = {"name": "", "post": "镇上农业站当家的", "unit": "甲镇农业站"}
    station = {"name": "沙鸿钧", "post": "站长", "unit": "甲镇农业综合服务站"}
    other = {"name": "车丽华", "post": "报账员", "unit": "甲镇农业综合服务站"}
    query = PetitionFeatures(petition_id=1, accused=[head], township="town-a")
    assert components(query, PetitionFeatures(petition_id=2, accused=[station],
                                              township="town-a"))["person"] >= 0.7
    assert components(query, PetitionFeatures(petition_id=3, accused=[other],
                                              township="town-a"))["person"] < 0.7


def test_a_repeat_naming_only_the_office_agrees_with_the_offices_cadre():
    """The office of the original's post or unit: 民政助理员 and the 社会事务办's 副主任 belong to the
    民政 office, a 自然资源所 cadre to 国土; a repeat naming only that office agrees with them."""
    aliases = Aliases()
    def accused(post: str, unit: str, name: str = "") -> object:
        return prepare(PetitionFeatures(petition_id=1, accused=[
            {"name": name, "post": post, "unit": unit}]), aliases).accused[0]
    assert accused("民政助理员", "", "晏翠娥").office == "民政专干"
    assert accused("社会事务办副主任", "乙镇人民政府", "蓝秀娥").office == "民政专干"
    assert accused("工作人员", "乙镇自然资源所", "粟丽萍").office == "国土专干"
    query = PetitionFeatures(petition_id=1, township="town-b", accused=[
        {"name": "", "post": "镇上管低保的女干部", "unit": "乙镇"}])
    office = PetitionFeatures(petition_id=2, township="town-b", accused=[
        {"name": "蓝秀娥", "post": "社会事务办副主任", "unit": "乙镇人民政府"}])
    elsewhere = PetitionFeatures(petition_id=3, township="town-b", accused=[
        {"name": "宫建业", "post": "所长", "unit": "乙镇财政所"}])
    assert components(query, office)["person"] > components(query, elsewhere)["person"]
    assert components(query, office)["person"] >= 0.6


def test_a_siblings_address_after_the_surname_is_the_surname():
    """"蔺老二", "邴老三", "卢老幺", "钱二哥", "柏三婶": the surname, like "老钱" and "钱某"."""
    for address in ("蔺老二", "蔺老三", "蔺老幺", "蔺老大", "蔺二哥", "蔺三婶", "蔺大姐", "蔺四叔"):
        assert index_keys(_p(address, "", "鹞子沟村")) == index_keys(_p("蔺某", "", "鹞子沟村")), \
            address
    # A full name with such a character in the middle stays a full name.
    assert "n|蔺秀姐" in index_keys(_p("蔺秀姐", "", "鹞子沟村"))
    assert "n|蔺老二" not in index_keys(_p("蔺老二", "", "鹞子沟村"))
    parts = components(_p("蔺老二", "", "鹞子沟村", township="town-d"),
                       _p("蔺永福", "村委会委员", "鹞子沟村", township="town-d"))
    assert parts["person"] >= 0.6


def test_equal_scores_rank_the_petition_sharing_the_wording_first():
    """Two matters of one person that both count as a full content match (a tie at 1.0): the
    one sharing more of the new petition's words ranks first, not merely the newer one."""
    from engine.petitions.similarity import RepeatIndex
    accused = [{"name": "封德海", "post": "村委会主任", "unit": "桃源村"}]

    def petition(pid: int, content: str) -> PetitionFeatures:
        return PetitionFeatures(petition_id=pid, accused=accused, township="town-b",
                                village="桃源村", content=content)
    same = petition(1, "封德海未经招标将村道硬化工程交给其外甥承建，路面开裂，工程款多报了八万元。")
    other = petition(2, "封德海未经招标将村里的鱼塘承包给其外甥，租金没有入账。")
    query = petition(3, "封德海未经招标将村道硬化工程和村里的鱼塘交给其外甥，路面开裂，多报了八万元。")
    index = RepeatIndex()
    index.add_many([same, other])
    assert index.search(query) == [(1, 1.0), (2, 1.0)]


def _staff(name: str, post: str, unit: str, township: str = "town-f",
           village: str = "") -> PetitionFeatures:
    return PetitionFeatures(petition_id=1, accused=[{"name": name, "post": post, "unit": unit}],
                            township=township, village=village, content="挪用补贴资金。")


def test_a_petition_is_stored_under_the_township_office_its_post_or_unit_speaks_of():
    """"镇上X所/站/办管Y的" finds every accused of that office in the township, whatever post or
    unit they were written with: the office is a candidate key (o|<township>|<office>)."""
    cashier = _staff("亓秀梅", "出纳", "己镇财政所", village="冬青湾村")
    assert "o|townf|财政专干" in index_keys(cashier)
    # Named by an errand at an office, no village: asks for the office's key in the township.
    asked = query_keys(_staff("", "财政所管钱的", ""))
    assert asked["o|townf|财政专干"] == OFFICE_SHORTLIST
    assert set(asked) & index_keys(cashier) == {"o|townf|财政专干"}
    # The unit and the errand may name two offices: both are asked for.
    asked = query_keys(_staff("", "管补贴的干部", "农机站", township="town-e"))
    assert {"o|towne|农技员", "o|towne|财政专干"} <= set(asked)
    assert "o|towne|农技员" in index_keys(_staff("禤国栋", "农机管理员", "戊镇农业综合服务中心",
                                                township="town-e"))
    # A full name finds its person through its own keys; the surname alone asks for the office.
    assert not any(k.startswith("o|") for k in query_keys(_staff("亓秀梅", "出纳", "己镇财政所")))
    assert "o|townf|财政专干" in query_keys(_staff("亓某", "", "财政所"))
    # No township: no office key (an office is a township's).
    assert not any(k.startswith("o|") for k in index_keys(_staff("亓秀梅", "出纳", "己镇财政所",
                                                                  township="")))
    # Read with the alias table given: an administrator's reading of 残联 decides the key.
    window = _staff("訾春燕", "残联窗口工作人员", "丁镇便民服务中心", township="town-d")
    assert "o|townd|民政专干" in index_keys(window)
    own = Aliases([*DEFAULT_ALIASES, ("everyday", "残联窗口", "社保专干")])
    assert "o|townd|社保专干" in index_keys(window, own)


def test_the_errands_reporters_name_township_staff_by_are_offices():
    aliases = Aliases()
    for text, office in (("管残疾证的", "民政专干"), ("残联窗口工作人员", "民政专干"),
                         ("农机站", "农技员"), ("农机管理员", "农技员"),
                         ("管工资的", "财政专干"), ("一卡通", "财政专干"),
                         ("管宅基地的", "国土专干"), ("城建办", "国土专干"),
                         ("医保窗口", "社保专干"), ("管养老保险的", "社保专干"),
                         ("林业站", "林业员"), ("管林权的", "林业员"),
                         ("水利站", "水利员"), ("管渠的", "水利员")):
        assert aliases.office(text) == office, text


def test_both_offices_of_an_accused_are_compared():
    """"农机站管补贴的那个干部": the errand reads as the 财政 office, the unit is the 农机 station;
    the 农机管理员 of the agricultural service centre agrees with the unit's office."""
    query = _staff("", "管补贴的干部", "农机站", township="town-e")
    original = _staff("禤国栋", "农机管理员", "戊镇农业综合服务中心", township="town-e")
    assert components(query, original)["person"] >= 0.6


def test_a_village_is_keyed_without_its_suffix_group_or_township():
    """"鹁鸪岭", "鹁鸪岭村", "鹁鸪岭社区", "鹁鸪岭村三组", "丙镇鹁鸪岭村": one place to a reporter."""
    keys = index_keys(_p("厍大勇", "村民小组长", "鹁鸪岭村", township="town-c"))
    for written in ("鹁鸪岭", "鹁鸪岭社区", "鹁鸪岭居委会", "鹁鸪岭村三组", "鹁鸪岭村第二村民小组",
                    "丙镇鹁鸪岭村", "丙镇鹁鸪岭村3组"):
        asked = query_keys(_p("厍老二", "", written, township="town-c"))
        assert {"v|鹁鸪岭", "s|鹁鸪岭|厍"} <= set(asked) & keys, written
    # A village whose name holds 镇 or 组 keeps it when too little would be left.
    assert "v|镇江" in index_keys(_p("", "", "镇江村"))
    assert "v|三组" in index_keys(_p("", "", "三组村"))


def test_a_surname_alone_in_the_same_village_names_the_person():
    """"厍老二" (no post) in 厍大勇's own village is read as naming him: the matter retold in other
    words needs to agree as little as for a name given alone. A title ("马委员") has its post to
    agree instead; another village or surname is not this rule's."""
    original = _p("厍大勇", "村民小组长", "鹁鸪岭村", township="town-c")
    assert components(_p("厍老二", "", "鹁鸪岭", township="town-c"), original)["named"] == 1.0
    assert components(_p("老厍", "", "鹁鸪岭村", township="town-c"), original)["named"] == 1.0
    assert components(_p("厍委员", "", "鹁鸪岭村", township="town-c"), original)["named"] == 0.0
    assert components(_p("厍老二", "", "石桥村", township="town-c"), original)["named"] == 0.0
    assert components(_p("鞠老二", "", "鹁鸪岭村", township="town-c"), original)["named"] == 0.0
