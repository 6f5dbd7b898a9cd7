"""Run inside the stack's web container (manage.py shell < this): a product with one photo,
through the shop's own image pipeline and service; prints its slug and the photo's URL."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from shop.images import clean_image
from shop.models import Category, Product
from shop.services import add_images

buffer = io.BytesIO()
Image.new("RGB", (640, 480), (150, 80, 40)).save(buffer, format="JPEG")
category, _ = Category.objects.get_or_create(slug="stack-shirts", defaults={"name": "Shirts"})
product, _ = Product.objects.get_or_create(
    slug="stack-linen-shirt",
    defaults={"name": "Linen shirt", "category": category, "price": "199.00", "status": "active"},
)
upload = SimpleUploadedFile("shirt.jpg", buffer.getvalue(), content_type="image/jpeg")
(image,) = add_images(product, [clean_image(upload)])
print("STACK", product.slug, image.small.url)
