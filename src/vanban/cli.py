"""The `vanban` console command: Django's manage.py with vanban's settings.

vanban up                 start web server and task worker (what `make up` runs)
vanban load_demo          load the demo province (Tiền Giang)
vanban audit verify       check the hash-chained audit log
vanban token USERNAME     create and print a personal API token
vanban <any manage.py command>
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vanban.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
