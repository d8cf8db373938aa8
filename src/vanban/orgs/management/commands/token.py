from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from vanban.orgs import services
from vanban.orgs.models import Person


class Command(BaseCommand):
    help = "Create a personal API token for USERNAME and print it (it is shown only once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="command line", help="label of the token")

    def handle(self, *args, username, name, **options):
        try:
            person = Person.objects.get(username=username)
        except Person.DoesNotExist as exc:
            raise CommandError(f"no such user: {username}") from exc
        try:
            _token, key = services.create_token(None, person, name)
        except ValidationError as exc:  # a disabled account
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(key)
