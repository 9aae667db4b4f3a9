#!/usr/bin/python3
# Generates native/decoders/ops_filter_nets.h: the min/max networks of the exact k x k median
# (k = 3, 5, 7) that ops_filter.c runs on 16/32 bytes at a time. Three stages per output row:
#   COLSORT: sort each padded column of k source bytes (once per byte position),
#   PAIR:    merge the sorted columns at byte j and j + 3 (the next pixel) into 2k sorted planes,
#   FINAL:   merge the pairs (and the last column) of an output's window, pruned to the median.
# Every merge is Batcher's odd-even merge for any sizes; each is checked here by the 0-1 principle
# (all inputs of 0s and 1s whose parts are sorted), and the pruning keeps exactly the comparators
# the median wire depends on. Run: /usr/bin/python3 scripts/gen-median-nets.py > native/decoders/ops_filter_nets.h
import itertools


def merge(a, b, comps):
    """Odd-even merge of the sorted wire lists a and b; returns the wires in ascending order."""
    if not a or not b:
        return list(a) + list(b)
    if len(a) == 1 and len(b) == 1:
        comps.append((a[0], b[0]))
        return [a[0], b[0]]
    v = merge(a[0::2], b[0::2], comps)
    w = merge(a[1::2], b[1::2], comps)
    out = [v[0]]
    for i in range(max(len(w), len(v) - 1)):
        if i < len(w) and i + 1 < len(v):
            comps.append((w[i], v[i + 1]))
            out += [w[i], v[i + 1]]
        elif i < len(w):
            out.append(w[i])
        else:
            out.append(v[i + 1])
    return out


def sortnet(ws, comps):
    if len(ws) <= 1:
        return list(ws)
    h = len(ws) // 2
    return merge(sortnet(ws[:h], comps), sortnet(ws[h:], comps), comps)


def run(comps, wires):
    wires = list(wires)
    for i, j in comps:
        wires[i], wires[j] = wires[i] & wires[j], wires[i] | wires[j]
    return wires


def check_sorts(parts, comps, order):
    """0-1 principle: every input whose parts (lists of wires) are each sorted comes out sorted along `order`."""
    n = sum(len(p) for p in parts)
    pats = list(itertools.product(*[range(len(p) + 1) for p in parts]))
    wires = [0] * n
    for bit, ones in enumerate(pats):
        for p, t in zip(parts, ones):
            for w in p[len(p) - t :]:
                wires[w] |= 1 << bit
    out = run(comps, wires)
    for bit, ones in enumerate(pats):
        total = sum(ones)
        got = [(out[w] >> bit) & 1 for w in order]
        assert got == [0] * (n - total) + [1] * total, (parts, ones)


def prune(comps, target):
    need, kept = {target}, []
    for i, j in reversed(comps):
        ni, nj = i in need, j in need
        if ni or nj:
            kept.append((i, j, ni, nj))
            need |= {i, j}
    return list(reversed(kept))


def emit_comps(comps, full=True):
    out = []
    for c in comps:
        i, j, ni, nj = c if not full else (*c, True, True)
        if ni and nj:
            out.append(f"CSWAP(v[{i}], v[{j}]);")
        elif ni:
            out.append(f"v[{i}] = MN(v[{i}], v[{j}]);")
        else:
            out.append(f"v[{j}] = MX(v[{i}], v[{j}]);")
    return out


TREES = {3: ((0, 1), 2), 5: ((0, 1), ((2, 3), 4)), 7: (((0, 1), (2, 3)), ((4, 5), 6))}


def gen(k):
    lines = []
    # COLSORT
    comps = []
    order = sortnet(list(range(k)), comps)
    check_sorts([[w] for w in range(k)], comps, order)
    body = [f"v[{e}] = LD(rows[{e}] + j);" for e in range(k)] + emit_comps(comps) + [f"ST(S[{e}] + j, v[{order[e]}]);" for e in range(k)]
    lines.append((f"MED_COLSORT_{k}", body, len(comps)))
    # PAIR
    comps = []
    a, b = list(range(k)), list(range(k, 2 * k))
    order = merge(a, b, comps)
    check_sorts([a, b], comps, order)
    body = [f"v[{e}] = LD(S[{e}] + j); v[{k + e}] = LD(S[{e}] + j + 3);" for e in range(k)] + emit_comps(comps) + [f"ST(P[{e}] + j, v[{order[e]}]);" for e in range(2 * k)]
    lines.append((f"MED_PAIR_{k}", body, len(comps)))
    # FINAL: leaves are pairs (columns c, c + 1 at P, byte i + 3c) or the last column (S, byte i + 3c)
    loads, parts, nw = [], {}, 0

    def leaf(spec):
        nonlocal nw
        if spec in parts:
            return parts[spec]
        if isinstance(spec, tuple) and all(isinstance(s, int) for s in spec):
            c = spec[0]
            ws = list(range(nw, nw + 2 * k))
            loads.extend(f"v[{w}] = LD(P[{e}] + i + {3 * c});" for e, w in enumerate(ws))
        else:
            c = spec
            ws = list(range(nw, nw + k))
            loads.extend(f"v[{w}] = LD(S[{e}] + i + {3 * c});" for e, w in enumerate(ws))
        nw += len(ws)
        parts[spec] = ws
        return ws

    comps = []

    def tree(spec):
        if isinstance(spec, int) or all(isinstance(s, int) for s in spec):
            return leaf(spec)
        return merge(tree(spec[0]), tree(spec[1]), comps)

    order = tree(TREES[k])
    check_sorts(list(parts.values()), comps, order)
    target = order[(k * k) // 2]
    kept = prune(comps, target)
    body = loads + emit_comps(kept, full=False) + [f"ST(out + i, v[{target}]);"]
    lines.append((f"MED_FINAL_{k}", body, sum(ni + nj for *_, ni, nj in kept)))
    return lines, nw


print("// Generated by scripts/gen-median-nets.py (do not edit): exact k x k median networks, checked by the")
print("// 0-1 principle there. Each macro expects T v[] (wires), LD/ST (load/store one vector at a byte")
print("// address), MN/MX (lane-wise unsigned min/max) and CSWAP(a, b) (a = min, b = max) in scope.")
print("#ifndef LOCKSTEP_OPS_FILTER_NETS_H")
print("#define LOCKSTEP_OPS_FILTER_NETS_H")
for k in (3, 5, 7):
    macros, nw = gen(k)
    print(f"#define MED_WIRES_{k} {max(nw, 2 * k)}")
    for name, body, cost in macros:
        print(f"// {name}: {cost} {'min/max' if name.startswith('MED_FINAL') else 'compare-exchanges'}")
        print(f"#define {name} \\\n  do {{ \\")
        for l in body:
            print(f"    {l} \\")
        print("  } while (0)")
print("#endif")
