"""sha256 of the RGB pixels each decoder gives for every image of a folders export.

    check_jpeg.py EXPORT_DIR     -> {"images/x.jpg": {"pil": sha, "cv2": sha}, ...}
"""
import hashlib
import json
import os
import sys

import lockstep
from lockstep.decode import use_backend

out = sys.argv[1]
result = {}
for rec in [r for r in lockstep.read_manifest(os.path.join(out, "manifest.jsonl")) if "files" in r]:
    rel = rec["files"]["folders"]["image"]
    entry = result.setdefault(rel, {})
    for name in ("pil", "cv2"):
        use_backend(name)
        x = lockstep.decode_image(os.path.join(out, rel))
        entry[name] = hashlib.sha256(x.tobytes()).hexdigest()
print(json.dumps(result))
