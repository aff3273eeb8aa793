"""Local stand-ins for the providers, speaking their protocols on 127.0.0.1 (tests, the demo).

Not used in production: `manage.py run_fake_providers` starts them for the demo so a merchant can
test-send; tests start them on port 0.
"""
