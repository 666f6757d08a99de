"""A new currency on rows whose amounts are in minor units changes what those amounts mean.

Amounts in a currency's smallest unit (Stripe, Adyen, ISO 8583) are only comparable when the
minor unit is the same: 500 in JPY is 500 yen, 500 in USD is 5 dollars. A pipeline that divides
by 100 was written for currencies of two decimals. A new currency code flows through a GROUP BY
as plain data, yet its amounts are off by a power of ten when its minor unit differs from the
known currencies' (ISO 4217's exponent), or when it is no ISO 4217 code at all (nobody can say).
"""

from __future__ import annotations

from collections.abc import Sequence

import pint
from pydantic import JsonValue

from core.contracts import Contract
from tools.matching.field_matching import tokens
from tools.matching.unit_conversion import family, registry

DEFAULT_EXPONENT = 2
"""Decimals of a currency's minor unit, unless `EXPONENTS` says otherwise (ISO 4217)."""
EXPONENTS: dict[str, int] = {
    **dict.fromkeys(
        ("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF").split(),
        0,
    ),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
    **dict.fromkeys("CLF UYW".split(), 4),
}
"""ISO 4217 currencies whose minor unit is not a hundredth."""
CODES = frozenset(
    """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
    BWP BYN BZD CAD CDF CHF CLF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD
    FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES
    KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR
    MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB
    RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD
    TWD TZS UAH UGX USD UYI UYU UYW UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL""".split()
)
"""ISO 4217 alphabetic codes of current currencies."""


def exponent(code: JsonValue) -> int | None:
    """Decimals of the minor unit of an ISO 4217 code (any case), or None for no such code.

    >>> exponent("usd"), exponent("JPY"), exponent("kwd"), exponent("xyz"), exponent(3)
    (2, 0, 3, None, None)
    """
    if not isinstance(code, str) or code.upper() not in CODES:
        return None
    return EXPONENTS.get(code.upper(), DEFAULT_EXPONENT)


def is_currency_field(field: str, known: Sequence[JsonValue]) -> bool:
    """A field of currency codes: named so (`currency`, `currency_code`, `ccy`) and every known
    value an ISO 4217 code.

    >>> is_currency_field("currency", ["usd", "eur"]), is_currency_field("plan", ["usd"])
    (True, False)
    """
    named = bool({"currency", "ccy"} & set(tokens(field.rsplit(".", 1)[-1])))
    return named and bool(known) and all(exponent(v) is not None for v in known)


def minor_unit_changed(
    contract: Contract,
    field: str,
    new: Sequence[JsonValue],
    known: Sequence[JsonValue],
    read: Sequence[str],
) -> str | None:
    """Why new currency codes in `field` change what the models compute from minor-unit amounts,
    or None. `known` are the codes seen (or declared) before; `read` the fields models read.

    A new code whose minor unit matches every known code's (CAD beside USD and EUR) is harmless.
    """
    minor = [f.name for f in contract.fields if f.name in read and f.unit and _minor(f.unit)]
    if not minor or not is_currency_field(field, known):
        return None
    exponents = {exponent(v) for v in known}
    odd = [v for v in new if exponent(v) is None or {exponent(v)} != exponents]
    if not odd:
        return None
    return (
        f"{field} = {odd[0]!r} has a minor unit unlike the known currencies' "
        f"({', '.join(str(v) for v in known)}): {', '.join(minor)}, in minor units, would be "
        "off by a power of ten"
    )


def _minor(unit: str) -> bool:
    """Whether `unit` is a fraction of a currency's major unit (cents, minor units, mills).

    >>> _minor("minor units"), _minor("cents"), _minor("dollars"), _minor("seconds")
    (True, True, False, False)
    """
    if "cent" not in family(unit):
        return False
    units = registry()
    try:
        return bool(units.Quantity(1.0, unit.strip().replace(" ", "_")).to("money_unit").m < 1)
    except (pint.errors.PintError, ValueError, AttributeError, TypeError, AssertionError):
        return False
