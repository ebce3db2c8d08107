"""The Celery app Flower monitors with (``celery -A chiiki_flower flower``).

Flower's image has Celery but not the platform's code, so this is the one part of
``chiiki_shared.bus.create_celery_app`` a monitor needs: the broker and its key prefix
(``global_keyprefix``), without which Flower would watch an empty, unprefixed broker and see no
worker, task or event. tests/deploy/test_compose.py checks it against the platform's app.
"""

import os

from celery import Celery

app = Celery("chiiki-flower", broker=os.environ["REDIS_URL"])
app.conf.broker_transport_options = {"global_keyprefix": os.environ["REDIS_KEY_PREFIX"]}
app.conf.enable_utc = True
app.conf.timezone = "Asia/Tokyo"
