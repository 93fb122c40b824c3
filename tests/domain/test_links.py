"""One product recalled by several regulators is shown as one product group with several recalls."""

from __future__ import annotations

from recallguard.domain.links import group_of, link_recalls, normalize_brand
from recallguard.domain.models import Recall, Target

HC_URL = "https://recalls-rappels.canada.ca/en/alert-recall/vornado-srth-small-room-tower-heater-recalled-due-fire-hazard"


def _cpsc_heater() -> Recall:
    return Recall(
        "26532", "CPSC", "Vornado Recalls SRTH Small Room Tower Heaters Due to Fire Hazard",
        manufacturers=["Vornado Air LLC"], in_conjunction=[HC_URL + "/"],
    )  # fmt: skip


def _hc_heater() -> Recall:
    return Recall(
        "82100", "HC", "Vornado SRTH small room tower heater recalled due to fire hazard", url=HC_URL
    )


def test_cpsc_inconjunction_url_links_the_health_canada_recall() -> None:
    groups = link_recalls([_cpsc_heater(), _hc_heater(), Recall("26999", "CPSC", "Other product")])
    heater = group_of(groups, "CPSC:26532")
    assert heater is not None and heater.recall_keys == ["CPSC:26532", "HC:82100"]
    assert heater.authorities == ["CPSC", "HC"] and heater.several_authorities
    assert heater.links[0].reason == "in_conjunction"
    other = group_of(groups, "CPSC:26999")
    assert other is not None and other.recall_keys == ["CPSC:26999"] and not other.several_authorities


def test_shared_gtin_links_across_authorities_unless_brands_conflict() -> None:
    cpsc = Recall("26001", "CPSC", "Magnet set")
    sg = Recall("SR/5/26", "SAFETYGATE", "Magnetic balls", manufacturers=["Acme"], upcs=["4006381333931"])
    other_brand = Recall(
        "SR/6/26", "SAFETYGATE", "Magnetic balls", manufacturers=["Zeta"], upcs=["4006381333931"]
    )
    targets = [Target("26001", "CPSC", brand="ACME Inc.", gtins=["04006381333931"])]
    groups = link_recalls([cpsc, sg, other_brand], targets)
    g = group_of(groups, "CPSC:26001")
    assert g is not None and g.recall_keys == ["CPSC:26001", "SAFETYGATE:SR/5/26"]
    assert g.links[0].reason == "gtin" and "acme" in g.links[0].detail


def test_model_number_needs_the_same_brand() -> None:
    a = Recall("26002", "CPSC", "High chair")
    b = Recall("SR/7/26", "SAFETYGATE", "Chaise haute")
    c = Recall("SR/8/26", "SAFETYGATE", "Kettle")
    targets = [
        Target("26002", "CPSC", brand="Kidco", model_numbers=["HC-2000"]),
        Target("SR/7/26", "SAFETYGATE", brand="KidCo", model_numbers=["HC 2000"]),
        Target("SR/8/26", "SAFETYGATE", brand="Brewster", model_numbers=["HC2000"]),
    ]
    groups = link_recalls([a, b, c], targets)
    g = group_of(groups, "CPSC:26002")
    assert g is not None and g.recall_keys == ["CPSC:26002", "SAFETYGATE:SR/7/26"]
    assert [lk.reason for lk in g.links] == ["model"]


def test_near_identical_names_with_same_brand_link_but_same_authority_does_not() -> None:
    cpsc = Recall(
        "26003", "CPSC", "Lumio Baby Inclined Sleeper", product_names=["Lumio Baby Incline Sleeper Deluxe"]
    )
    hc = Recall("82003", "HC", "Lumio Baby inclined sleeper deluxe recalled due to suffocation hazard")
    cpsc_again = Recall("26004", "CPSC", "Lumio Baby Inclined Sleeper Deluxe", manufacturers=["Lumio Baby"])
    different = Recall("82004", "HC", "Lumio Baby bottle warmer recalled")
    targets = [Target("26003", "CPSC", brand="Lumio Baby", product_name="Lumio Baby Incline Sleeper Deluxe")]
    groups = link_recalls([cpsc, hc, cpsc_again, different], targets)
    g = group_of(groups, "CPSC:26003")
    assert g is not None and "HC:82003" in g.recall_keys and "HC:82004" not in g.recall_keys
    assert any(lk.reason == "name" for lk in g.links)
    # two CPSC recalls of a similar name are kept apart by the name rule (they may be separate recalls)
    assert not any({lk.a, lk.b} == {"CPSC:26003", "CPSC:26004"} for lk in g.links)


def test_links_are_transitive_and_groups_are_stable() -> None:
    a = Recall("1", "CPSC", "X", in_conjunction=["HC:2"])
    b = Recall("2", "HC", "Y", in_conjunction=["SAFETYGATE:3"])
    c = Recall("3", "SAFETYGATE", "Z")
    groups = link_recalls([c, b, a])
    assert groups[0].recall_keys == ["CPSC:1", "HC:2", "SAFETYGATE:3"] and groups[0].group_id == "CPSC:1"
    assert link_recalls([a, b, c]) == groups


def test_brand_normalisation() -> None:
    assert normalize_brand("Vornado Air LLC") == "vornado air"
    assert normalize_brand("Émile Henry S.A.") == "emile henry"
