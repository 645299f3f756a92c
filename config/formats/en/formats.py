# Date formats of our own, per language (see config/formats/nl/formats.py).
SHORT_DAY_FORMAT = "j M Y"  # 1 Dec 2026
SHORT_DAY_MONTH_FORMAT = "j M"
SHORT_MONTH_YEAR_FORMAT = "M Y"
