"""Everything `make demo` does before serving: safe to run again (nothing duplicates)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from demo_shop.catalog.demo_data import FIXTURES, load_catalogue, load_styles
from demo_shop.catalog.redis_probe import redis_available
from demo_shop.catalog.synthetic import create_synthetic_shoppers
from stylerec_plugin.signals import paused

ADMIN_USERNAME = "admin"
# The sample photo of the admin's preset gallery: a product with clear shapes and colours.
GALLERY_SAMPLE = FIXTURES / "products" / "thomas-serer-420833-unsplash.jpg"
ADMIN_PASSWORD = "stylerec-demo"


class Command(BaseCommand):
    help = "Migrate, load the demo catalogue, styles, admin and shoppers, and restyle the photos."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--no-restyle", action="store_true", help="Skip generating variants.")
        parser.add_argument("--shoppers", type=int, default=80)

    def handle(self, *args, no_restyle: bool = False, shoppers: int = 80, **options) -> None:
        say = self.stdout.write
        call_command("migrate", interactive=False, verbosity=0)
        say("Database migrated.")
        # Saves queue nothing here: the restyle command below does it all at once, with a progress bar.
        with paused():
            catalogue = load_catalogue()
            styles = load_styles()
        say(f"Catalogue: {catalogue.created} products added, {catalogue.existing} already there.")
        say(f"Styles: {styles.created} added, {styles.existing} already there.")
        self._admin()
        synthetic = create_synthetic_shoppers(count=shoppers)
        say(
            f"Synthetic shoppers: {synthetic.created} added ({synthetic.interactions} interactions), "
            f"{synthetic.existing} already there."
        )
        call_command("demo_experiment", stdout=self.stdout)
        queued = redis_available(settings.RQ_QUEUES["stylerec"]["URL"])
        if not no_restyle:
            if queued:
                say("Redis answers: restyle jobs go to the queue; `make demo` starts a worker.")
                call_command("stylerec_restyle", missing=True, stdout=self.stdout)
            else:
                say("Redis is not reachable: generating the variants here, in this process.")
                call_command("stylerec_restyle", missing=True, inline=True, stdout=self.stdout)
        call_command("stylerec_train", stdout=self.stdout)
        if queued and not no_restyle:
            # Style vectors arrive with the worker's jobs; train again once they are in.
            call_command("stylerec_train", enqueue=True, stdout=self.stdout)
        try:
            call_command("stylerec_preset_gallery", photo=str(GALLERY_SAMPLE), stdout=self.stdout)
        except CommandError as error:
            say(f"Preset gallery skipped: {error}")
        say(self.style.SUCCESS("Demo ready."))

    def _admin(self) -> None:
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=ADMIN_USERNAME, defaults={"is_staff": True, "is_superuser": True, "email": "admin@example.com"}
        )
        if created:
            user.set_password(ADMIN_PASSWORD)
            user.save()
            self.stdout.write(f"Admin account created: {ADMIN_USERNAME} / {ADMIN_PASSWORD}")
        else:
            self.stdout.write(
                f"Admin account: {ADMIN_USERNAME} / {ADMIN_PASSWORD} (kept as it was if you changed it)"
            )
