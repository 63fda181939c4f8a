"""Schemathesis hooks for scripts/schemathesis.sh (loaded through SCHEMATHESIS_HOOKS).

tus 1.0 bodies are `application/offset+octet-stream` (https://tus.io/protocols/resumable-upload,
"PATCH"): bytes, sent as they are. Schemathesis knows `application/octet-stream` only, so the
same serializer is registered for the tus media type; the OpenAPI document keeps the type the
server requires.
"""

import schemathesis

schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")
