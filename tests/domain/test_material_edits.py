"""The checks of a material edit (Danish, per field) and the merge of edits over the file's steps."""

from __future__ import annotations

import pytest

from bot.domain.material_edits import EditInvalid, apply, check_values, overrides
from bot.domain.materials import Material

STEP = Material("m1", "intro", "video", "Titel", "https://lead.dk/a", 10, "Om det")
GOOD = {"title": " Ny titel ", "kind": "podcast", "url": "https://lead.dk/b?x=1#y", "minutes": "25", "description": "Kort\x00 om det"}


def test_good_values_are_cleaned_and_only_the_differences_are_kept() -> None:
    values = check_values(GOOD)
    assert values == {"title": "Ny titel", "kind": "podcast", "url": "https://lead.dk/b?x=1#y", "minutes": 25, "description": "Kort om det"}
    assert overrides(STEP, {**values, "title": "Titel"}).keys() == {"kind", "url", "minutes", "description"}
    assert apply(STEP, {"url": "https://lead.dk/c"}).url == "https://lead.dk/c" and apply(STEP, {}).title == "Titel"


def test_every_bad_field_is_reported_at_once() -> None:
    with pytest.raises(EditInvalid) as bad:
        check_values({"title": "", "kind": "film", "url": "javascript:alert(1)", "minutes": "601", "description": " "})
    assert set(bad.value.errors) == {"title", "kind", "url", "minutes", "description"}
    assert "https://" in bad.value.errors["url"] and "1 til 600" in bad.value.errors["minutes"]


@pytest.mark.parametrize("url", ["https://", "https://lead", "https://lead.dk/a b", 'https://lead.dk/"x', "https://" + "a" * 1000 + ".dk"])
def test_links_that_are_not_one_https_address_are_refused(url: str) -> None:
    with pytest.raises(EditInvalid) as bad:
        check_values({**GOOD, "url": url})
    assert set(bad.value.errors) == {"url"}


@pytest.mark.parametrize("minutes", ["", "-5", "2.5", "١٢", "10 min"])
def test_minutes_must_be_a_whole_number(minutes: str) -> None:
    with pytest.raises(EditInvalid) as bad:
        check_values({**GOOD, "minutes": minutes})
    assert set(bad.value.errors) == {"minutes"}
