.PHONY: demo test lint check bench production
demo:  ## the site with demo data, a worker and beat, on SQLite and a file broker (or DATABASE_URL / REDIS_URL when set)
	scripts/demo
test:  ## install what the tests need and run the whole suite
	scripts/test
lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .
check:
	DJANGO_SETTINGS_MODULE=config.settings.production SECRET_KEY=$$(python3 -c 'import secrets; print(secrets.token_urlsafe(60))') \
	  SMS_PROVIDER=aliyun SMS_ALIYUN_ACCESS_KEY_ID=check SMS_ALIYUN_ACCESS_KEY_SECRET=check \
	  .venv/bin/python manage.py check --deploy --fail-level WARNING
bench:  ## the catalogue benchmark (PostgreSQL, Redis, wrk)
	bench/run_catalogue.sh
production:  ## the production stack without containers (scripts/production; README, "Production")
	scripts/production
