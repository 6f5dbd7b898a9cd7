#!/bin/sh
# The release step (compose.yaml's `release` service), before web, worker and beat start:
# the shared volumes belong to the app's user (a new volume is root's; whichever container
# mounts it first decides), then migrate and collectstatic as that user. Started as root for
# the chown only.
set -eu
chown shop:shop /var/lib/shop/media /var/lib/shop/private /var/lib/shop/static
exec setpriv --reuid=shop --regid=shop --init-groups sh -c \
  'python manage.py migrate --noinput && python manage.py collectstatic --noinput -v0 --clear'
