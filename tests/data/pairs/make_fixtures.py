"""Writes the synthetic pair fixtures in this folder (run it here: python make_fixtures.py)."""

import csv
import random

random.seed(3)
brands = ["gudook", "kidzone", "velotec", "brightway", "nordhaus", "sunpeak", "aquafin", "tinytot"]
types = [
    ("space heater", "1500W"),
    ("bike helmet", "M"),
    ("baby stroller", ""),
    ("table lamp", "60W"),
    ("power bank", "10000mAh"),
    ("electric kettle", "1.7L"),
    ("toy drone", ""),
    ("hair dryer", "1800W"),
]
colors = ["black", "white", "blue", "red"]
A, B, pairs = [], [], []


def code(i, j):
    return f"{chr(65 + i)}{chr(75 + j)}-{100 + 7 * i + j:03d}"


def style(b, c, t, spec, col):
    forms = [
        f"{b.upper()} {c.replace('-', ' ')} {t.title()}, {spec} ({col})",
        f"{b.title()} {t} {c} {spec} {col}",
        f"{t} {c} by {b} - {col} {spec}",
    ]
    return random.choice(forms).replace("  ", " ").replace(", ()", "")


def desc(t, spec, b):
    return random.choice(["", f"{t} {spec} from {b}", f"quality {t}", "ships fast"])


def price():
    return random.choice(["", f"{random.uniform(8, 60):.2f}"])


for i, b in enumerate(brands):
    for j in range(5):
        t, spec = types[(i + j) % len(types)]
        c = code(i, j)
        aid = str(len(A))
        A.append(
            [aid, f"{b.title()} {t} {c} {spec} {random.choice(colors)}".replace("  ", " "), b, c, "", ""]
        )
        # true match, written differently
        bid = str(len(B))
        col = random.choice(colors)
        B.append([bid, style(b, c, t, spec, col), b.title(), "", desc(t, spec, b), price()])
        pairs.append((aid, bid, 1))
        # same brand and type, other model number
        c2 = code(i, j + 5)
        bid = str(len(B))
        B.append(
            [
                bid,
                style(b, c2, t, spec, random.choice(colors)),
                b,
                random.choice([c2, ""]),
                desc(t, spec, b),
                price(),
            ]
        )
        pairs.append((aid, bid, 0))
        # accessory for the product
        acc = random.choice(
            ["replacement filter for", "protective case for", "compatible with", "charger for"]
        )
        bid = str(len(B))
        B.append(
            [
                bid,
                f"{acc} {style(b, c, t, spec, random.choice(colors))}",
                random.choice(["", b]),
                "",
                desc(t, spec, b),
                price(),
            ]
        )
        pairs.append((aid, bid, 0))
        # other product, other brand
        ob = brands[(i + 3) % len(brands)]
        ot, ospec = types[(i + j + 3) % len(types)]
        bid = str(len(B))
        B.append(
            [
                bid,
                style(ob, code(i + 2, j), ot, ospec, random.choice(colors)),
                ob,
                "",
                desc(ot, ospec, ob),
                price(),
            ]
        )
        pairs.append((aid, bid, 0))
random.shuffle(pairs)
hdrA = ["id", "title", "brand", "modelno", "description", "price"]
hdrB = ["id", "name", "manufacturer", "model", "description", "price"]
for name, hdr, rows in (("tableA.csv", hdrA, A), ("tableB.csv", hdrB, B)):
    with open(name, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(hdr)
        w.writerows(rows)
cut = int(len(pairs) * 0.75)
for name, rows in (("train.csv", pairs[:cut]), ("valid.csv", pairs[cut:])):
    with open(name, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["ltable_id", "rtable_id", "label"])
        w.writerows(rows)
