"""`manage.py create_owner EMAIL`: the shop's first owner account, on a new production stack.

The password comes from OWNER_PASSWORD (for scripts) or is asked twice; it passes the same
validators as any other. The address is taken as proved (the person running this command owns
the server), so the owner signs in at once. Running it again for the same address gives the
account the owner role and the new password.
"""

import getpass
import os

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction

from accounts.models import OWNER


class Command(BaseCommand):
    help = "Create (or promote) the shop owner's account: an email address and a password."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email: str, **options):
        email = email.strip().lower()
        try:
            validate_email(email)
        except ValidationError as error:
            raise CommandError(f"{email!r} is not an email address.") from error
        password = os.environ.get("OWNER_PASSWORD") or self._ask()
        User = get_user_model()
        user = User.objects.filter(email__iexact=email).first() or User(email=email)
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        with transaction.atomic():
            user.set_password(password)
            user.save()
            user.groups.add(Group.objects.get(name=OWNER))
            EmailAddress.objects.update_or_create(
                user=user, email=email, defaults={"verified": True, "primary": True}
            )
        self.stdout.write(f"{email} is an owner of the shop.")

    def _ask(self) -> str:
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The passwords differ.")
        return first
