"""Site-wide records: rate-limit counters."""

from django.db import models


class RateLimitCounter(models.Model):
    """One rate-limit window: how often `key` was counted since the window opened.

    Kept in the database by default because every app process and machine shares it (a
    local-memory cache counts per process) and page traffic can never evict it (a shared cache
    can). `key` holds a keyed hash, never an address. Expired rows are replaced on the next hit
    and swept by `manage.py purge_expired`.
    """

    key = models.CharField(max_length=120, unique=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "rate-limit counter"

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
