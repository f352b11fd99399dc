#!/usr/bin/env python3
"""Opens a Hadir recap XLSX with openpyxl (a real reader) and checks what a clerk relies on.

Usage: xlsx_check.py FILE EXPECT_JSON
EXPECT_JSON: {"sheets": [...], "regency": "...", "state": "Siap dikunci"|"Terkunci",
              "unit_sheet": "SD1", "employee_nip": "...", "marks": {"2": "TL2", ...},
              "unit_rupiah_total": 123}
Prints "OK" or the first failure (exit 1).
"""
import json
import sys

import openpyxl


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def find_row(ws, col, value, start=1):
    for r in range(start, ws.max_row + 1):
        if ws.cell(r, col).value == value:
            return r
    return None


def header_row(ws):
    r = find_row(ws, 1, "No") or find_row(ws, 1, "NIP")
    if r is None:
        fail(f"{ws.title}: no header row")
    return r


def main():
    path, expect = sys.argv[1], json.loads(sys.argv[2])
    wb = openpyxl.load_workbook(path)  # formulas as written
    wbv = openpyxl.load_workbook(path, data_only=True)  # cached values
    if wb.sheetnames != expect["sheets"]:
        fail(f"sheets {wb.sheetnames} != {expect['sheets']}")

    # Every sheet: title block with regency, unit, month and state; a frozen header row.
    for name in wb.sheetnames:
        ws = wb[name]
        if ws["A1"].value != expect["regency"].upper():
            fail(f"{name}: A1 {ws['A1'].value!r}")
        labels = [ws.cell(r, 1).value for r in range(3, 6)]
        if labels != ["Unit kerja", "Bulan", "Status"]:
            fail(f"{name}: title labels {labels}")
        if not str(ws["C4"].value).endswith(expect["month_label"]):
            fail(f"{name}: month {ws['C4'].value!r}")
        hr = header_row(ws)
        if ws.freeze_panes is None or int("".join(c for c in ws.freeze_panes if c.isdigit())) != hr + 1:
            fail(f"{name}: freeze panes {ws.freeze_panes} for header row {hr}")
        if ws.column_dimensions["B"].width is None or ws.column_dimensions["B"].width < 10:
            fail(f"{name}: column widths not set")

    # Unit sheet: header cells, number formats, totals row with SUM formulas, signatures.
    ws, wsv = wb[expect["unit_sheet"]], wbv[expect["unit_sheet"]]
    if ws["C5"].value != ": " + expect["state"]:
        fail(f"unit state {ws['C5'].value!r}")
    hr = header_row(ws)
    headers = [ws.cell(hr, c).value for c in range(1, ws.max_column + 1)]
    for h in ["No", "NIP", "Nama", "Hari Kerja", "Hadir", "TK", "TL1", "TL4", "PSW1", "PSW4", "Cuti Tahunan",
              "Jam Wajib", "Jam Hadir", "Potongan (%)", "Potongan Diterapkan (%)", "TPP (Rp)",
              "Potongan Diterapkan (Rp)", "Keterangan"]:
        if h not in headers:
            fail(f"header {h!r} missing in {headers}")
    col = {h: headers.index(h) + 1 for h in headers}
    r = find_row(ws, col["NIP"], expect["employee_nip"], hr + 1)
    if r is None:
        fail("employee row missing")
    pct = ws.cell(r, col["Potongan (%)"])
    if pct.number_format != "0.00%" or abs(pct.value - expect["deduction_fraction"]) > 1e-9:
        fail(f"percent cell {pct.value!r} {pct.number_format!r}")
    rp = ws.cell(r, col["Potongan Diterapkan (Rp)"])
    if rp.number_format != "Rp #,##0" or rp.value != expect["rupiah"]:
        fail(f"rupiah cell {rp.value!r} {rp.number_format!r}")
    if ws.cell(r, col["TL2"]).value != 1 or ws.cell(r, col["TK"]).value != expect["tk"]:
        fail("TL2/TK counts")
    tr = find_row(ws, col["Nama"], "JUMLAH", hr + 1)
    if tr is None:
        fail("totals row missing")
    f = ws.cell(tr, col["Potongan Diterapkan (Rp)"]).value
    if not (isinstance(f, str) and f.startswith("=SUM(")):
        fail(f"rupiah total is not a SUM formula: {f!r}")
    if wsv.cell(tr, col["Potongan Diterapkan (Rp)"]).value != expect["unit_rupiah_total"]:
        fail(f"rupiah total value {wsv.cell(tr, col['Potongan Diterapkan (Rp)']).value!r}")
    if ws.cell(tr, col["Potongan Diterapkan (Rp)"]).number_format != "Rp #,##0":
        fail("rupiah total format")
    texts = [str(c.value) for row in ws.iter_rows(min_row=tr + 1) for c in row if c.value is not None]
    for needle in ["Tingkat kehadiran", "Kepala BKPSDM", "Kepala " + expect["unit_name"], "NIP  :", "Nama :"]:
        if not any(needle in t for t in texts):
            fail(f"{needle!r} not below the totals")

    # Summary: one row per unit, a totals row, a percent attendance rate.
    ws = wb["Ringkasan"]
    hr = header_row(ws)
    codes = [ws.cell(r, 2).value for r in range(hr + 1, hr + 1 + len(expect["sheets"]) - 2)]
    if codes != expect["sheets"][1:-1]:
        fail(f"summary units {codes}")
    tr = hr + len(codes) + 1
    if ws.cell(tr, 3).value != "JUMLAH" or ws.cell(tr, 14).number_format != "0.00%":
        fail("summary totals row")

    # Detail: the day-by-day marks.
    ws = wb["Rincian Harian"]
    hr = header_row(ws)
    r = find_row(ws, 1, expect["employee_nip"], hr + 1)
    if r is None:
        fail("detail row missing")
    for day, mark in expect["marks"].items():
        c = 3 + int(day)
        if ws.cell(hr, c).value != int(day) or ws.cell(r, c).value != mark:
            fail(f"day {day}: {ws.cell(r, c).value!r} != {mark!r}")
    print("OK")


main()
