"""Plumbing no app owns: caches, rate limits, the task queue, the outbound HTTP
client, client addresses, graceful shutdown and tables keyed by class. Imports
Django only, never an app."""
