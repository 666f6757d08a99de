"""A scenario generator: drift operators composed over real public tables, in five dialects.

`generate(tables_root, seed, count)` builds scenarios whose ground truth holds by construction
(the expected mapping and a reference fix are written with the change; `expect.output` is the
reference fix replayed); reject patches are mutations of the reference fix. `write_suite` writes
them as scenario files plus `manifest.json`. Every scenario passes `suture eval --check`.
"""
