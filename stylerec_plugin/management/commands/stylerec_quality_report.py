"""manage.py stylerec_quality_report: what shoppers are shown, per active style, from the stored gate scores.

Per style: variants shown / rejected / failed (current rows only), the share of shown
variants whose product kept its mean colour within the style's colour limit and the
largest shift, the share visibly styled (scene change at or over the engine's floor), the
mean mask confidence, how many shown variants fell back to a whole-frame render because
the mask is not trusted, and the share of (product, style) pairs rejected. ``--sheets DIR``
writes one contact sheet PNG per style (original | shown variant, with the scores) read
from the stored files. Needs no torch.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand

from ...models import Style
from ...restyling.quality_report import photos_without_a_trusted_mask, quality_report


def _pct(share: float | None) -> str:
    return "-" if share is None else f"{share * 100:.1f}%"


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


class Command(BaseCommand):
    help = "Per active style: variants shown/rejected/failed, colour shift, visibly styled, mask confidence."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--style", action="append", default=[], help="only this style slug (repeatable)")
        parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
        parser.add_argument("--sheets", metavar="DIR", help="write one contact sheet PNG per style into DIR")
        parser.add_argument("--include-hidden", action="store_true",
                            help="sheets also show rejected and withdrawn variants (captioned in red)")

    def handle(self, *args, style: list[str], json: bool = False, sheets: str | None = None,
               include_hidden: bool = False, **options) -> None:
        styles = list(Style.objects.filter(is_active=True, **({"slug__in": style} if style else {})))
        reports, floor = quality_report(styles)
        if json:
            self.stdout.write(_dumps({"scene_change_floor": floor, "styles": [r.as_dict() for r in reports],
                                      "photos_without_a_trusted_mask": photos_without_a_trusted_mask()}))
        else:
            self._table(reports, floor)
        if sheets:
            from ...restyling.contact_sheets import write_sheet

            for report in reports:
                path = write_sheet(report, Path(sheets), include_hidden=include_hidden)
                self.stderr.write(f"{report.style}: {path if path else 'nothing shown, no sheet'}")

    def _table(self, reports, floor) -> None:
        out = self.stdout.write
        out(f"{'style':<22} {'mode':<12} {'shown':>5} {'rej':>4} {'fail':>4} {'wait':>4} {'within':>7} "
            f"{'maxΔE':>6} {'maxdom':>6} {'styled':>7} {'mask':>5} {'whole':>5} {'rej%':>6}")
        for r in reports:
            out(
                f"{r.style[:22]:<22} {r.render_mode[:12]:<12} {r.shown:>5} {r.rejected:>4} {r.failed:>4} "
                f"{r.waiting:>4} {_pct(r.within_limit_share):>7} {_num(r.max_mean_de):>6} "
                f"{_num(r.max_dominant_de):>6} {_pct(r.visibly_styled_share):>7} "
                f"{_num(r.mean_mask_confidence, 2):>5} {r.whole_frame:>5} {_pct(r.rejected_share):>6}"
            )
        out("within: shown variants whose product's mean colour moved at most the style's colour limit (ΔE CIE76).")
        out(f"styled: shown variants whose scene change is at least {floor if floor is not None else '(unknown)'}"
            " (the engine's visibly-styled floor). rej%: rejected or withdrawn of the finished pairs.")
        out("whole: shown product-true variants rendered over the whole frame with the photo's colours kept, "
            "because its product mask is not trusted (the scene got texture and light, not the style's palette).")
        untrusted = photos_without_a_trusted_mask()
        if untrusted:
            out(f"{untrusted} product photo(s) have no trusted mask: upload a mask or a cut-out for them in the admin "
                "(product photo analyses, filter \"product mask: not trusted\") to style their scenes fully.")
        if any(r.withdrawn or r.approved for r in reports):
            out("Admin reviews: " + ", ".join(f"{r.style} {r.approved} approved/{r.withdrawn} withdrawn"
                                             for r in reports if r.withdrawn or r.approved))


def _dumps(data) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)
