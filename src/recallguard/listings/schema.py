"""The listing fields a marketplace sends, validated with pydantic (``ListingIn``).

>>> ListingIn.model_validate({"listing_id": "L1", "title": "Kids helmet", "ship_to": "US,CA"}).ship_to
['US', 'CA']
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from recallguard.domain.models import Listing
from recallguard.domain.safe_text import scrub

MAX_TEXT = 20_000
#: Validation context of a record its reader has already found storable (a JSON line with no ``\\u``
#: escape can hold neither a NUL nor a lone surrogate): the scrub's walk over every value is skipped.
STORABLE = {"storable": True}


class ListingIn(BaseModel):
    """One listing as received (file row, API body or stream event)."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    listing_id: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1, max_length=2_000)
    description: str = Field(default="", max_length=MAX_TEXT)
    brand: str = Field(default="", max_length=500)
    model: str = Field(default="", max_length=500)
    gtin: str = Field(default="", max_length=100)
    category: str = Field(default="", max_length=1_000)
    price: float | None = None
    currency: str = Field(default="", max_length=10)
    seller_id: str = Field(default="", max_length=200)
    site: str = Field(default="", max_length=20)
    ship_to: list[str] = Field(default_factory=list)
    image_urls: list[str] = Field(default_factory=list)
    language: str = Field(default="", max_length=20)

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any, info: ValidationInfo) -> Any:
        """Lone surrogates and NULs made storable (``domain.safe_text``): never a failed batch."""
        if info.context is not None and info.context.get("storable"):
            return data
        return scrub(data)

    @field_validator(
        "listing_id",
        "title",
        "description",
        "brand",
        "model",
        "gtin",
        "category",
        "currency",
        "seller_id",
        "site",
        "language",
        mode="before",
    )
    @classmethod
    def _text(cls, v: Any) -> Any:
        if v is None:
            return ""
        if isinstance(v, float) and math.isnan(v):
            return ""
        if isinstance(v, int | float) and not isinstance(v, bool):
            return str(v)
        return v

    @field_validator("price", mode="before")
    @classmethod
    def _price(cls, v: Any) -> Any:
        if v is None or v == "":
            return None
        if isinstance(v, float) and math.isnan(v):
            return None
        return v

    @field_validator("price")
    @classmethod
    def _price_range(cls, v: float | None) -> float | None:
        if v is not None and (v < 0 or math.isinf(v)):
            raise ValueError("price must be a finite number >= 0")
        return v

    @field_validator("ship_to", "image_urls", mode="before")
    @classmethod
    def _list(cls, v: Any) -> Any:
        if v is None:
            return []
        if isinstance(v, float) and math.isnan(v):
            return []
        if isinstance(v, str):
            s = v.strip()
            if s.startswith("["):
                import json

                return json.loads(s)
            return [p.strip() for p in s.replace(";", ",").replace("|", ",").split(",") if p.strip()]
        if hasattr(v, "tolist"):
            return v.tolist()
        return v

    @field_validator("ship_to")
    @classmethod
    def _countries(cls, v: list[str]) -> list[str]:
        out = []
        for c in v:
            c = str(c).strip().upper()
            if c != "*" and (len(c) != 2 or not c.isalpha()):
                raise ValueError(f"{c!r} is not an ISO 3166 alpha-2 country code or '*'")
            out.append(c)
        return out

    def to_domain(self) -> Listing:
        """The plain domain object."""
        extra = dict(self.model_extra or {})
        return Listing(
            listing_id=self.listing_id,
            title=self.title,
            description=self.description,
            brand=self.brand,
            model=self.model,
            gtin=self.gtin,
            category=self.category,
            price=self.price,
            currency=self.currency,
            seller_id=self.seller_id,
            site=self.site,
            ship_to=list(self.ship_to),
            image_urls=list(self.image_urls),
            language=self.language,
            extra={k: v for k, v in extra.items() if isinstance(v, str | int | float | bool | list | dict)},
        )
