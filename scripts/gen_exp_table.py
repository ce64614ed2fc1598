"""Writes src/learn/exp/table.rs: the 128 pairs (tail, scale) of glibc's `exp` table,
2^(k/128) ~= H[k] (1 + T[k]) with H[k] the double nearest 2^(k/128) and T[k] the double nearest
2^(k/128) / H[k] - 1, stored as glibc stores them (T's bits, and H's bits less k/128 of the
exponent's unit), computed with Python's decimal at 200 digits:

    python3 scripts/gen_exp_table.py
"""

import struct
from decimal import Decimal, getcontext
from pathlib import Path

getcontext().prec = 200
N = 128
ROOT = Path(__file__).resolve().parents[1]


def bits(value):
    return struct.unpack("<Q", struct.pack("<d", value))[0]


def main():
    ln2 = Decimal(2).ln()
    rows = []
    for k in range(N):
        exact = (ln2 * k / N).exp()
        scale = float(exact)
        tail = float(exact / Decimal(scale) - 1)
        rows.append((bits(tail), (bits(scale) - ((k << 52) // N)) % (1 << 64)))
    body = "".join(f"    {t:#018x}, {s:#018x},\n" for t, s in rows)
    out = ROOT / "src" / "learn" / "exp" / "table.rs"
    out.write_text(
        "// Written by scripts/gen_exp_table.py; do not edit.\n"
        "\n"
        "/// For k in 0..128: the bits of T[k], then those of H[k] less k/128 of the exponent's\n"
        "/// unit, where 2^(k/128) ~= H[k] (1 + T[k]).\n"
        "#[rustfmt::skip]\n"
        f"pub(super) const TABLE: [u64; {2 * N}] = [\n{body}];\n",
        encoding="utf-8",
    )
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
