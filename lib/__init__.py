"""Plumbing no app owns: caches, rate limits, the task queue, the outbound HTTP
client, client addresses and graceful shutdown. Imports Django only, never an app."""
