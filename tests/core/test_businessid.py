from __future__ import annotations

import pytest

from triggerwatch.core.businessid import check_digit, is_valid_business_id, normalise_business_id


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0246246-0", "0246246-0"),  # Kela
        ("FI08313124", "0831312-4"),  # VAT form
        ("08313124", "0831312-4"),  # dash missing
        ("831312-4", "0831312-4"),  # old six-digit form
        (" 0112038-9 ", "0112038-9"),
        ("0112038-8", None),  # wrong check digit
        ("FI19921555", "1992155-5"),  # a winner's VAT form in TED 00525037-2024
        ("fi 0988084 1", "0988084-1"),  # lower-case prefix, spaces removed
        ("FI 0988 0841", "0988084-1"),  # Hansel Oy, VAT form with spaces
        ("0216509\u20135", "0216509-5"),  # en dash (Kristiinankaupunki)
        ("\t1567535-0\u00a0", "1567535-0"),  # tab and no-break space (HUS-yhtymä)
        ("FI1992155-5", "1992155-5"),  # VAT prefix and dash together
        ("FI-1992155-5", None),
        ("12345678-9", None),
        ("1234567", None),
        ("abc", None),
    ],
)
def test_normalise(raw: str, expected: str | None) -> None:
    assert normalise_business_id(raw) == expected


def test_remainder_one_has_no_valid_check_digit() -> None:
    # weights 7,9,10,5,8,4,2: 0000010 → 4 → remainder 4; find a body with remainder 1
    body = next(
        f"{n:07d}"
        for n in range(10_000)
        if sum(int(d) * w for d, w in zip(f"{n:07d}", (7, 9, 10, 5, 8, 4, 2), strict=True)) % 11 == 1
    )
    assert check_digit(body) is None
    assert all(normalise_business_id(f"{body}-{d}") is None for d in range(10))


def test_is_valid_requires_canonical_form() -> None:
    assert is_valid_business_id("0246246-0")
    assert not is_valid_business_id("FI02462460")
