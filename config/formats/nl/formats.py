# Date formats of our own, per language (Django's format `M` has no Dutch month abbreviations).
SHORT_DAY_FORMAT = "j b Y"  # 1 dec 2026
SHORT_DAY_MONTH_FORMAT = "j b"
SHORT_MONTH_YEAR_FORMAT = "b Y"
