"""derive_history: when each change took effect, from ordered observations (no database)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from db.derive import Observation, SourceInfo, derive_history
from parsers.quote import Quote, iso_utc, parse_utc

EN = SourceInfo("p-en", "p", ("USD",))
ZH = SourceInfo("p-zh", "p", ("CNY",))


def t(text: str) -> datetime:
    return parse_utc(text)


def q(model: str, price: str, component: str = "input", tier: str = "standard", currency: str = "USD",
      list_price: str | None = None, promo_until: str | None = None, effective_from: str | None = None,
      window: str = "") -> Quote:
    return Quote("p", model, component, currency, Decimal(price), price, tier=tier, window=window,
                 list_price=Decimal(list_price) if list_price else None,
                 promo_until=t(promo_until) if promo_until else None,
                 effective_from=t(effective_from) if effective_from else None)


def obs(n: int, at: str, *quotes: Quote, source: SourceInfo = EN) -> Observation:
    return Observation(n, source.id, t(at), list(quotes))


def versions(history, model: str = "m", tier: str = "standard", component: str = "input"):
    return [(str(v.terms.price), iso_utc(v.valid_from), v.valid_to and iso_utc(v.valid_to),
             v.from_basis, v.to_basis, v.status)
            for v in history.versions if v.key[1:4] == (model, component, tier)]


def change_rows(history):
    return [(c.key[1], c.key[3], c.kind, c.old and str(c.old.price), c.new and str(c.new.price),
             iso_utc(c.effective_at), c.basis, c.observed_after and iso_utc(c.observed_after),
             c.observed_at and iso_utc(c.observed_at), c.status) for c in history.changes]


PROMO = q("m", "0.14", list_price="0.27", promo_until="2025-02-08T16:00:00Z")


def test_promo_end_takes_effect_at_the_announced_instant_even_without_a_scrape_then():
    h = derive_history([EN], [obs(1, "2024-12-28T00:00:00Z", PROMO), obs(2, "2025-02-20T00:00:00Z", q("m", "0.27"))])
    assert versions(h) == [
        ("0.14", "2024-12-28T00:00:00Z", "2025-02-08T16:00:00Z", "first_observed", "announced", "confirmed"),
        ("0.27", "2025-02-08T16:00:00Z", None, "announced", None, "confirmed"),
    ]
    assert change_rows(h) == [("m", "standard", "promo_end", "0.14", "0.27", "2025-02-08T16:00:00Z", "announced",
                               "2024-12-28T00:00:00Z", "2025-02-20T00:00:00Z", "confirmed")]
    assert h.changes[0].percent_change == Decimal("92.86")


def test_a_promo_with_an_end_schedules_its_list_price_before_any_later_scrape():
    h = derive_history([EN], [obs(1, "2024-12-28T00:00:00Z", PROMO)])
    assert versions(h) == [
        ("0.14", "2024-12-28T00:00:00Z", "2025-02-08T16:00:00Z", "first_observed", "announced", "confirmed"),
        ("0.27", "2025-02-08T16:00:00Z", None, "announced", None, "scheduled"),
    ]
    assert change_rows(h) == [("m", "standard", "promo_end", "0.14", "0.27", "2025-02-08T16:00:00Z", "announced",
                               "2024-12-28T00:00:00Z", None, "scheduled")]


def test_a_tier_appearing_between_observations_is_observed_with_both_bounds():
    h = derive_history([EN], [
        obs(1, "2025-02-20T00:00:00Z", q("m", "0.27")),
        obs(2, "2025-02-26T08:00:00Z", q("m", "0.27"), q("m", "0.135", tier="off_peak", window="16:30-00:30 UTC")),
    ])
    assert versions(h, tier="off_peak") == [("0.135", "2025-02-26T08:00:00Z", None, "observed", None, "confirmed")]
    assert h.versions[0].valid_from_after == t("2025-02-20T00:00:00Z")
    assert change_rows(h) == [("m", "off_peak", "added", None, "0.135", "2025-02-26T08:00:00Z", "observed",
                               "2025-02-20T00:00:00Z", "2025-02-26T08:00:00Z", "confirmed")]


def test_a_window_change_alone_starts_a_new_version():
    h = derive_history([EN], [obs(1, "2025-02-20T00:00:00Z", q("m", "0.27")),
                              obs(2, "2025-02-26T00:00:00Z", q("m", "0.27", window="00:30-16:30 UTC"))])
    assert [v[0:3] for v in versions(h)] == [("0.27", "2025-02-20T00:00:00Z", "2025-02-26T00:00:00Z"),
                                             ("0.27", "2025-02-26T00:00:00Z", None)]
    assert [c.kind for c in h.changes] == ["terms"]


F = "2026-08-16T16:00:00Z"
ANNOUNCED_PAGE = (q("m", "0.14"), q("m", "0.44", tier="peak", effective_from=F),
                  q("m", "0.22", tier="off_peak", effective_from=F), q("m", "0.28", component="output"))
PEAK_PAGE = (q("m", "0.44", tier="peak"), q("m", "0.22", tier="off_peak"), q("m", "0.28", component="output"))


def test_announced_restructure_is_scheduled_and_the_flat_price_ends_at_the_same_instant():
    h = derive_history([EN], [obs(1, "2026-08-14T00:00:00Z", *ANNOUNCED_PAGE)])
    assert versions(h) == [("0.14", "2026-08-14T00:00:00Z", F, "first_observed", "announced", "confirmed")]
    assert versions(h, tier="peak") == [("0.44", F, None, "announced", None, "scheduled")]
    assert versions(h, tier="off_peak") == [("0.22", F, None, "announced", None, "scheduled")]
    # output was not announced: it goes on unchanged
    assert versions(h, component="output") == [("0.28", "2026-08-14T00:00:00Z", None, "first_observed", None, "confirmed")]
    assert sorted((a.key[3], a.terms and str(a.terms.price), a.status) for a in h.announcements) == [
        ("off_peak", "0.22", "scheduled"), ("peak", "0.44", "scheduled"), ("standard", None, "scheduled")]


def test_an_observation_after_the_instant_confirms_the_announcement():
    h = derive_history([EN], [obs(1, "2026-08-14T00:00:00Z", *ANNOUNCED_PAGE),
                              obs(2, "2026-08-17T00:00:00Z", *PEAK_PAGE)])
    assert versions(h) == [("0.14", "2026-08-14T00:00:00Z", F, "first_observed", "announced", "confirmed")]
    assert versions(h, tier="peak") == [("0.44", F, None, "announced", None, "confirmed")]
    assert change_rows(h) == [
        ("m", "off_peak", "added", None, "0.22", F, "announced", "2026-08-14T00:00:00Z", "2026-08-17T00:00:00Z", "confirmed"),
        ("m", "peak", "added", None, "0.44", F, "announced", "2026-08-14T00:00:00Z", "2026-08-17T00:00:00Z", "confirmed"),
        ("m", "standard", "removed", "0.14", None, F, "announced", "2026-08-14T00:00:00Z", "2026-08-17T00:00:00Z", "confirmed"),
    ]
    assert {a.status for a in h.announcements} == {"confirmed"}


def test_a_contradicted_announcement_did_not_happen_and_the_seen_change_is_observed():
    h = derive_history([EN], [
        obs(1, "2026-08-14T00:00:00Z", q("m", "0.14"), q("m", "0.10", effective_from=F)),
        obs(2, "2026-08-17T00:00:00Z", q("m", "0.12")),
    ])
    assert [(a.status, iso_utc(a.resolved_at)) for a in h.announcements] == [("did_not_happen", "2026-08-17T00:00:00Z")]
    assert change_rows(h) == [("m", "standard", "cut", "0.14", "0.12", "2026-08-17T00:00:00Z", "observed",
                               "2026-08-14T00:00:00Z", "2026-08-17T00:00:00Z", "confirmed")]


def test_an_announcement_the_page_drops_before_its_instant_is_withdrawn():
    h = derive_history([EN], [
        obs(1, "2026-08-14T00:00:00Z", q("m", "0.14"), q("m", "0.10", effective_from=F)),
        obs(2, "2026-08-15T00:00:00Z", q("m", "0.14")),
    ])
    assert [a.status for a in h.announcements] == ["withdrawn"]
    assert versions(h) == [("0.14", "2026-08-14T00:00:00Z", None, "first_observed", None, "confirmed")]
    assert h.changes == []


def test_a_page_first_seen_after_its_announced_instant_starts_the_price_there():
    h = derive_history([EN], [obs(1, "2026-08-17T00:00:00Z", q("m", "0.44", tier="peak", effective_from=F))])
    assert versions(h, tier="peak") == [("0.44", F, None, "announced", None, "confirmed")]


def test_observation_order_not_arrival_order_decides():
    a = obs(1, "2025-02-20T00:00:00Z", q("m", "0.27"))
    b = obs(2, "2024-12-28T00:00:00Z", PROMO)
    assert change_rows(derive_history([EN], [a, b])) == change_rows(derive_history([EN], [b, a]))
    assert versions(derive_history([EN], [a, b]))[0][0] == "0.14"


def test_a_model_missing_from_a_healthy_page_is_removed_with_bounds():
    h = derive_history([EN], [obs(1, "2025-01-01T00:00:00Z", q("m", "1"), q("x", "2")),
                              obs(2, "2025-01-05T00:00:00Z", q("m", "1"))])
    assert [(c.key[1], c.kind, iso_utc(c.effective_at), iso_utc(c.observed_after)) for c in h.changes] == [
        ("x", "removed", "2025-01-05T00:00:00Z", "2025-01-01T00:00:00Z")]


def test_each_currency_follows_its_authoritative_page_and_a_tab_that_disagrees_is_reported():
    h = derive_history([EN, ZH], [
        obs(1, "2025-01-01T00:00:00Z", q("m", "1", currency="CNY"), source=ZH),
        obs(2, "2025-01-02T00:00:00Z", q("m", "0.14"), q("m", "1.5", currency="CNY")),
        obs(3, "2025-01-03T00:00:00Z", q("m", "0.14"), q("m", "1.5", currency="CNY")),
        obs(4, "2025-01-04T00:00:00Z", q("m", "0.14"), q("m", "1", currency="CNY")),
    ])
    cny = [v for v in h.versions if v.key[4] == "CNY"]
    assert [(str(v.terms.price), v.source_id) for v in cny] == [("1", "p-zh")]
    assert [(d.source_id, d.authority_id, str(d.shown.price), str(d.expected.price),
             iso_utc(d.first_observed_at), iso_utc(d.last_observed_at)) for d in h.disagreements] == [
        ("p-en", "p-zh", "1.5", "1", "2025-01-02T00:00:00Z", "2025-01-03T00:00:00Z")]


def test_percent_change_is_exact_to_two_decimals_and_kinds_follow_price_direction():
    h = derive_history([EN], [obs(1, "2025-01-01T00:00:00Z", q("m", "0.27")),
                              obs(2, "2025-01-02T00:00:00Z", q("m", "0.28")),
                              obs(3, "2025-01-03T00:00:00Z", q("m", "0.028"))])
    assert [(c.kind, c.percent_change) for c in h.changes] == [("increase", Decimal("3.70")),
                                                               ("cut", Decimal("-90.00"))]


def test_a_page_showing_none_of_its_own_currencies_removes_nothing():
    h = derive_history([EN, ZH], [
        obs(1, "2025-01-01T00:00:00Z", q("m", "1", currency="CNY"), source=ZH),
        obs(2, "2025-01-02T00:00:00Z", q("m", "0.14"), source=ZH),  # only the USD tab was read
    ])
    assert [(v.key[4], str(v.terms.price), v.valid_to) for v in h.versions] == [("CNY", "1", None)]
    assert h.changes == []


def test_prices_are_compared_as_values_and_float_noise_is_not_a_change():
    h = derive_history([EN], [
        obs(1, "2026-03-01T00:00:00Z", q("m", "0.10"), q("f", "0.08333333333333334")),
        obs(2, "2026-03-02T00:00:00Z", q("m", "0.1"), q("f", "0.08333333333333333")),    # same values
        obs(3, "2026-03-03T00:00:00Z", q("m", "0.100000000"), q("f", "0.083333333333333334")),
        obs(4, "2026-03-04T00:00:00Z", q("m", "0.1000000002"), q("f", "0.0833333334")),  # 2e-9, 8e-10
    ])
    # only m's move of two parts in a billion is a change; f's 8e-10 (relative) is float noise
    assert change_rows(h) == [("m", "standard", "increase", "0.10", "0.1000000002", "2026-03-04T00:00:00Z",
                               "observed", "2026-03-03T00:00:00Z", "2026-03-04T00:00:00Z", "confirmed")]
    assert versions(h, model="f") == [("0.08333333333333334", "2026-03-01T00:00:00Z", None, "first_observed",
                                       None, "confirmed")]


def test_a_page_repeated_night_after_night_derives_as_if_each_night_were_read_in_full():
    """derive_history skips re-reading a source's page when it is the same stored quote set as the
    previous night; the history must be exactly the one a full read of every night gives,
    across a promo end and an announced switch that come due between repeats."""
    promo = [q("m", "0.14", list_price="0.27", promo_until="2025-01-03T16:00:00Z"), q("n", "1")]
    announced = [q("m", "0.27"), q("n", "1"), q("n", "0.5", effective_from="2025-01-08T00:00:00Z"),
                 q("n", "2", tier="peak", effective_from="2025-01-08T00:00:00Z", window="01:00-09:00 UTC")]
    pages = [promo] * 4 + [announced] * 3 + [[q("m", "0.27"), q("n", "0.5"), q("n", "2", tier="peak",
                                                                               window="01:00-09:00 UTC")]] * 5
    shared = [obs(i, f"2025-01-{i + 1:02d}T03:00:00Z", *page) for i, page in enumerate(pages)]
    for o in shared[1:]:  # the same quote-set object, as db.history loads a repeated page
        before = next((p for p in reversed(shared[:o.id]) if p.quotes == o.quotes), None)
        if before is not None:
            object.__setattr__(o, "quotes", before.quotes)
    copies = [Observation(o.id, o.source_id, o.observed_at, list(o.quotes)) for o in shared]
    fast, full = derive_history([EN], shared), derive_history([EN], copies)
    assert shared[3].quotes is shared[0].quotes and copies[3].quotes is not copies[0].quotes
    assert (fast.versions, fast.changes, fast.announcements) == (full.versions, full.changes, full.announcements)
    assert [(v.key[1], v.key[3], str(v.terms.price), iso_utc(v.last_observed_at)) for v in fast.versions
            if v.valid_to is None] == [("m", "standard", "0.27", "2025-01-12T03:00:00Z"),
                                       ("n", "peak", "2", "2025-01-12T03:00:00Z"),
                                       ("n", "standard", "0.5", "2025-01-12T03:00:00Z")]
    assert [(a.status, iso_utc(a.last_announced_at)) for a in fast.announcements] == [
        ("confirmed", "2025-01-07T03:00:00Z"), ("confirmed", "2025-01-07T03:00:00Z")]
