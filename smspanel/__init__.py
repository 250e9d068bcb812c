"""The project package: settings, the root URLconf and the WSGI/ASGI entry points.

The apps (panel, messaging, mailbridge, gateways, accounts) are rooms; this is the house
they stand in, which is why no app imports it."""
