from django.core.management.base import BaseCommand

from demo_shop.catalog.synthetic import create_synthetic_shoppers


class Command(BaseCommand):
    help = "Create seeded synthetic shoppers (synthetic-shopper-NNN) with taste-driven histories."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--count", type=int, default=80)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, count: int, seed: int, **options) -> None:
        summary = create_synthetic_shoppers(count=count, seed=seed)
        self.stdout.write(
            f"Synthetic shoppers: {summary.created} created with {summary.interactions} interactions, "
            f"{summary.existing} already present."
        )
