"""The board pack's previous PDF engine (WeasyPrint: HTML and CSS laid out in parts,
joined with pikepdf, untagged), kept only so `python -m benchmarks pack` can lay out the
same computed pack with it beside Typst (docs/benchmarks.md). The service does not use
it: planwarden lays the pack out with Typst (planwarden/pack/typeset.py).
"""
