"""Uploaded images, made ready for the web once, at upload.

An upload is turned into a set of files of our own: each of `WIDTHS` (never wider than the
original) in AVIF, WebP and JPEG, with the orientation applied and no metadata (a phone photo's
EXIF can hold where it was taken). The original is rewritten without its metadata too. Pages then
offer the sizes with `srcset` and the formats with `<picture>`, and give width and height, so the
browser picks the smallest file that is sharp enough and nothing shifts while it loads
(`templatetags/site_tags.responsive_image`).

What was made is kept as plain data on the model (`variants`):
`{"source": <original's name>, "width": w, "height": h, "files": {"avif": [[w, name], ...], ...}}`.
"""

import hashlib
import io
import logging
from pathlib import PurePosixPath

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

logger = logging.getLogger(__name__)

WIDTHS = (480, 800, 1200, 1600)
# Best first: a browser takes the first <source> whose type it can show; JPEG is the fallback.
FORMATS = {
    "avif": ("AVIF", "image/avif", {"quality": 60}),
    "webp": ("WEBP", "image/webp", {"quality": 80, "method": 6}),
    "jpeg": ("JPEG", "image/jpeg", {"quality": 82, "optimize": True, "progressive": True}),
}
FALLBACK = "jpeg"
# Larger than any photo a camera takes: anything bigger is refused, not decoded.
MAX_PIXELS = 50_000_000


class UnusableImage(ValueError):
    """The file cannot be read as an image, or is too large to decode safely."""


def _open(file) -> Image.Image:
    file.seek(0)
    try:
        with Image.open(file) as original:
            too_large = original.width * original.height > MAX_PIXELS
            if not too_large:
                original.load()
                image = ImageOps.exif_transpose(original)
    except (OSError, Image.DecompressionBombError, SyntaxError, ValueError) as error:
        raise UnusableImage(_("it is not an image we can read")) from error
    if too_large:
        raise UnusableImage(_("it has more than 50 million pixels"))
    return image


def image_validate(file) -> None:
    """Field validator: the upload must be an image we can decode safely."""
    try:
        _open(file)
    except UnusableImage as error:
        raise ValidationError(
            _("This file cannot be used as an image (%(reason)s).") % {"reason": error}
        ) from error
    finally:
        file.seek(0)


def _encode(image: Image.Image, pil_format: str, options: dict) -> bytes:
    if pil_format == "JPEG" and image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, "white")
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        image = background
    elif image.mode not in ("RGB", "RGBA", "L"):
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    out = io.BytesIO()
    image.save(out, pil_format, **options)
    return out.getvalue()


def variants_make(field_file: FieldFile) -> dict:
    """Write every size and format of the image in `field_file` next to it and describe them.

    Raises UnusableImage when the file is not an image that can be decoded safely.
    """
    storage: Storage = field_file.storage
    with field_file.open("rb") as file:
        raw = file.read()
    image = _open(io.BytesIO(raw))
    stem = PurePosixPath(field_file.name)
    # The content's hash in the name: a replaced image gets new URLs, so files can be cached
    # for a year.
    digest = hashlib.sha256(raw).hexdigest()[:10]
    folder = stem.parent / "sizes"
    widths = [w for w in WIDTHS if w < image.width] + [min(image.width, WIDTHS[-1])]
    files: dict[str, list] = {}
    for key, (pil_format, _mime, options) in FORMATS.items():
        files[key] = []
        for width in dict.fromkeys(widths):
            resized = image.resize((width, _height(image, width)), Image.Resampling.LANCZOS)
            name = f"{folder}/{stem.stem}-{digest}-{width}.{key.replace('jpeg', 'jpg')}"
            if storage.exists(name):
                storage.delete(name)
            saved = storage.save(name, ContentFile(_encode(resized, pil_format, options)))
            files[key].append([width, saved])
    _strip_metadata(field_file, image, raw)
    return {
        "source": field_file.name,
        "width": files[FALLBACK][-1][0],
        "height": _height(image, files[FALLBACK][-1][0]),
        "files": files,
    }


def _height(image: Image.Image, width: int) -> int:
    return round(image.height * width / image.width)


def _strip_metadata(field_file: FieldFile, image: Image.Image, raw: bytes) -> None:
    """Rewrite the original without EXIF and other metadata, under the same name."""
    with Image.open(io.BytesIO(raw)) as original:
        if not (original.info.get("exif") or original.getexif() or original.info.get("xmp")):
            return
        pil_format = original.format or "PNG"
    options = {"quality": 95} if pil_format in ("JPEG", "WEBP", "AVIF") else {}
    storage, name = field_file.storage, field_file.name
    storage.delete(name)
    saved = storage.save(name, ContentFile(_encode(image, pil_format, options)))
    if saved != name:  # another file took the name meanwhile: point at ours
        field_file.name = saved


def variants_delete(storage: Storage, variants: dict) -> None:
    """Remove the files of an image that was replaced or removed (best effort)."""
    for sizes in variants.get("files", {}).values():
        for _width, name in sizes:
            try:
                storage.delete(name)
            except OSError:
                logger.warning("Could not delete image file %s", name)


def variants_refresh(field_file: FieldFile, variants: dict) -> dict | None:
    """New variants when the image in `field_file` is not the one `variants` describes, {} when
    the image was removed, None when nothing changed."""
    if not field_file:
        if variants:
            variants_delete(field_file.storage, variants)
            return {}
        return None
    if variants.get("source") == field_file.name:
        return None
    fresh = variants_make(field_file)
    if variants:
        variants_delete(field_file.storage, variants)
    return fresh


def images_refresh(instance, *pairs: tuple[str, str]) -> None:
    """After `instance` was saved: remake the variants of each (image field, variants field)
    whose image changed, and store them (and the original's name, if it moved)."""
    changes = {}
    for image_field, variants_field in pairs:
        field_file = getattr(instance, image_field)
        fresh = variants_refresh(field_file, getattr(instance, variants_field))
        if fresh is not None:
            setattr(instance, variants_field, fresh)
            changes |= {variants_field: fresh, image_field: field_file.name or ""}
    if changes:
        type(instance)._default_manager.filter(pk=instance.pk).update(**changes)


def mime_type(key: str) -> str:
    return FORMATS[key][1]
