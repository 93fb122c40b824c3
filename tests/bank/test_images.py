"""Photos in the stateful path: a removed listing's photo is hashed after its action (never while
screening), and a re-listing that reuses the photo — re-encoded and mirrored — under an unrelated
title is caught through a file:// URL; a recall's published photo is hashed once and matched."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageOps

from recallguard.domain.models import Listing
from recallguard.service.bank import BankService, open_bank
from recallguard.service.bank_images import ImageSettings
from recallguard.service.scan import scan
from recallguard.store import Store
from recallguard.store.bank_repos import BankRepo
from tests.bank.conftest import TARGET2, action_listing, block
from tests.images.synth import product_photo


def _save(img: Image.Image, path: Path, **kw: object) -> str:
    img.save(path, **kw)
    return path.as_uri()


@dataclass(frozen=True)
class WatchedImages(ImageSettings):
    """Records which thread fetched each photo."""

    threads: list[str] = field(default_factory=list)

    def load(self, url: str) -> Image.Image:
        self.threads.append(threading.current_thread().name)
        return super().load(url)


def _photo_bank(store: Store, image_dir: Path, open_banks: list) -> BankService:
    svc = open_bank(store, poll_s=None, images=WatchedImages(file_root=image_dir))
    open_banks.append(svc)
    return svc


def test_relisting_with_edited_photo_is_caught(bank_store: Store, image_dir: Path, open_banks: list) -> None:
    svc = _photo_bank(bank_store, image_dir, open_banks)
    photo = product_photo(7)
    url = _save(photo, image_dir / "stroller-adapter.png")
    # the removed listing names the recalled model, so scans keep blocking it
    removed = Listing("P1", "BabyGo SafeRide car seat adapter BG-2241X", brand="BabyGo", seller_id="S5",
                      image_urls=[url])  # fmt: skip
    action_listing(bank_store, removed, block("P1"))
    with bank_store.transaction() as uow:
        assert BankRepo(uow.session).counts().images == {"none": 1, "pending": 1}
    svc.worker.drain()  # the action's commit queued the photo for the bounded worker
    with bank_store.transaction() as uow:
        assert BankRepo(uow.session).counts().images == {"none": 1, "done": 1}
    assert svc.status()["image_entries"] == 1

    edited = ImageOps.mirror(photo).resize((400, 300))
    copy_url = _save(edited.convert("RGB"), image_dir / "copy.jpg", quality=40)
    other = product_photo(8)
    other_url = _save(other, image_dir / "other.png")
    relisting = Listing(
        "P2", "Universal pram accessory, fast shipping", seller_id="S44", image_urls=[copy_url]
    )
    unrelated = Listing(
        "P3", "Universal pram accessory, fast shipping", seller_id="S45", image_urls=[other_url]
    )
    with bank_store.transaction() as uow:
        uow.listings.upsert_many([relisting, unrelated])
    scan(bank_store)  # screening does not fetch: the photos are queued ...
    svc.worker.drain()  # ... hashed by the worker, and the listing's photo matches stored
    assert svc.images.threads and all(t.startswith("rg-images") for t in svc.images.threads)
    with bank_store.transaction() as uow:
        found = uow.matches.active_for_listings(["P2", "P3"])
        assert "P3" not in found
        (m,) = found["P2"]
        assert m.recall_number == "26999" and m.decision.value == "block"
        assert "photo of removed listing P1" in m.evidence and "mirrored" in m.evidence
        assert len(uow.actions.for_match("P2", "CPSC", "26999")) == 1
    # the hashes are kept: screening again (another scan version, a restart) matches without fetching
    assert [m.recall_number for m in svc.check(relisting)] == ["26999"]


def test_recall_photo_hashed_once_and_matched(bank_store: Store, image_dir: Path, open_banks: list) -> None:
    photo = product_photo(11)
    url = _save(photo, image_dir / "recall-27001.png")
    target = TARGET2.__class__(**{**TARGET2.__dict__, "images": [url]})
    with bank_store.transaction() as uow:
        recall = uow.recalls.get("CPSC", "27001")
        recall.images = [url]
        uow.recalls.upsert(recall, [target])
    svc = _photo_bank(bank_store, image_dir, open_banks)
    svc.worker.drain()
    assert svc.status()["recall_images"] == 1
    cropped = photo.crop((20, 15, 460, 345))
    crop_url = _save(cropped, image_dir / "crop.png")
    # not hashed yet: the first check answers from what it has and queues the photo
    assert svc.check(Listing("Q1", "LED lamp", seller_id="S50", image_urls=[crop_url])) == []
    svc.worker.drain()
    (m,) = svc.check(Listing("Q1", "LED lamp", seller_id="S50", image_urls=[crop_url]))
    assert m.recall_number == "27001" and "published photo of recall 27001" in m.evidence


def test_photos_outside_the_allowed_folder_are_not_fetched(
    bank_store: Store, tmp_path: Path, open_banks: list
) -> None:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    svc = _photo_bank(bank_store, allowed, open_banks)
    outside = _save(product_photo(3), tmp_path / "secret.png")
    action_listing(bank_store, Listing("P9", "Adapter", seller_id="S5", image_urls=[outside, "http://10.0.0.1/a.jpg"]),
                   block("P9"))  # fmt: skip
    svc.worker.drain()
    with bank_store.transaction() as uow:
        assert BankRepo(uow.session).counts().images.get("failed") == 1
    assert svc.status()["image_entries"] == 0
