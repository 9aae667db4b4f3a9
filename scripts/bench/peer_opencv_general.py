#!/usr/bin/python3
"""The general recipe hand-written with OpenCV + NumPy (bench:export's peer for it).

Per pair: cv2.imread image and mask; one affine (rotate +-30 deg, scale 0.8-1.2, shift +-0.1 of
the size, about the centre: cv2.warpAffine, bilinear for the image, nearest for the mask, constant
fill, 255 in the mask); a random 512x512 crop of both; horizontal and vertical flips (p 0.5 each);
brightness/contrast (one LUT); a hue shift of +-10 deg (cvtColor to HSV, LUT on H, back); Gaussian
noise (std 3-15, p 0.5, cv2.randn); salt and pepper (1-5 %, p 0.3); JPEG q90 image, PNG mask.
The same work as scripts/bench/general-recipe.json, parameters from a per-pair seed.

--procs N: multiprocessing.Pool(N) (cv2.setNumThreads(1) in each). Prints 'RESULT {json}'.
"""
import argparse
import json
import os
import time

import cv2
import numpy as np

CROP = 512
G = {}


def init(data, out):
    cv2.setNumThreads(1)
    G.update(data=data, out=out)


def do_pair(job):
    i, name = job
    rs = np.random.RandomState(1000 + i)
    img = cv2.imread(os.path.join(G["data"], "images", name + ".jpg"), cv2.IMREAD_COLOR)
    mask = cv2.imread(os.path.join(G["data"], "masks", name + ".png"), cv2.IMREAD_UNCHANGED)
    h, w = img.shape[:2]
    M = cv2.getRotationMatrix2D((w / 2, h / 2), rs.uniform(-30, 30), rs.uniform(0.8, 1.2))
    M[0, 2] += rs.uniform(-0.1, 0.1) * w
    M[1, 2] += rs.uniform(-0.1, 0.1) * h
    x, y = rs.randint(0, w - CROP + 1), rs.randint(0, h - CROP + 1)
    M[0, 2] -= x
    M[1, 2] -= y
    ic = cv2.warpAffine(img, M, (CROP, CROP), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    mc = cv2.warpAffine(mask, M, (CROP, CROP), flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT, borderValue=255)
    if rs.rand() < 0.5:
        ic, mc = cv2.flip(ic, 1), cv2.flip(mc, 1)
    if rs.rand() < 0.5:
        ic, mc = cv2.flip(ic, 0), cv2.flip(mc, 0)
    alpha, beta = 1 + rs.uniform(-0.2, 0.2), rs.uniform(-0.2, 0.2) * 255
    ic = cv2.LUT(ic, np.clip(np.arange(256) * alpha + beta, 0, 255).astype(np.uint8))
    hsv = cv2.cvtColor(ic, cv2.COLOR_BGR2HSV)
    hsv[..., 0] = cv2.LUT(hsv[..., 0], np.mod(np.arange(256) + rs.uniform(-5, 5), 180).astype(np.uint8))
    ic = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)
    if rs.rand() < 0.5:
        noise = np.empty(ic.shape, np.int16)
        cv2.randn(noise, 0, rs.uniform(3, 15))
        ic = cv2.add(ic, noise, dtype=cv2.CV_8U)
    if rs.rand() < 0.3:
        amount = rs.uniform(0.01, 0.05)
        r = rs.rand(CROP, CROP)
        ic[r < amount / 2] = 255
        ic[(r >= amount / 2) & (r < amount)] = 0
    cv2.imwrite(os.path.join(G["out"], "images", name + ".jpg"), ic, [cv2.IMWRITE_JPEG_QUALITY, 90])
    cv2.imwrite(os.path.join(G["out"], "masks", name + ".png"), mc)
    return h * w


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--procs", type=int, default=1)
    a = ap.parse_args()
    os.makedirs(os.path.join(a.out, "images"), exist_ok=True)
    os.makedirs(os.path.join(a.out, "masks"), exist_ok=True)
    names = sorted(f[:-4] for f in os.listdir(os.path.join(a.data, "images")) if f.endswith(".jpg"))
    jobs = list(enumerate(names))
    init(a.data, a.out)
    t0 = time.perf_counter()
    if a.procs == 1:
        for j in jobs:
            do_pair(j)
    else:
        import multiprocessing as mp
        with mp.get_context("fork").Pool(a.procs, init, (a.data, a.out)) as pool:
            for _ in pool.imap_unordered(do_pair, jobs, chunksize=2):
                pass
    print("RESULT " + json.dumps({"peer": "opencv-general", "pairs": len(jobs), "seconds": time.perf_counter() - t0, "procs": a.procs, "cv2": cv2.__version__}))


if __name__ == "__main__":
    main()
