from django.core.management.base import BaseCommand

from vanban.orgs import demo


class Command(BaseCommand):
    help = "Load the demo province (Tiền Giang): every agency of the CSV, units and demo people."

    def add_arguments(self, parser):
        parser.add_argument("--password", required=True, help="password of the demo accounts")

    def handle(self, *args, password, **options):
        created = demo.load(password)
        self.stdout.write(
            f"Demo province loaded: {created['agencies']} agencies, {created['units']} units, "
            f"{created['people']} people created."
        )
