from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

OWNER = "Owner"
SUPPORT = "Support"


class UserManager(BaseUserManager):
    """Users are known by email; there is no username."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    username = None
    email = models.EmailField(_("email address"), unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.email

    def has_role(self, role: str) -> bool:
        """True for a member of the group `role`; a superuser holds every role."""
        if not self.is_active:
            return False
        if self.is_superuser:
            return True
        cache = getattr(self, "_role_cache", None)
        if cache is None:
            cache = set(self.groups.values_list("name", flat=True))
            self._role_cache = cache
        return role in cache

    def verified_email(self) -> str | None:
        """The address this user proved they hold (allauth: verified and primary), or None.

        Only a proved address may show what was placed under it without signing in (guest
        orders, tickets): an address typed at sign-up proves nothing.
        """
        if not self.pk:
            return None
        if not hasattr(self, "_verified_email"):
            from allauth.account.models import EmailAddress

            self._verified_email = (
                EmailAddress.objects.filter(user=self, verified=True, primary=True)
                .values_list("email", flat=True)
                .first()
            )
        return self._verified_email

    @property
    def is_owner(self) -> bool:
        return self.has_role(OWNER)

    @property
    def is_support(self) -> bool:
        return self.has_role(SUPPORT)
