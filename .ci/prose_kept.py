#!/usr/bin/env python3
"""Check that a spec update kept our prose.

usage: prose_kept.py OLD_DIR NEW_DIR

OLD_DIR and NEW_DIR are two versions of a split spec directory (openapi.json,
paths/*.json, schemas/*.json). Every summary and description of OLD_DIR whose
item (operation, parameter, response, schema, field, tag...) still exists in
NEW_DIR must be there unchanged, and NEW_DIR must have no prose that OLD_DIR
did not have (new items come without prose). Written apart from the updater
so that the check does not share its mistakes. Exit status 1 on a difference.
"""
import glob
import json
import os
import sys

PROSE = ("description", "summary")
# Keys whose value maps names (fields, paths, codes...) to objects.
NAME_MAPS = {
    "properties", "paths", "x-webhooks", "webhooks", "responses", "content",
    "schemas", "securitySchemes", "headers", "mapping", "encoding",
    "requestBodies", "links", "callbacks", "variables",
}
# Keys whose value is literal data, where nothing is prose.
DATA = {"default", "enum", "const", "example", "examples"}


def load(folder):
    with open(os.path.join(folder, "openapi.json"), encoding="utf-8") as fh:
        doc = json.load(fh)
    paths = doc.setdefault("paths", {})
    for name in sorted(glob.glob(os.path.join(folder, "paths", "*.json"))):
        with open(name, encoding="utf-8") as fh:
            for path, item in json.load(fh).items():
                paths.setdefault(path, {}).update(item)
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for name in sorted(glob.glob(os.path.join(folder, "schemas", "*.json"))):
        with open(name, encoding="utf-8") as fh:
            schemas[os.path.basename(name)[:-5]] = json.load(fh)
    return doc


def element_names(items):
    """How list elements are told apart: $ref, parameter, name, url, position."""
    seen = {}
    out = []
    for item in items:
        base = "#"
        if isinstance(item, dict):
            if isinstance(item.get("$ref"), str):
                base = "ref " + item["$ref"]
            elif "in" in item and "name" in item:
                base = "param %s %s" % (item["in"], item["name"])
            elif isinstance(item.get("name"), str):
                base = "name " + item["name"]
            elif isinstance(item.get("url"), str):
                base = "url " + item["url"]
        seen[base] = seen.get(base, 0) + 1
        out.append("%s %d" % (base, seen[base]))
    return out


def walk(node, where, names, items, prose):
    """Record every item's location, and every prose string by location."""
    items.add(where)
    if isinstance(node, dict):
        for key, value in node.items():
            if not names and key in PROSE and isinstance(value, str):
                prose[(where, key)] = value
            elif not names and key in DATA:
                continue
            else:
                walk(value, where + (key,), not names and key in NAME_MAPS, items, prose)
    elif isinstance(node, list):
        for name, value in zip(element_names(node), node):
            walk(value, where + ("[%s]" % name,), False, items, prose)


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    old_items, old_prose, new_items, new_prose = set(), {}, set(), {}
    walk(load(sys.argv[1]), (), False, old_items, old_prose)
    walk(load(sys.argv[2]), (), False, new_items, new_prose)
    problems = []
    kept = gone = 0
    for (where, key), text in sorted(old_prose.items()):
        if where not in new_items:
            gone += 1
        elif new_prose.get((where, key)) == text:
            kept += 1
        else:
            problems.append("changed or lost: %s of %s" % (key, "/".join(where)))
    for (where, key) in sorted(new_prose):
        if (where, key) not in old_prose:
            problems.append("new prose: %s of %s" % (key, "/".join(where)))
    for line in problems:
        print(line)
    print("prose_kept: %d summaries and descriptions of items in both versions kept, "
          "%d went with removed items, %d problems" % (kept, gone, len(problems)))
    return 1 if problems or kept == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
