import io
from decimal import Decimal

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from shop.models import Category, Product, Variant


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    first_name = "Sam"
    last_name = "Lee"
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        """A primary allauth address, proved unless `verified=False` (then it awaits a code)."""
        if create:
            EmailAddress.objects.create(
                user=self, email=self.email.lower(), primary=True, verified=extracted is not False
            )

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for name in extracted or []:
            self.groups.add(Group.objects.get(name=name))
        if create:
            self.save()


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Garment {n}")
    slug = factory.Sequence(lambda n: f"garment-{n}")
    category = factory.SubFactory(CategoryFactory)
    status = Product.Status.ACTIVE
    price = Decimal("199.00")


class VariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Variant

    product = factory.SubFactory(ProductFactory)
    size = "M"
    colour = "Navy"
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    stock = 5


def image_bytes(fmt="JPEG", size=(60, 80), colour=(120, 60, 30), **save_kwargs) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=fmt, **save_kwargs)
    return buffer.getvalue()


def image_upload(name="photo.jpg", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes(**kwargs), content_type="image/jpeg")
