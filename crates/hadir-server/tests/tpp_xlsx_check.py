#!/usr/bin/env python3
"""Opens a Hadir TPP payout sheet (XLSX) with openpyxl and checks the amounts a treasurer pays.

Usage: tpp_xlsx_check.py FILE EXPECT_JSON
EXPECT_JSON: {"sheet": "SD1", "amounts": {"<nip>": 4250000, ...}, "total": 123}
Prints "OK" or the first failure (exit 1).
"""
import json
import sys

import openpyxl


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def main():
    path, expect = sys.argv[1], json.loads(sys.argv[2])
    wb = openpyxl.load_workbook(path)
    if "Ringkasan" not in wb.sheetnames:
        fail("no summary sheet: %s" % wb.sheetnames)
    ws = wb[expect["sheet"]]
    head = None
    for r in range(1, ws.max_row + 1):
        if ws.cell(r, 1).value == "NIP":
            head = r
            break
    if head is None:
        fail("no header row")
    cols = {ws.cell(head, c).value: c for c in range(1, ws.max_column + 1)}
    paid = cols.get("Dibayar")
    if paid is None:
        fail("no 'Dibayar' column: %s" % list(cols))
    seen = {}
    total = None
    for r in range(head + 1, ws.max_row + 1):
        nip = ws.cell(r, 1).value
        if nip in expect["amounts"]:
            seen[nip] = ws.cell(r, paid).value
        if ws.cell(r, 2).value == "Jumlah":
            total = ws.cell(r, paid).value
    for nip, amount in expect["amounts"].items():
        if seen.get(nip) != amount:
            fail("%s: sheet %r, expected %r" % (nip, seen.get(nip), amount))
    if total != expect["total"]:
        fail("total %r, expected %r" % (total, expect["total"]))
    texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    for needed in ("Mengetahui,", "Bendahara Pengeluaran", "NIP. ...................."):
        if needed not in texts:
            fail("signature block lacks %r" % needed)
    print("OK")


main()
