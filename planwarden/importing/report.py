"""The import summary as text: the same for ``--dry-run`` and for the real import.

Kept out of the CLI glue so the Typer port (issue 12) only prints what this returns.
"""

from __future__ import annotations

from planwarden.importing import ImportSummary


def summary_text(summary: ImportSummary, file_name: str) -> str:
    """Column mapping per table, the first rows as read, generated refs and every warning."""
    p = summary.preview
    lines = [f"Read {file_name} as {p.format or 'a plan'}: {len(summary.actions)} actions, "
             f"{'BRAG (Blue = complete)' if p.scale == 'brag' else 'RAG'} ratings."]
    for table, mapping in p.mappings:
        lines.append(f"\nColumns of {table}:")
        lines.extend(f"  {header or '(no header)'!s:<40} -> {field}" for header, field in mapping.items())
    if summary.actions:
        lines.append("\nFirst rows as read:")
        for a in summary.actions[:5]:
            rating = ("complete" if a.complete else a.rag) or "-"
            lines.append(f"  {a.ref:<8} due {a.due.isoformat() if a.due else '-':<10}  {rating:<8} "
                         f"owner {a.owner_text[:40] or '-'}  |  {' '.join(a.text.split())[:60]}")
    if p.generated_refs:
        shown = ", ".join(p.generated_refs[:10]) + (", …" if len(p.generated_refs) > 10 else "")
        lines.append(f"\nRefs generated from position (the document has none): {shown}")
    if summary.dry_run:
        lines.append("\nDry run: nothing was written.")
    else:
        lines.append(f"\nImported into plan {summary.plan!r}: {summary.created} created, {summary.updated} updated, "
                     f"{summary.unchanged} unchanged, {len(summary.warnings)} warnings.")
    if summary.warnings:
        lines.append("\nFor review:")
        lines.extend(f"  {w.ref or '-':<8} {w.field:<9} {w.message}" for w in summary.warnings)
    return "\n".join(lines)
