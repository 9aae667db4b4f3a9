"""With neither Pillow nor OpenCV importable: npy still reads, folders says what to install.

    check_no_decoder.py EXPORT_DIR
"""
import json
import sys

sys.modules["PIL"] = None  # makes `import PIL` / `from PIL import Image` raise ImportError
sys.modules["cv2"] = None

import lockstep  # noqa: E402

out = sys.argv[1]
result = {"npyBatches": len(list(lockstep.read_npy(out)))}
try:
    list(lockstep.read_folders(out))
    result["folders"] = {"ok": True}
except lockstep.DecoderMissing as err:
    result["folders"] = {"ok": False, "message": str(err)}
print(json.dumps(result))
