"""The staff dashboard's p50, and each regular-giving figure's, over a million payment rows
(PostgreSQL)."""

import datetime

from django.db import connection

ROWS = 1_000_000


def _campaign_with_links() -> tuple[int, list[int]]:
    """A campaign and three campaign links the filled gifts come from (the rest: direct)."""
    from campaign.models import Campaign, CampaignLink

    campaign, _ = Campaign.objects.get_or_create(key="bench", defaults={"name": "Bench"})
    links = [
        CampaignLink.objects.get_or_create(
            code=f"bench-{n}", defaults={"campaign": campaign, "label": f"Bench link {n}"}
        )[0].pk
        for n in range(3)
    ]
    return campaign.pk, links


def fill(rows: int = ROWS, *, vacuum: bool = True) -> None:
    """Insert `rows` payments spread over two years, with SQL so it takes seconds, not hours.

    The gifts come from three campaign links (a quarter each), the campaign page (an eighth)
    or nowhere in particular, for the figures per source."""
    campaign, links = _campaign_with_links()
    with connection.cursor() as cursor:
        # The benchmarks before this one leave rows behind: the new rows are numbered from
        # after the last of those, not from the smallest id in the table.
        cursor.execute("SELECT coalesce(max(id), 0) FROM supporters_supporter")
        supporters_before = cursor.fetchone()[0]
        cursor.execute("SELECT coalesce(max(id), 0) FROM donations_donation")
        donations_before = cursor.fetchone()[0]
        cursor.execute("SELECT coalesce(max(id), 0) FROM donations_subscription")
        subscriptions_before = cursor.fetchone()[0]
        cursor.execute(
            """
            INSERT INTO supporters_supporter (email, name, language, created_at)
            SELECT 'donor' || n || '@example.org', 'Donor ' || n, 'nl',
                   now() - (n % 730) * interval '1 day'
            FROM generate_series(1, 20000) AS n
            """
        )
        cursor.execute(
            "SELECT min(id) FROM supporters_supporter WHERE id > %s", [supporters_before]
        )
        first_supporter = cursor.fetchone()[0]
        cursor.execute(
            """
            INSERT INTO donations_donation
                (public_token, supporter_id, amount, frequency, language, created_supporter,
                 start_error, mollie_customer_id, route, created_at, source_link_id,
                 source_campaign_id, source_page, first_paid_at)
            SELECT 'bench-' || n, %s + (n %% 20000), 10,
                   CASE WHEN n %% 2 = 0 THEN 'monthly' ELSE 'oneoff' END, 'nl', false, '', '',
                   'checkout', now() - (n %% 730) * interval '1 day',
                   CASE WHEN n %% 8 < 6 THEN (ARRAY[%s, %s, %s])[1 + n %% 3] END,
                   CASE WHEN n %% 8 < 7 THEN %s END,
                   CASE WHEN n %% 8 = 6 THEN 'campaign' ELSE '' END,
                   CASE WHEN n %% 5 > 0 THEN now() - (n %% 730) * interval '1 day' END
            FROM generate_series(1, 20000) AS n
            """,
            [first_supporter, *links, campaign],
        )
        cursor.execute("SELECT min(id) FROM donations_donation WHERE id > %s", [donations_before])
        first_donation = cursor.fetchone()[0]
        # One regular gift per donation, started over two years; a fifth of them stopped.
        cursor.execute(
            """
            INSERT INTO donations_subscription
                (mollie_id, donation_id, supporter_id, customer_id, mandate_id, amount, interval,
                 status, start_date, next_payment_date, started_at, canceled_at, mollie_data,
                 failed_in_a_row, notice_due, halted_reason, awaits_first_gift, attention_reason)
            SELECT 'sub_bench' || n, %s + (n %% 20000), %s + (n %% 20000), 'cst_bench', '', 10,
                   CASE WHEN n %% 7 = 0 THEN '3 months' ELSE '1 month' END,
                   CASE WHEN n %% 5 = 0 THEN 'canceled' ELSE 'active' END,
                   current_date, current_date, now() - (n %% 730) * interval '1 day',
                   CASE WHEN n %% 5 = 0 THEN now() - (n %% 300) * interval '1 day' END,
                   '{}'::jsonb, 0, false, '', false, ''
            FROM generate_series(0, 19999) AS n
            """,
            [first_donation, first_supporter],
        )
        cursor.execute(
            "SELECT min(id) FROM donations_subscription WHERE id > %s", [subscriptions_before]
        )
        first_subscription = cursor.fetchone()[0]
        cursor.execute(
            """
            INSERT INTO donations_payment
                (mollie_id, donation_id, subscription_id, supporter_id, status, sequence_type,
                 amount, amount_refunded, amount_charged_back, method, mandate_id, created_at,
                 paid_at, mollie_data, is_verification, recovered, bank_reason_code, recovery,
                 origin, reference)
            SELECT 'tr_bench' || n, %s + (n %% 20000),
                   CASE WHEN n %% 3 = 0 THEN NULL ELSE %s + (n %% 20000) END,
                   %s + (n %% 20000),
                   CASE WHEN n %% 10 = 0 THEN 'failed' ELSE 'paid' END,
                   CASE WHEN n %% 3 = 0 THEN 'oneoff' ELSE 'recurring' END,
                   5 + (n %% 50), CASE WHEN n %% 97 = 0 THEN 2 ELSE 0 END, 0, 'ideal', '',
                   now() - (n %% 730) * interval '1 day' - (n %% 86400) * interval '1 second',
                   CASE WHEN n %% 10 = 0 THEN NULL
                        ELSE now() - (n %% 730) * interval '1 day'
                                   - (n %% 86400) * interval '1 second' END,
                   '{}'::jsonb, false, false, '', '', 'mollie', ''
            FROM generate_series(1, %s) AS n
            """,
            [first_donation, first_subscription, first_supporter, rows],
        )
        # What the services record as gifts arrive: each supporter's first gift (the newest
        # tenth of the supporters gave first within the last year, for the cohorts), and the
        # failed charges a later paid charge recovered.
        cursor.execute(
            """
            INSERT INTO donations_donor (supporter_id, first_gift_at)
            SELECT s.id, CASE
                WHEN s.id % 10 = 0 THEN now() - (s.id % 330) * interval '1 day'
                ELSE now() - interval '700 days' END
            FROM supporters_supporter s
            ON CONFLICT (supporter_id) DO NOTHING
            """
        )
        cursor.execute(
            """
            UPDATE donations_payment SET recovered = true
            WHERE sequence_type = 'recurring' AND status = 'failed' AND id % 3 = 0
            """
        )
        if vacuum:  # (not inside a transaction: the test of this fill leaves it out)
            cursor.execute("VACUUM ANALYZE")


def run(repeat: int = 15) -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from .common import p50_ms

    if connection.vendor != "postgresql":
        return {"skipped": "needs PostgreSQL: set DATABASE_URL=postgres://..."}
    fill()
    from django.contrib.auth.models import Permission

    user = get_user_model().objects.create_user("bench", "b@example.org", "x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_figures"))
    client = Client()
    client.force_login(user)

    def load(path: str = "/staff/dashboard/") -> None:
        response = client.get(path)
        assert response.status_code == 200, response.status_code
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)

    from donations.insight import FIGURES

    figures = {
        key: round(p50_ms(lambda key=key: load(f"/staff/regular-giving/{key}.csv"), repeat), 1)
        for key in FIGURES
    }
    page = round(p50_ms(lambda: load("/staff/regular-giving/"), 5), 1)
    # Where gifts came from, per campaign and source: over the last year, and over both.
    today = datetime.date.today()
    sources = {
        f"{days}_days": round(
            p50_ms(
                lambda days=days: load(
                    f"/staff/sources.csv?start={today - datetime.timedelta(days=days)}&end={today}"
                ),
                repeat,
            ),
            1,
        )
        for days in (365, 730)
    }
    return {
        "rows": ROWS,
        "p50_ms": round(p50_ms(load, repeat), 1),
        "figures_p50_ms": figures,
        "regular_giving_page_p50_ms": page,
        "sources_p50_ms": sources,
    }
