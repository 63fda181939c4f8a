"""Pillow baseline for the ingest benchmark: the same work on the same file.

Per iteration: read bytes, SHA-256, open, read EXIF, draft('RGB', (2048, 2048))
(libjpeg DCT scaling), exif_transpose, thumbnail to 2048, save JPEG q85, then a
320 thumbnail from that, saved too. Prints the median in milliseconds.

    python3 pillow_baseline.py FILE N
"""
import hashlib
import io
import statistics
import sys
import time

from PIL import Image, ImageOps


def once(path):
    data = open(path, "rb").read()
    hashlib.sha256(data).hexdigest()
    img = Image.open(io.BytesIO(data))
    img.getexif()
    img.draft("RGB", (2048, 2048))
    img = ImageOps.exif_transpose(img)
    img.thumbnail((2048, 2048))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    thumb = img.copy()
    thumb.thumbnail((320, 320))
    out2 = io.BytesIO()
    thumb.save(out2, "JPEG", quality=85)
    return img.size


def main():
    path, n = sys.argv[1], int(sys.argv[2])
    for _ in range(2):
        once(path)
    times = []
    for _ in range(n):
        t = time.perf_counter()
        size = once(path)
        times.append((time.perf_counter() - t) * 1000)
    print(f"{statistics.median(times):.2f} {min(times):.2f} {size[0]}x{size[1]} pillow-{Image.__version__}")


if __name__ == "__main__":
    main()
