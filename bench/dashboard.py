"""The staff dashboard's p50 over a million payment rows (PostgreSQL)."""

from django.db import connection

ROWS = 1_000_000


def fill(rows: int = ROWS) -> None:
    """Insert `rows` payments spread over two years, with SQL so it takes seconds, not hours."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO supporters_supporter (email, name, language, mollie_customer_id, created_at)
            SELECT 'donor' || n || '@example.org', 'Donor ' || n, 'nl', '',
                   now() - (n % 730) * interval '1 day'
            FROM generate_series(1, 20000) AS n
            """
        )
        cursor.execute("SELECT min(id) FROM supporters_supporter")
        first_supporter = cursor.fetchone()[0]
        cursor.execute(
            """
            INSERT INTO donations_donation
                (public_token, supporter_id, amount, frequency, language, created_supporter,
                 start_error, created_at)
            SELECT 'bench-' || n, %s + (n %% 20000), 10, 'oneoff', 'nl', false, '', now()
            FROM generate_series(1, 20000) AS n
            """,
            [first_supporter],
        )
        cursor.execute("SELECT min(id) FROM donations_donation")
        first_donation = cursor.fetchone()[0]
        cursor.execute(
            """
            INSERT INTO donations_payment
                (mollie_id, donation_id, supporter_id, status, sequence_type, amount,
                 amount_refunded, amount_charged_back, method, created_at, paid_at, mollie_data)
            SELECT 'tr_bench' || n, %s + (n %% 20000), %s + (n %% 20000),
                   CASE WHEN n %% 10 = 0 THEN 'failed' ELSE 'paid' END,
                   CASE WHEN n %% 3 = 0 THEN 'oneoff' ELSE 'recurring' END,
                   5 + (n %% 50), CASE WHEN n %% 97 = 0 THEN 2 ELSE 0 END, 0, 'ideal',
                   now() - (n %% 730) * interval '1 day' - (n %% 86400) * interval '1 second',
                   CASE WHEN n %% 10 = 0 THEN NULL
                        ELSE now() - (n %% 730) * interval '1 day'
                                   - (n %% 86400) * interval '1 second' END,
                   '{}'::jsonb
            FROM generate_series(1, %s) AS n
            """,
            [first_donation, first_supporter, rows],
        )
        cursor.execute("ANALYZE")


def run(repeat: int = 15) -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from .common import p50_ms

    if connection.vendor != "postgresql":
        return {"skipped": "needs PostgreSQL: set DATABASE_URL=postgres://..."}
    fill()
    user = get_user_model().objects.create_user("bench", "b@example.org", "x", is_staff=True)
    client = Client()
    client.force_login(user)

    def load() -> None:
        response = client.get("/staff/dashboard/")
        assert response.status_code == 200, response.status_code

    return {"rows": ROWS, "p50_ms": round(p50_ms(load, repeat), 1)}
